"""Adding a report from Telegram: an admin sends a document in a private chat, sees a preview built
beside the serving knowledge, and presses 加入. Through the fake Bot API, getFile and its file server."""

from __future__ import annotations

import os

import pytest

from bot.telegram import build_application
from tests.fakebotapi import Call, FakeBotAPI
from tests.telegram_fixtures import ADMIN, USER, running

pytestmark = pytest.mark.anyio

REPORT = """关于海外侨胞春节慰问活动的情况报告
一、慰问活动概况
今年春节期间，市侨办共走访慰问海外侨胞和归侨侨眷家庭386户，发放慰问金共计57万元。
二、下一步打算
明年将继续扩大慰问范围，重点关注困难归侨。
"""
ONLY_THIS_REPORT = "春节期间走访慰问了多少户？"
SHIPPED = ("合同外资引进了多少？", "35亿美元")


def buttons(call: Call) -> list[tuple[str, str]]:
    markup = call.params.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


async def ask(fake: FakeBotAPI, text: str, user: int = USER) -> str:
    return (await fake.reply_to(fake.send_text(user, text), timeout=20)).result["text"]


async def send(fake: FakeBotAPI, name: str, content: bytes, user: int = ADMIN, **options) -> Call:
    """A user sends a document; the bot's reply to it."""
    return await fake.reply_to(fake.send_document(user, name, content, **options), timeout=30)


async def press_first(fake: FakeBotAPI, reply: Call) -> Call:
    """The admin presses the first button under the preview; the bot's next message."""
    since = fake.mark()
    fake.press(ADMIN, reply.result, buttons(reply)[0][1])
    (done,) = await fake.wait_for("sendMessage", since=since, chat_id=ADMIN, timeout=30)
    return done


@pytest.fixture
def settings(bot_settings, fake_api: FakeBotAPI):
    assert bot_settings.api_base_url == fake_api.base_url  # the file URL is derived from it
    return bot_settings


async def test_an_admins_report_is_previewed_added_and_kept_after_a_restart(fake_api: FakeBotAPI, settings) -> None:
    async with running(build_application(settings)):
        assert "386户" not in await ask(fake_api, ONLY_THIS_REPORT)
        reply = await send(fake_api, "spring-festival.txt", REPORT.encode())
        text = reply.result["text"]
        assert "《关于海外侨胞春节慰问活动的情况报告》" in text and "章节：一级 2 个" in text and "事实：" in text
        assert [label for label, _ in buttons(reply)] == ["加入", "取消"]
        assert fake_api.find("getFile") and not (settings.knowledge_dir / "spring-festival.txt").exists()
        done = await press_first(fake_api, reply)
        assert "已重新加载" in done.result["text"]
        assert "386户" in await ask(fake_api, ONLY_THIS_REPORT)
        assert SHIPPED[1] in await ask(fake_api, SHIPPED[0])
    assert (settings.knowledge_dir / "spring-festival.txt").read_bytes() == REPORT.encode()
    assert not os.listdir(settings.data_dir / "uploads")  # the staging copy is gone
    async with running(build_application(settings)):  # a restart with the same data folder
        assert "386户" in await ask(fake_api, ONLY_THIS_REPORT)


async def test_a_non_admins_document_is_refused_without_downloading(fake_api: FakeBotAPI, bot) -> None:
    reply = await send(fake_api, "spring-festival.txt", REPORT.encode(), user=USER)
    assert "只有管理员" in reply.result["text"]
    assert not fake_api.find("getFile", ok=None) and not fake_api.downloads


async def test_a_file_over_20_mb_is_refused_without_downloading(fake_api: FakeBotAPI, bot) -> None:
    reply = await send(fake_api, "big.pdf", b"%PDF-1.4", size=25 * 1024 * 1024)
    assert "20 MB" in reply.result["text"]
    assert not fake_api.find("getFile", ok=None) and not fake_api.downloads


@pytest.mark.parametrize("name, content", [
    ("random.pdf", os.urandom(4096)),
    ("empty.txt", b""),
    ("notes.exe", b"MZ\x90\x00"),
])
async def test_a_file_that_is_not_a_report_changes_nothing(fake_api: FakeBotAPI, bot, settings,
                                                           name: str, content: bytes) -> None:
    before = sorted(p.name for p in settings.knowledge_dir.iterdir())
    reply = await send(fake_api, name, content)
    assert reply.result["text"].startswith(("❌", "只能添加")) and not buttons(reply)
    assert sorted(p.name for p in settings.knowledge_dir.iterdir()) == before
    assert SHIPPED[1] in await ask(fake_api, SHIPPED[0])


async def test_cancel_and_a_same_named_report(fake_api: FakeBotAPI, bot, settings) -> None:
    shipped = next(p for p in settings.knowledge_dir.iterdir() if p.suffix == ".txt")
    original = shipped.read_bytes()
    reply = await send(fake_api, shipped.name, REPORT.encode())
    assert "将替换" in reply.result["text"] and buttons(reply)[0][0] == "替换"
    since = fake_api.mark()
    fake_api.press(ADMIN, reply.result, buttons(reply)[1][1])  # 取消
    (cancelled,) = await fake_api.wait_for("sendMessage", since=since, chat_id=ADMIN)
    assert "已取消" in cancelled.result["text"] and shipped.read_bytes() == original
    again = await send(fake_api, shipped.name, REPORT.encode())
    done = await press_first(fake_api, again)  # 替换
    assert "已重新加载" in done.result["text"]
    assert shipped.read_bytes() == REPORT.encode()
    kept = list((settings.knowledge_dir / ".removed").iterdir())
    assert [p.read_bytes() for p in kept] == [original]  # nothing lost
    assert "386户" in await ask(fake_api, ONLY_THIS_REPORT)


async def test_a_report_the_build_refuses_is_explained_by_its_name(fake_api: FakeBotAPI, bot, settings) -> None:
    mixed = REPORT.encode() + "另附说明：慰问对象名单。".encode("gbk")  # UTF-8 and GBK in one file: neither
    reply = await send(fake_api, "gbk-report.txt", mixed)
    text = reply.result["text"]
    assert text.startswith("❌") and "gbk-report.txt" in text and not buttons(reply)
    assert str(settings.data_dir) not in text  # the staging folder is ours, not the admin's
    assert not (settings.knowledge_dir / "gbk-report.txt").exists()
