"""The Telegram channel end to end: the production Application (same factory), real engine and real
knowledge, python-telegram-bot's real HTTP transport, against a fake Bot API server on loopback that
rejects what Telegram rejects."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.activity import ActivityLog
from bot.config import ConfigError
from bot.telegram import build_application, run
from bot.telegram.texts import ONLY_ASKER, REFUSAL, STALE_OUTLINE
from tests.fakebotapi import Call, FakeBotAPI
from tests.telegram_fixtures import ADMIN, OTHER, REPO, USER, running

pytestmark = pytest.mark.anyio

FOREIGN_CAPITAL = "合同外资引进了多少？"


def buttons(call: Call) -> list[tuple[str, str]]:
    """(text, callback_data) of every inline button a call sent."""
    markup = call.params.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


def data_starting(call: Call, prefix: str) -> list[str]:
    return [data for _, data in buttons(call) if data.startswith(prefix)]


async def ask(fake: FakeBotAPI, text: str, user: int = USER, chat: dict | None = None) -> Call:
    """A user sends `text`; returns the bot's next message in that chat."""
    since = fake.mark()
    message = fake.send_text(user, text, chat)
    (reply,) = await fake.wait_for("sendMessage", since=since, chat_id=message["chat"]["id"])
    return reply


def question_with_suggestions(engine) -> str:
    """A question this knowledge half-matches, so the engine offers "你可能想问"."""
    for question in ["侨商会会长是谁？", "苏州国际精英创业周在哪里举办？", "海外联谊会换届", "侨务干部培训多少人",
                     "归侨侨眷的养老金", "海外人才足球比赛"]:
        if engine.ask(question).suggestions:
            return question
    raise AssertionError("no question in the list gets suggestions from this knowledge")


# --- users -----------------------------------------------------------------------------------------

async def test_start_says_what_the_bot_knows_in_chinese(fake_api: FakeBotAPI, bot, shared_engine) -> None:
    reply = await ask(fake_api, "/start")
    text = reply.result["text"]
    for title in shared_engine.documents.values():
        assert f"《{title}》" in text
    assert f"{shared_engine.counts()['sections']} 个章节" in text
    assert "/sections" in text and "/ask" in text and "/help" in text
    assert "/reload" not in text  # admin commands only for admins
    assert "例如" in text  # example questions the knowledge answers
    help_reply = await ask(fake_api, "/help")
    assert help_reply.result["text"] == text


async def test_a_question_gets_the_fact_and_where_it_stands(fake_api: FakeBotAPI, bot) -> None:
    reply = await ask(fake_api, FOREIGN_CAPITAL)
    text = reply.result["text"]
    assert "35亿美元" in text
    assert "出处：侨务系统年终工作总结" in text and "一是搭建平台招才引智" in text
    assert reply.params["parse_mode"] == "HTML"
    assert any(e["type"] == "italic" for e in reply.result.get("entities", []))  # the source line
    feedback = data_starting(reply, "fb:")
    assert len(feedback) == 2
    assert all(len(d.encode()) <= 64 for _, d in buttons(reply))


async def test_a_traditional_question_is_answered_alike(fake_api: FakeBotAPI, bot) -> None:
    simplified = await ask(fake_api, FOREIGN_CAPITAL)
    traditional = await ask(fake_api, "合同外資引進了多少？")
    assert "35亿美元" in traditional.result["text"]
    assert traditional.result["text"] == simplified.result["text"]


@pytest.mark.parametrize("hostile", [
    "<b>合同外资</b> & <script>alert(1)</script>引进了多少？",
    "</i><a href='x'>天气</a> &amp; &lt; <<>> \"'",
    "*粗体* _斜体_ `code` [link](http://x) ' OR 1=1; DROP TABLE questions; --",
    "&#0; &nbsp; <tg-spoiler> <br/>",
])
async def test_html_hostile_input_gets_well_formed_html(fake_api: FakeBotAPI, bot, hostile: str) -> None:
    reply = await ask(fake_api, hostile)  # the fake rejects malformed Telegram HTML: this would time out
    assert reply.ok and reply.result["text"].strip()
    assert not fake_api.find("sendMessage", ok=False)


