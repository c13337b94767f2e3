"""Reports and FAQ entries managed from Telegram: /reports, /remove with its confirming button,
/restore, /addfaq refused before anything is written; small talk and follow-ups in a chat."""

from __future__ import annotations

import pytest

from tests.fakebotapi import Call, FakeBotAPI
from tests.telegram_fixtures import ADMIN, USER

pytestmark = pytest.mark.anyio

REPORT = "2024年某市侨办工作总结\n一、基本情况\n全年接待海外侨胞来访团组58批次。\n"
ONLY_THIS_REPORT = "接待海外侨胞来访团组多少批次"


def buttons(call: Call) -> list[tuple[str, str]]:
    markup = call.params.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


async def say(fake: FakeBotAPI, text: str, user: int = USER) -> str:
    return (await fake.reply_to(fake.send_text(user, text), timeout=30)).result["text"]


async def reload(fake: FakeBotAPI) -> str:
    since = fake.mark()
    fake.send_text(ADMIN, "/reload")
    calls = await fake.wait_for("sendMessage", since=since, chat_id=ADMIN, timeout=60,
                                where=lambda c: "重新加载" in c.params.get("text", ""))
    return calls[0].params["text"]


async def replies_after_press(fake: FakeBotAPI, reply: Call, count: int) -> list[str]:
    since = fake.mark()
    fake.press(ADMIN, reply.result, buttons(reply)[0][1])
    calls = await fake.wait_for("sendMessage", since=since, chat_id=ADMIN, timeout=60, count=count)
    return [c.result["text"] for c in calls]


async def test_remove_needs_its_button_and_restore_brings_the_report_back(fake_api, bot, bot_settings) -> None:
    (bot_settings.knowledge_dir / "city2024.txt").write_text(REPORT, encoding="utf-8")
    assert "✅" in await reload(fake_api)
    assert "58批次" in await say(fake_api, ONLY_THIS_REPORT)
    listing = await say(fake_api, "/reports", ADMIN)
    assert "city2024" in listing and "2024年某市侨办工作总结" in listing
    asked = await fake_api.reply_to(fake_api.send_text(ADMIN, "/remove city2024"), timeout=30)
    assert buttons(asked)[0][0] == "确认移除"
    assert (bot_settings.knowledge_dir / "city2024.txt").exists()  # nothing moves before the press
    texts = await replies_after_press(fake_api, asked, 2)
    assert "已移除 city2024" in texts[-1]
    assert "58批次" not in await say(fake_api, ONLY_THIS_REPORT)
    assert list((bot_settings.knowledge_dir / ".removed").iterdir())
    since = fake_api.mark()
    fake_api.send_text(ADMIN, "/restore city2024")
    calls = await fake_api.wait_for("sendMessage", since=since, chat_id=ADMIN, timeout=60, count=2)
    assert "已恢复" in calls[-1].result["text"]
    assert "58批次" in await say(fake_api, ONLY_THIS_REPORT)


async def test_report_commands_are_for_admins_only(fake_api, bot, bot_settings) -> None:
    for command in ("/reports", "/remove qiaowu-year-end-summary", "/restore x"):
        assert "只有管理员" in await say(fake_api, command)
    assert (bot_settings.knowledge_dir / "qiaowu-year-end-summary.txt").exists()


@pytest.mark.parametrize("entry, says", [
    ("侨务宣传有哪些做法 | 见报告 | 9.9", "不存在"),
    ("=HYPERLINK(1) | 见报告", "Chinese"),
])
async def test_addfaq_refuses_what_the_build_would_refuse(fake_api, bot, bot_settings, entry, says) -> None:
    before = (bot_settings.knowledge_dir / "faq.csv").read_bytes()
    reply = await say(fake_api, f"/addfaq {entry}", ADMIN)
    assert reply.startswith("❌") and says in reply
    assert (bot_settings.knowledge_dir / "faq.csv").read_bytes() == before


async def test_small_talk_and_a_follow_up_in_a_private_chat(fake_api, bot) -> None:
    hello = await fake_api.reply_to(fake_api.send_text(USER, "你好"), timeout=30)
    assert "您好" in hello.result["text"] and not buttons(hello)  # nothing to rate in a greeting
    assert "35亿美元" in await say(fake_api, "合同外资引进了多少？")
    assert "28亿美元" in await say(fake_api, "那实际利用外资呢")
    assert "不客气" in await say(fake_api, "谢谢")


def many_points_report(points: int) -> str:
    lines = ["2023年某区侨联工作总结", "一、主要工作"]
    lines += [f"{n}.第{n}项工作：走访归侨侨眷{n}户。" for n in range(1, points + 1)]
    return "\n".join(lines) + "\n"


async def test_sections_with_several_reports_asks_which_and_stays_within_limits(fake_api, bot, bot_settings) -> None:
    (bot_settings.knowledge_dir / "district2023.txt").write_text(many_points_report(90), encoding="utf-8")
    assert "✅" in await reload(fake_api)
    since = fake_api.mark()
    fake_api.send_text(USER, "/sections")
    (listing,) = await fake_api.wait_for("sendMessage", since=since, chat_id=USER, timeout=30)
    assert "2 份报告" in listing.result["text"]
    labels = [label for label, _ in buttons(listing)]
    assert "2023年某区侨联工作总结" in labels and "侨务系统年终工作总结" in labels
    since = fake_api.mark()
    choice = [data for label, data in buttons(listing) if label == "2023年某区侨联工作总结"][0]
    fake_api.press(USER, listing.result, choice)
    (edited,) = await fake_api.wait_for("editMessageText", since=since, timeout=30)
    assert "《2023年某区侨联工作总结》" in edited.params["text"]
    part = [data for label, data in buttons(edited) if label.startswith("一、")][0]
    since = fake_api.mark()
    fake_api.press(USER, edited.result if isinstance(edited.result, dict) else listing.result, part)
    (shown,) = await fake_api.wait_for("sendMessage", since=since, chat_id=USER, timeout=30)
    assert "主要工作" in shown.result["text"] and len(buttons(shown)) <= 30


async def test_a_locked_question_log_never_holds_up_the_answer(fake_api, bot, bot_settings) -> None:
    import sqlite3

    assert "35亿美元" in await say(fake_api, "合同外资引进了多少？")  # the log exists and works
    blocker = sqlite3.connect(bot_settings.data_dir / "activity.sqlite3", timeout=1, isolation_level=None)
    blocker.execute("begin exclusive")  # another process holding the log, as a backup tool might
    try:
        locked = await fake_api.reply_to(fake_api.send_text(USER, "侨商会换届是谁来祝贺的？"), timeout=30)
        assert "周向群" in locked.result["text"] and not buttons(locked)  # no row to point buttons at
    finally:
        blocker.execute("rollback")
        blocker.close()
    stats = await say(fake_api, "/stats", ADMIN)
    assert "没能记入日志" in stats
