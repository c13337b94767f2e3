"""The fake Bot API server: it must speak Telegram's wire format and reject what Telegram rejects,
or the Telegram tests prove nothing about production. Driven by python-telegram-bot's real Bot."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import httpx
import pytest
from telegram import Bot, BotCommand, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from tests.fakebotapi import FakeBotAPI, parse_html

pytestmark = pytest.mark.anyio

USER = 4242


def bot_for(fake: FakeBotAPI, read_timeout: float = 5.0) -> Bot:
    return Bot(fake.token, base_url=fake.base_url, request=HTTPXRequest(read_timeout=read_timeout),
               get_updates_request=HTTPXRequest(read_timeout=read_timeout))


@pytest.mark.parametrize(
    "source, text, types",
    [
        ("plain", "plain", []),
        ("<b>粗</b>体", "粗体", ["bold"]),
        ("<i>a</i> <code>x &lt; y</code>", "a x < y", ["italic", "code"]),
        ('<a href="https://example.org/?a=1&amp;b=2">链接</a>', "链接", ["text_link"]),
        ('<span class="tg-spoiler">秘</span>', "秘", ["spoiler"]),
        ("<blockquote expandable>引用</blockquote>", "引用", ["expandable_blockquote"]),
        ("&#20303;&#x623F; &quot;q&quot; &amp; &gt;", '住房 "q" & >', []),
        ("👍<b>x</b>", "👍x", ["bold"]),
    ],
)
def test_parse_html_accepts_telegram_html(source: str, text: str, types: list[str]) -> None:
    plain, entities = parse_html(source)
    assert plain == text
    assert [e["type"] for e in entities] == types


def test_entity_offsets_are_utf16() -> None:
    _, entities = parse_html("👍<b>x</b>")
    assert entities == [{"type": "bold", "offset": 2, "length": 1}]


@pytest.mark.parametrize(
    "source",
    ["<b>unclosed", "<b><i>x</b></i>", "x</b>", "<div>x</div>", "<br>", "<br/>", "a < b",
     "<script>x</script>", "AT&T", "&nbsp;", "<span>x</span>", "<a>x</a>",
     '<a href="javascript:alert(1)">x</a>', "&#0;", "<>"],
)
def test_parse_html_rejects_what_telegram_rejects(source: str) -> None:
    with pytest.raises(Exception, match="(?i)can't parse entities"):
        parse_html(source)


async def test_get_me_and_send_message_in_the_wire_format(fake_api: FakeBotAPI) -> None:
    chat = fake_api.private_chat(USER)
    async with bot_for(fake_api) as bot:
        assert bot.username == "qiaowu_test_bot"
        message = await bot.send_message(chat["id"], "<b>2024</b>年", parse_mode=ParseMode.HTML)
    assert message.text == "2024年"
    assert message.entities[0].type == "bold"
    call = fake_api.find("sendMessage")[0]
    assert call.params["text"] == "<b>2024</b>年"  # strings arrive raw, never JSON-decoded
    assert call.params["chat_id"] == USER


async def test_numeric_text_stays_text(fake_api: FakeBotAPI) -> None:
    fake_api.private_chat(USER)
    async with bot_for(fake_api) as bot:
        message = await bot.send_message(USER, "2024")
    assert message.text == "2024"
    assert fake_api.find("sendMessage")[0].params["text"] == "2024"


@pytest.mark.parametrize(
    "text, parse_mode, error",
    [
        ("", None, "message text is empty"),
        ("   ", None, "message text is empty"),
        ("<b></b>", ParseMode.HTML, "message text is empty"),
        ("字" * 4097, None, "message is too long"),
        ("<b>x", ParseMode.HTML, "can't parse entities"),
        ("1 < 2", ParseMode.HTML, "can't parse entities"),
    ],
)
async def test_send_message_rejections(fake_api: FakeBotAPI, text: str, parse_mode: str | None,
                                       error: str) -> None:
    fake_api.private_chat(USER)
    async with bot_for(fake_api) as bot:
        with pytest.raises(BadRequest, match=f"(?i){error}"):
            await bot.send_message(USER, text, parse_mode=parse_mode)


async def test_limits_count_visible_text(fake_api: FakeBotAPI) -> None:
    fake_api.private_chat(USER)
    async with bot_for(fake_api) as bot:
        await bot.send_message(USER, "<b>" + "字" * 4096 + "</b>", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match="(?i)too long"):
            await bot.send_message(USER, "👍" * 2049)  # 4098 UTF-16 units


async def test_unknown_chat_and_bad_token(fake_api: FakeBotAPI) -> None:
    async with bot_for(fake_api) as bot:
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.send_message(999, "hi")
    with pytest.raises(InvalidToken):
        async with Bot("1:wrong", base_url=fake_api.base_url):
            pass


async def test_callback_data_limit_is_64_bytes(fake_api: FakeBotAPI) -> None:
    fake_api.private_chat(USER)
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="x" * 64)]])
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("长", callback_data="问" * 22)]])  # 66 bytes
    async with bot_for(fake_api) as bot:
        await bot.send_message(USER, "a", reply_markup=ok)
        with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
            await bot.send_message(USER, "b", reply_markup=too_long)


async def test_get_updates_offset_limit_and_long_poll(fake_api: FakeBotAPI) -> None:
    for text in ("一", "二", "三"):
        fake_api.send_text(USER, text)
    async with bot_for(fake_api) as bot:
        first = await bot.get_updates(limit=2)
        assert [u.message.text for u in first] == ["一", "二"]
        rest = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)
        assert [u.message.text for u in rest] == ["三"]
        # confirmed updates are gone; a long poll waits for the next one
        asyncio.get_running_loop().call_later(0.2, fake_api.send_text, USER, "四")
        started = time.monotonic()
        later = await bot.get_updates(offset=rest[-1].update_id + 1, timeout=3)
        assert [u.message.text for u in later] == ["四"]
        assert 0.1 < time.monotonic() - started < 2.5
        empty = await bot.get_updates(offset=later[-1].update_id + 1, timeout=0.2)
        assert empty == ()


async def test_commands_and_mentions_carry_entities(fake_api: FakeBotAPI) -> None:
    fake_api.send_text(USER, "/ask@qiaowu_test_bot 侨商会")
    fake_api.send_text(USER, "请问 @qiaowu_test_bot 侨商会")
    async with bot_for(fake_api) as bot:
        command, mention = await bot.get_updates()
    assert command.message.entities[0].type == "bot_command"
    assert command.message.entities[0].length == len("/ask@qiaowu_test_bot")
    assert mention.message.parse_entities(["mention"]) == {mention.message.entities[0]: "@qiaowu_test_bot"}


async def test_callback_and_inline_queries_answer_once(fake_api: FakeBotAPI) -> None:
    fake_api.private_chat(USER)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("按", callback_data="s:1")]])
    async with bot_for(fake_api) as bot:
        sent = await bot.send_message(USER, "菜单", reply_markup=markup)
        query_id = fake_api.press(USER, sent.to_dict(), "s:1")
        with pytest.raises(AssertionError):
            fake_api.press(USER, sent.to_dict(), "s:2")  # no such button
        (update,) = await bot.get_updates()
        assert update.callback_query.data == "s:1"
        await bot.answer_callback_query(query_id, text="好")
        with pytest.raises(BadRequest, match="(?i)query is too old"):
            await bot.answer_callback_query(query_id)


async def test_set_my_commands_needs_a_known_chat_for_chat_scope(fake_api: FakeBotAPI) -> None:
    async with bot_for(fake_api) as bot:
        await bot.set_my_commands([BotCommand("help", "帮助")])
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.set_my_commands([BotCommand("reload", "重新加载")], scope=BotCommandScopeChat(777))
        with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
            await bot.set_my_commands([BotCommand("问", "中文命令")])
    assert fake_api.commands["default"] == [{"command": "help", "description": "帮助"}]


async def test_edit_message_text_refuses_no_change(fake_api: FakeBotAPI) -> None:
    fake_api.private_chat(USER)
    async with bot_for(fake_api) as bot:
        sent = await bot.send_message(USER, "一")
        edited = await bot.edit_message_text("二", USER, sent.message_id)
        assert edited.text == "二"
        with pytest.raises(BadRequest, match="(?i)not modified"):
            await bot.edit_message_text("二", USER, sent.message_id)


async def test_fault_injection(fake_api: FakeBotAPI) -> None:
    fake_api.private_chat(USER)
    async with bot_for(fake_api, read_timeout=0.3) as bot:
        fake_api.inject("sendMessage", "429", retry_after=3)
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(USER, "x")
        assert info.value.retry_after in (3, dt.timedelta(seconds=3))  # an int in 22.x, a timedelta later
        fake_api.inject("sendMessage", "500")
        with pytest.raises(NetworkError):
            await bot.send_message(USER, "x")
        fake_api.inject("sendMessage", "drop")
        with pytest.raises(NetworkError):
            await bot.send_message(USER, "x")
        fake_api.inject("sendMessage", "slow", delay=0.6)
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "x")
        fake_api.inject("sendMessage", "slow", delay=0.1)
        assert (await bot.send_message(USER, "still works")).text == "still works"
        await asyncio.sleep(0.5)  # the timed-out call is still being served
    outcomes = [(c.fault, c.ok) for c in fake_api.find("sendMessage", ok=None)]
    assert outcomes == [("429", False), ("500", False), ("drop", False), ("slow", True), ("slow", True)]


async def test_a_second_poller_conflicts(fake_api: FakeBotAPI) -> None:
    async with bot_for(fake_api) as bot, bot_for(fake_api) as other:
        first = asyncio.create_task(bot.get_updates(timeout=2))
        await asyncio.sleep(0.3)
        second = asyncio.create_task(other.get_updates(timeout=0.3))
        with pytest.raises(Conflict):
            await first
        assert await second == ()


def test_raw_wire_errors_have_telegram_shape(fake_api: FakeBotAPI) -> None:
    with httpx.Client() as client:
        answer = client.post(f"{fake_api.base_url}{fake_api.token}/sendMessage",
                             data={"chat_id": "1", "text": "x"})
        assert answer.status_code == 400
        assert answer.json() == {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
        assert client.post(f"{fake_api.base_url}{fake_api.token}/noSuchMethod").status_code == 404
        me = client.post(f"{fake_api.base_url}{fake_api.token}/getMe").json()
        assert me["ok"] and me["result"]["is_bot"] and me["result"]["username"]


async def test_documents_are_fetched_with_getfile_and_over_20_mb_refused(fake_api: FakeBotAPI) -> None:
    bot = Bot(fake_api.token, base_url=fake_api.base_url, base_file_url=fake_api.base_file_url)
    small = fake_api.send_document(USER, "a.txt", "报告".encode())["document"]
    big = fake_api.send_document(USER, "b.pdf", b"0" * (20 * 1024 * 1024 + 1))["document"]
    async with bot:
        file = await bot.get_file(small["file_id"])
        assert bytes(await file.download_as_bytearray()) == "报告".encode()
        with pytest.raises(BadRequest, match="(?i)file is too big"):
            await bot.get_file(big["file_id"])
    assert fake_api.downloads == [small["file_id"]]