async def test_a_decline_says_so_and_offers_suggestions_as_buttons(fake_api: FakeBotAPI, bot,
                                                                   shared_engine) -> None:
    question = question_with_suggestions(shared_engine)
    reply = await ask(fake_api, question)
    suggestions = data_starting(reply, "sg:")
    assert suggestions and not data_starting(reply, "fb:")  # no 👍/👎 under a decline
    label = next(text for text, data in buttons(reply) if data == suggestions[0])
    since = fake_api.mark()
    query_id = fake_api.press(USER, reply.result, suggestions[0])
    (answered,) = await fake_api.wait_for("answerCallbackQuery", since=since, callback_query_id=query_id)
    (follow_up,) = await fake_api.wait_for("sendMessage", since=since, chat_id=USER)
    expected = shared_engine.ask(shared_engine.ask(question).suggestions[0])
    assert label.removeprefix("❓ ").rstrip("…") in expected.question
    assert expected.text.split("\n")[0] in follow_up.result["text"]


async def test_feedback_is_recorded_for_the_asker_only(fake_api: FakeBotAPI, bot) -> None:
    reply = await ask(fake_api, FOREIGN_CAPITAL)
    thumbs_up, thumbs_down = data_starting(reply, "fb:")
    log_id = int(thumbs_up.split(":")[1])
    activity: ActivityLog = bot.bot_data.activity

    since = fake_api.mark()
    fake_api.press(USER, reply.result, thumbs_down)
    (ack,) = await fake_api.wait_for("answerCallbackQuery", since=since)
    assert "谢谢" in ack.params["text"]
    assert activity.get(log_id).feedback == -1

    # Someone else pressing the button — or forging its data — changes nothing.
    since = fake_api.mark()
    fake_api.press(OTHER, reply.result, thumbs_up)
    fake_api.press(OTHER, reply.result, f"fb:{log_id}:1", forge=True)
    acks = await fake_api.wait_for("answerCallbackQuery", since=since, count=2)
    assert all(a.params["text"] == ONLY_ASKER for a in acks)
    assert activity.get(log_id).feedback == -1


async def test_forged_suggestion_data_from_another_chat_reveals_nothing(fake_api: FakeBotAPI, bot,
                                                                        shared_engine) -> None:
    reply = await ask(fake_api, question_with_suggestions(shared_engine))
    (data,) = data_starting(reply, "sg:")[:1]
    other_chat_message = (await ask(fake_api, FOREIGN_CAPITAL, user=OTHER)).result
    since = fake_api.mark()
    fake_api.press(OTHER, other_chat_message, data, forge=True)
    (ack,) = await fake_api.wait_for("answerCallbackQuery", since=since)
    assert "过期" in ack.params["text"]
    await asyncio.sleep(0.1)
    assert not fake_api.find("sendMessage", since=since)


async def test_sections_outline_buttons_show_a_section(fake_api: FakeBotAPI, bot, shared_engine) -> None:
    reply = await ask(fake_api, "/sections")
    sections = data_starting(reply, "s:")
    top = [s for s in shared_engine.outline() if len(s.path) == 1]
    assert len(sections) == min(len(top), 10)
    since = fake_api.mark()
    second = sections[1]
    fake_api.press(USER, reply.result, second)
    (shown,) = await fake_api.wait_for("sendMessage", since=since, chat_id=USER)
    expected = shared_engine.show_section(top[1].doc, tuple(top[1].path))
    assert expected.text.split("\n")[0] == shown.result["text"].split("\n")[0]
    assert data_starting(shown, "s:")  # its parts, as further buttons
    await fake_api.wait_for("answerCallbackQuery", since=since)


async def test_unknown_and_stale_buttons_are_answered(fake_api: FakeBotAPI, bot) -> None:
    reply = await ask(fake_api, "/sections")
    since = fake_api.mark()
    fake_api.press(USER, reply.result, "s:99:0", forge=True)  # an outline generation that is gone
    fake_api.press(USER, reply.result, "zz:1", forge=True)
    acks = await fake_api.wait_for("answerCallbackQuery", since=since, count=2)
    assert all(a.params.get("text") for a in acks)


# --- groups ----------------------------------------------------------------------------------------

async def test_group_answers_only_when_addressed(fake_api: FakeBotAPI, bot) -> None:
    group = fake_api.group_chat()
    since = fake_api.mark()
    fake_api.send_text(USER, FOREIGN_CAPITAL, group)  # chatter: not for the bot
    mentioned = await ask(fake_api, f"@qiaowu_test_bot {FOREIGN_CAPITAL}", chat=group)
    assert "35亿美元" in mentioned.result["text"]
    via_command = await ask(fake_api, f"/ask@qiaowu_test_bot {FOREIGN_CAPITAL}", chat=group)
    assert "35亿美元" in via_command.result["text"]
    answer_message = mentioned.result
    since_reply = fake_api.mark()
    follow_up = fake_api.send_text(OTHER, "实际利用外资是多少？", group, reply_to=answer_message)
    reply = await fake_api.reply_to(follow_up, since=since_reply)
    assert "28亿美元" in reply.result["text"]
    # the first message got nothing: every bot message in the group answers one of the three
    targets = {c.params["reply_parameters"]["message_id"] for c in fake_api.find("sendMessage", since=since)}
    assert len(targets) == 3


async def test_group_chatter_and_other_bots_commands_are_ignored(fake_api: FakeBotAPI, bot) -> None:
    group = fake_api.group_chat()
    since = fake_api.mark()
    fake_api.send_text(USER, "大家好 @someone_else 你好", group)
    fake_api.send_text(USER, "/ask@other_bot 合同外资", group)
    fake_api.send_text(USER, "/reload@other_bot", group)
    await fake_api.wait_confirmed()
    await asyncio.sleep(0.2)
    assert not fake_api.find("sendMessage", since=since)


# --- inline mode -----------------------------------------------------------------------------------

async def test_inline_query_offers_up_to_five_answers(fake_api: FakeBotAPI, bot) -> None:
    since = fake_api.mark()
    query_id = fake_api.inline_query(USER, FOREIGN_CAPITAL)
    (answer,) = await fake_api.wait_for("answerInlineQuery", since=since, inline_query_id=query_id)
    results = answer.params["results"]
    assert 1 <= len(results) <= 5
    assert "35亿美元" in results[0]["input_message_content"]["message_text"]
    assert results[0]["title"] == "35亿美元"  # the exact answer span names the result, not the question
    empty_id = fake_api.inline_query(USER, "")
    (empty,) = await fake_api.wait_for("answerInlineQuery", since=since, inline_query_id=empty_id)
    assert empty.params["results"] == []


# --- rate limiting ---------------------------------------------------------------------------------

async def test_a_flooding_user_is_limited_and_others_still_answered(fake_api: FakeBotAPI, bot) -> None:
    since = fake_api.mark()
    for i in range(20):
        fake_api.send_text(USER, f"{FOREIGN_CAPITAL} {i}")
    await fake_api.wait_confirmed()
    other = await ask(fake_api, FOREIGN_CAPITAL, user=OTHER)
    assert "35亿美元" in other.result["text"]
    await asyncio.sleep(0.3)
    to_flooder = [c.result["text"] for c in fake_api.find("sendMessage", since=since, chat_id=USER)]
    notices = [t for t in to_flooder if "太快" in t]
    assert len(notices) == 1  # told once, not flooded back
    assert len(to_flooder) - len(notices) == 8  # the bucket's capacity


# --- admins ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["/reload", "/stats", "/unanswered", "/addfaq 问 | 答 | 1.1"])
async def test_admin_commands_refused_for_others(fake_api: FakeBotAPI, bot, bot_settings, command: str) -> None:
    engine = bot.bot_data.engine
    faq = bot_settings.knowledge_dir / "faq.csv"
    before = faq.read_bytes() if faq.exists() else None
    reply = await ask(fake_api, command)
    assert reply.result["text"] == REFUSAL
    assert bot.bot_data.engine is engine
    assert (faq.read_bytes() if faq.exists() else None) == before  # nothing added
    group = fake_api.group_chat()
    in_group = await ask(fake_api, command.replace(" ", "@qiaowu_test_bot ", 1) if " " in command
                         else command + "@qiaowu_test_bot", chat=group)
    assert in_group.result["text"] == REFUSAL


async def test_edited_and_forwarded_commands_do_nothing(fake_api: FakeBotAPI, bot) -> None:
    engine = bot.bot_data.engine
    since = fake_api.mark()
    question = fake_api.send_text(OTHER, "你好")
    fake_api.edit_text(question, "/reload")  # an edit is not a new command (Telegram is not even asked for edits)
    fake_api.send_text(ADMIN, "/reload", forwarded_from=OTHER)  # an admin forwarding someone's /reload
    fake_api.send_text(OTHER, "/reload", forwarded_from=ADMIN)  # someone forwarding an admin's /reload
    fake_api.send_text(OTHER, "/stats", forwarded_from=ADMIN)
    await fake_api.wait_confirmed()
    barrier = await ask(fake_api, FOREIGN_CAPITAL, user=ADMIN)
    await asyncio.sleep(0.2)
    texts = [c.result["text"] for c in fake_api.find("sendMessage", since=since)]
    assert not [t for t in texts if "重新加载" in t or "提问统计" in t or t == REFUSAL]
    assert barrier.result["text"] in texts
    assert bot.bot_data.engine is engine


async def test_admin_menu_is_registered_once_the_admin_is_known(fake_api: FakeBotAPI, bot) -> None:
    assert "chat:1001" not in fake_api.commands  # Telegram: "chat not found" before the admin writes
    assert {c["command"] for c in fake_api.commands["default"]} == {"start", "help", "sections", "ask", "forget"}
    reply = await ask(fake_api, "/start", user=ADMIN)
    assert "/reload" in reply.result["text"]
    await fake_api.wait_for("setMyCommands", where=lambda c: c.params.get("scope", {}).get("chat_id") == ADMIN)
    assert "reload" in {c["command"] for c in fake_api.commands[f"chat:{ADMIN}"]}


async def test_stats_and_unanswered_for_admins(fake_api: FakeBotAPI, bot, shared_engine) -> None:
    await ask(fake_api, FOREIGN_CAPITAL)
    await ask(fake_api, FOREIGN_CAPITAL, user=OTHER)
    declined = await ask(fake_api, "华侨农场的面积有多大？")
    assert "没有" in declined.result["text"]
    stats = (await ask(fake_api, "/stats", user=ADMIN)).result["text"]
    assert "最近一天：提问 3 次，答出 2（67%），未答出 1（33%）" in stats
    assert f"1. {FOREIGN_CAPITAL}（2 次）" in stats
    unanswered = await ask(fake_api, "/unanswered", user=ADMIN)
    assert "华侨农场的面积有多大？" in unanswered.result["text"]
    assert FOREIGN_CAPITAL not in unanswered.result["text"]
    assert data_starting(unanswered, "uf:")


async def test_unanswered_button_turns_a_question_into_faq(fake_api: FakeBotAPI, bot, bot_settings) -> None:
    await ask(fake_api, "华侨农场的面积有多大？")
    listing = await ask(fake_api, "/unanswered", user=ADMIN)
    (button,) = data_starting(listing, "uf:")

    since = fake_api.mark()
    fake_api.press(OTHER, listing.result, button, forge=True)  # not an admin: refused, nothing happens
    (refused,) = await fake_api.wait_for("answerCallbackQuery", since=since)
    assert refused.params["text"] == REFUSAL
    await asyncio.sleep(0.1)
    assert not fake_api.find("sendMessage", since=since)

    fake_api.press(ADMIN, listing.result, button)
    (prompt,) = await fake_api.wait_for("sendMessage", since=since, chat_id=ADMIN)
    assert prompt.params["reply_markup"]["force_reply"] is True
    reply = fake_api.send_text(ADMIN, "报告没有写华侨农场的面积。 | 3.1", reply_to=prompt.result)
    done = await fake_api.reply_to(reply)
    assert "已写入 faq.csv" in done.result["text"]
    faq = (bot_settings.knowledge_dir / "faq.csv").read_text(encoding="utf-8")
    assert "华侨农场的面积有多大？" in faq and "报告没有写华侨农场的面积。" in faq
    after = await ask(fake_api, "/unanswered", user=ADMIN)
    assert "华侨农场" not in after.result["text"]


async def _faq_prompt(fake: FakeBotAPI) -> Call:
    """A declined question, /unanswered, ➕ pressed by the admin: the prompt the bot sends."""
    await ask(fake, "华侨农场的面积有多大？")
    listing = await ask(fake, "/unanswered", user=ADMIN)
    (button,) = data_starting(listing, "uf:")
    since = fake.mark()
    fake.press(ADMIN, listing.result, button)
    (prompt,) = await fake.wait_for("sendMessage", since=since, chat_id=ADMIN)
    return prompt


async def test_the_faq_dialogue_can_be_cancelled(fake_api: FakeBotAPI, bot, bot_settings) -> None:
    faq = bot_settings.knowledge_dir / "faq.csv"
    before = faq.read_bytes() if faq.exists() else None
    prompt = await _faq_prompt(fake_api)
    malformed = await fake_api.reply_to(fake_api.send_text(ADMIN, "答案 | 1.1 | 多余", reply_to=prompt.result))
    assert "格式是" in malformed.result["text"]  # still in the dialogue
    cancelled = await ask(fake_api, "/cancel", user=ADMIN)
    assert "已取消" in cancelled.result["text"]
    late = await fake_api.reply_to(fake_api.send_text(ADMIN, "报告没有写。 | 3.1", reply_to=prompt.result))
    assert "已结束" in late.result["text"]  # not written, and not answered as a question either
    assert (faq.read_bytes() if faq.exists() else None) == before
    assert "没有正在进行" in (await ask(fake_api, "/cancel", user=ADMIN)).result["text"]
    assert "35亿美元" in (await ask(fake_api, FOREIGN_CAPITAL, user=ADMIN)).result["text"]


async def test_the_faq_dialogue_times_out(fake_api: FakeBotAPI, bot_settings, shared_engine,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.telegram import admin

    monkeypatch.setattr(admin, "FAQ_TIMEOUT", 1)
    async with running(build_application(bot_settings, shared_engine)):
        prompt = await _faq_prompt(fake_api)
        since = fake_api.mark()
        (notice,) = await fake_api.wait_for("sendMessage", since=since, chat_id=ADMIN, timeout=5)
        assert "已结束" in notice.result["text"]
        late = await fake_api.reply_to(fake_api.send_text(ADMIN, "报告没有写。 | 3.1", reply_to=prompt.result))
        assert "已结束" in late.result["text"]
    assert "报告没有写" not in (bot_settings.knowledge_dir / "faq.csv").read_text(encoding="utf-8")


async def test_a_reply_to_a_faq_prompt_after_a_restart_is_not_taken_for_a_question(
        fake_api: FakeBotAPI, bot_settings, shared_engine) -> None:
    async with running(build_application(bot_settings, shared_engine)):
        prompt = await _faq_prompt(fake_api)
    async with running(build_application(bot_settings, shared_engine)):  # the dialogue did not survive
        late = await fake_api.reply_to(fake_api.send_text(ADMIN, "报告没有写。 | 3.1", reply_to=prompt.result))
        assert "已结束" in late.result["text"] and "/unanswered" in late.result["text"]
    assert "报告没有写" not in (bot_settings.knowledge_dir / "faq.csv").read_text(encoding="utf-8")


async def test_outline_buttons_survive_a_restart_only_with_the_same_knowledge(fake_api: FakeBotAPI,
                                                                             bot_settings) -> None:
    async with running(build_application(bot_settings)):
        listing = await ask(fake_api, "/sections")
    first = data_starting(listing, "s:")[1]  # a part with sub-sections
    async with running(build_application(bot_settings)):  # a restart: same knowledge, same store
        since = fake_api.mark()
        fake_api.press(USER, listing.result, first)
        (shown,) = await fake_api.wait_for("sendMessage", since=since, chat_id=USER)
        assert data_starting(shown, "s:")
    (bot_settings.knowledge_dir / "spring-festival.txt").write_text(NEW_REPORT, encoding="utf-8")
    async with running(build_application(bot_settings)):  # a restart with changed knowledge
        since = fake_api.mark()
        fake_api.press(USER, listing.result, first)
        (ack,) = await fake_api.wait_for("answerCallbackQuery", since=since)
        assert ack.params["text"] == STALE_OUTLINE
        await asyncio.sleep(0.1)
        assert not fake_api.find("sendMessage", since=since)


async def test_addfaq_writes_the_knowledge_folder(fake_api: FakeBotAPI, bot, bot_settings) -> None:
    usage = await ask(fake_api, "/addfaq 只有问题", user=ADMIN)
    assert "用法" in usage.result["text"]
    done = await ask(fake_api, "/addfaq 侨商会微信群是谁建的？ | XX市侨办建立了XX市侨商会微信群。 | 1.2", user=ADMIN)
    assert "已写入" in done.result["text"]
    lines = (bot_settings.knowledge_dir / "faq.csv").read_text(encoding="utf-8").splitlines()
    assert lines[-1].startswith("侨商会微信群是谁建的？,")
    again = await ask(fake_api, "/addfaq 侨商会微信群是谁建的？ | 别的答案", user=ADMIN)
    assert "没有添加" in again.result["text"]


# --- reload: needs its own engine over its own knowledge -------------------------------------------

NEW_REPORT = """关于海外侨胞春节慰问活动的情况报告
一、慰问活动概况
今年春节期间，市侨办共走访慰问海外侨胞和归侨侨眷家庭386户，发放慰问金共计57万元。
二、下一步打算
明年将继续扩大慰问范围，重点关注困难归侨。
"""


async def test_reload_picks_up_a_new_report(fake_api: FakeBotAPI, bot_settings) -> None:
    async with running(build_application(bot_settings)) as app:  # engine opened in post_init
        before = app.bot_data.engine.counts()
        (bot_settings.knowledge_dir / "spring-festival.txt").write_text(NEW_REPORT, encoding="utf-8")
        reply = await ask(fake_api, "/reload", user=ADMIN)
        text = reply.result["text"]
        assert "已重新加载" in text and "用时" in text
        assert f"文档：{before['documents']} → {before['documents'] + 1}" in text
        answer = await ask(fake_api, "春节期间走访慰问了多少户？")
        assert "386户" in answer.result["text"]
        assert "35亿美元" in (await ask(fake_api, FOREIGN_CAPITAL)).result["text"]


async def test_broken_knowledge_on_reload_keeps_the_old_answering(fake_api: FakeBotAPI, bot_settings) -> None:
    async with running(build_application(bot_settings)) as app:
        engine = app.bot_data.engine
        faq = bot_settings.knowledge_dir / "faq.csv"
        faq.write_text("question,alternates,answer,doc,section\n"
                       "合同外资引进了多少？,,35亿美元,,1.1\n"
                       "实际利用外资多少？,,,,\n", encoding="utf-8")  # line 3 has no answer
        reply = await ask(fake_api, "/reload", user=ADMIN)
        text = reply.result["text"]
        assert "重新加载失败" in text and "仍在使用原来的知识库" in text
        assert "faq.csv, line 3" in text
        assert app.bot_data.engine is engine
        assert "35亿美元" in (await ask(fake_api, FOREIGN_CAPITAL)).result["text"]


async def test_questions_during_a_reload_are_answered_by_the_old_knowledge(fake_api: FakeBotAPI,
                                                                           bot_settings) -> None:
    async with running(build_application(bot_settings)):
        since = fake_api.mark()
        fake_api.send_text(ADMIN, "/reload")
        fake_api.send_text(ADMIN, "/reload")  # a second one while the first runs
        answer = await ask(fake_api, FOREIGN_CAPITAL)
        assert "35亿美元" in answer.result["text"]
        replies = await fake_api.wait_for("sendMessage", since=since, chat_id=ADMIN, count=2, timeout=20)
        texts = [c.result["text"].split("\n")[0] for c in replies]
        assert any("正在重新加载" in t for t in texts) and any("已重新加载" in t for t in texts)
        done = next(c for c in replies if "已重新加载" in c.result["text"])
        assert answer.at < done.at  # answered while the reload was still building


# --- errors and shutdown ---------------------------------------------------------------------------

async def test_an_error_is_logged_and_the_user_gets_an_apology(fake_api: FakeBotAPI, bot_settings, shared_engine,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        """Fault injection: an engine whose ask() fails (everything else is the real one)."""

        def __getattr__(self, name):
            return getattr(shared_engine, name)

        def ask(self, question: str):
            raise RuntimeError("index corrupted")

    async with running(build_application(bot_settings, shared_engine)) as app:
        app.bot_data.engine = Broken()
        since = fake_api.mark()
        fake_api.send_text(USER, FOREIGN_CAPITAL)
        await fake_api.wait_for("sendMessage", since=since, where=lambda c: "抱歉" in c.result["text"])
        assert "index corrupted" in caplog.text and "error while handling update" in caplog.text
        assert FOREIGN_CAPITAL not in caplog.text  # users' words stay out of the logs
        app.bot_data.engine = shared_engine
        assert "35亿美元" in (await ask(fake_api, FOREIGN_CAPITAL)).result["text"]


async def test_shutdown_confirms_updates_and_is_quick(fake_api: FakeBotAPI, bot_settings, shared_engine) -> None:
    app = build_application(bot_settings, shared_engine)
    async with running(app):
        message = fake_api.send_text(USER, FOREIGN_CAPITAL)
        await fake_api.reply_to(message)
        started = time.monotonic()
    assert time.monotonic() - started < 3
    last = fake_api.find("getUpdates")[-1]
    assert last.params["timeout"] == 0 and fake_api.confirmed_offset > 0
    assert not fake_api.updates  # nothing left unconfirmed: a restart would not answer twice


def test_qiaobot_run_answers_and_stops_cleanly_on_sigterm(fake_api: FakeBotAPI, knowledge_dir: Path,
                                                         tmp_path: Path) -> None:
    env = dict(os.environ, TELEGRAM_BOT_TOKEN=fake_api.token, TELEGRAM_API_BASE_URL=fake_api.base_url,
               BOT_KNOWLEDGE_DIR=str(knowledge_dir), BOT_DATA_DIR=str(tmp_path / "data"),
               BOT_ADMIN_IDS=str(ADMIN), NO_PROXY="127.0.0.1,localhost", PYTHONPATH=str(REPO), LOG_LEVEL="DEBUG")
    fake_api.inject("getUpdates", "500")  # what gets logged on the way must not carry the token either
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        message = fake_api.send_text(USER, FOREIGN_CAPITAL)
        asyncio.run(fake_api.reply_to(message, timeout=30))
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        out, err = process.communicate(timeout=10)
        assert time.monotonic() - started < 5
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "getUpdates" in err  # debug logging was on
    assert fake_api.token not in out + err and fake_api.token.split(":")[1] not in out + err
    assert "Traceback" not in err


@pytest.mark.parametrize("case", ["refused token", "unreachable", "http webhook", "bad secret token"])
def test_run_start_up_failures_are_config_errors(fake_api: FakeBotAPI, bot_settings, case: str,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """`qiaobot run` prints a ConfigError as one line; nothing else may escape or be logged as an error."""
    token = "999:refused-token-abc" if case == "refused token" else fake_api.token
    base_url = "http://127.0.0.1:9/bot" if case == "unreachable" else fake_api.base_url
    settings = dataclasses.replace(bot_settings, token=token, api_base_url=base_url)
    webhook = {"http webhook": ("http://example.org/hook", None),
               "bad secret token": ("https://example.org/hook", "no spaces allowed")}.get(case, (None, None))
    with pytest.raises(ConfigError) as info:
        run(settings, webhook_url=webhook[0], secret_token=webhook[1])
    message = str(info.value)
    assert "\n" not in message and token not in message
    expected = {"refused token": "TELEGRAM_BOT_TOKEN", "unreachable": "TELEGRAM_API_BASE_URL",
                "http webhook": "https://", "bad secret token": "--secret-token"}[case]
    assert expected in message
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_inline_results_are_titled_by_the_exact_answer_or_the_first_line(fake_api: FakeBotAPI, bot,
                                                                            shared_engine) -> None:
    """A figure, a name: the span itself; a section summary (no span): its first line."""
    titles = {}
    for question in ("侨务工作领导小组组长是谁", "侨务工作有哪些做法"):
        since = fake_api.mark()
        query_id = fake_api.inline_query(USER, question)
        (answer,) = await fake_api.wait_for("answerInlineQuery", since=since, inline_query_id=query_id)
        titles[question] = answer.params["results"][0]["title"]
    person = shared_engine.ask("侨务工作领导小组组长是谁")
    assert person.span and titles["侨务工作领导小组组长是谁"] == person.span
    summary = shared_engine.ask("侨务工作有哪些做法")
    assert summary.span is None and titles["侨务工作有哪些做法"] == summary.text.split("\n")[0]
