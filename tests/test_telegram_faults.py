"""Telegram faults through the fake Bot API: 429 with retry_after, 500s, slow answers, dropped
connections — the bot waits when Telegram says so, repeats only what cannot arrive twice, answers
later messages, and no unhandled exception escapes. Also a burst of 500 questions from 50 users."""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import time

import pytest

from bot.telegram import transport
from bot.telegram.send import send_html
from tests.fakebotapi import Call, FakeBotAPI
from tests.telegram_fixtures import OTHER, USER

pytestmark = pytest.mark.anyio

QUESTION = "合同外资引进了多少？"
FACT = "35亿美元"


@pytest.fixture(autouse=True)
def no_unhandled_errors(caplog: pytest.LogCaptureFixture):
    """Whatever Telegram does, nothing reaches the error handler or escapes as a lost task."""
    caplog.set_level(logging.INFO)
    yield
    escaped = [r for r in caplog.records if r.levelno >= logging.ERROR and
               (r.name == "asyncio" or "error while handling" in r.getMessage())]
    assert not escaped, [r.getMessage() for r in escaped]


async def answer_to(fake: FakeBotAPI, user: int = USER, text: str = QUESTION, timeout: float = 8) -> Call:
    since = fake.mark()
    message = fake.send_text(user, text)
    return await fake.reply_to(message, since=since, timeout=timeout)


def outcomes(fake: FakeBotAPI, method: str = "sendMessage") -> list[tuple[str | None, bool]]:
    return [(c.fault, c.ok) for c in fake.find(method, ok=None)]


async def test_flood_control_is_waited_out(fake_api: FakeBotAPI, bot) -> None:
    fake_api.inject("sendMessage", "429", retry_after=1)
    started = time.monotonic()
    reply = await answer_to(fake_api)
    assert FACT in reply.result["text"]
    assert time.monotonic() - started >= 1.0
    assert outcomes(fake_api) == [("429", False), (None, True)]


@pytest.mark.parametrize("kind", ["500", "drop", "timeout"])
async def test_a_reply_that_may_have_arrived_is_not_sent_again(fake_api: FakeBotAPI, bot, kind: str,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    """Telegram may have delivered it (here it did): resending would show the user the answer twice."""
    fake_api.inject("sendMessage", kind, processed=True)
    since = fake_api.mark()
    fake_api.send_text(USER, QUESTION)
    await fake_api.wait_for("sendMessage", since=since, ok=False)
    reply = await answer_to(fake_api, user=OTHER)
    assert FACT in reply.result["text"]
    await asyncio.sleep(0.3)
    assert outcomes(fake_api) == [(kind, False), (None, True)]  # one attempt for USER, one for OTHER
    assert "reply skipped" in caplog.text


@pytest.mark.parametrize("kind", ["500", "drop"])
async def test_calls_safe_to_repeat_are_retried(fake_api: FakeBotAPI, bot, kind: str) -> None:
    reply = await answer_to(fake_api)
    thumbs_up = next(b["callback_data"] for row in reply.params["reply_markup"]["inline_keyboard"] for b in row
                     if b["callback_data"].startswith("fb:"))
    fake_api.inject("answerCallbackQuery", kind, times=2)
    since = fake_api.mark()
    fake_api.press(USER, reply.result, thumbs_up)
    (ack,) = await fake_api.wait_for("answerCallbackQuery", since=since)
    assert "谢谢" in ack.params["text"]
    assert outcomes(fake_api, "answerCallbackQuery") == [(kind, False), (kind, False), (None, True)]
    assert bot.bot_data.activity.get(int(thumbs_up.split(":")[1])).feedback == 1


async def test_a_request_that_never_left_is_retried_then_given_up(monkeypatch: pytest.MonkeyPatch,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    """No connection at all: nothing can have been delivered, so even sendMessage is tried again."""
    from telegram import Bot
    from telegram.error import NetworkError

    monkeypatch.setattr(transport, "BACKOFF", 0.01)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bot = Bot("1:x", base_url=f"http://127.0.0.1:{port}/bot", request=transport.TelegramRequest())
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "x")
    assert caplog.text.count("sendMessage: NetworkError; trying again") == transport.ATTEMPTS - 1


async def test_slow_telegram_does_not_hold_up_other_users(fake_api: FakeBotAPI, bot) -> None:
    fake_api.inject("sendMessage", "slow", delay=1.0)
    since = fake_api.mark()
    slow = fake_api.send_text(USER, QUESTION)
    await asyncio.sleep(0.2)
    quick = await answer_to(fake_api, user=OTHER)
    late = await fake_api.reply_to(slow, since=since)
    assert quick.at < late.at + 1.0  # the other user's answer did not wait behind the slow one
    assert FACT in late.result["text"]


async def test_polling_survives_get_updates_faults(fake_api: FakeBotAPI, bot) -> None:
    for kind in ("500", "drop", "429"):
        fake_api.inject("getUpdates", kind, retry_after=1)
        reply = await answer_to(fake_api, timeout=10)
        assert FACT in reply.result["text"]
    faults = [c.fault for c in fake_api.find("getUpdates", ok=False)]
    assert faults == ["500", "drop", "429"]


async def test_html_telegram_cannot_parse_is_sent_as_plain_text(fake_api: FakeBotAPI, bot,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    fake_api.private_chat(USER)
    sent = await send_html(bot.bot, USER, "<b>未闭合 & 1 < 2")
    assert sent is not None and sent.text == "未闭合 & 1 < 2"
    assert [c.ok for c in fake_api.find("sendMessage", ok=None)] == [False, True]


async def test_an_apology_that_cannot_be_sent_is_not_fatal(fake_api: FakeBotAPI, bot, shared_engine,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        """Fault injection: an engine whose ask() fails."""

        def __getattr__(self, name):
            return getattr(shared_engine, name)

        def ask(self, question: str):
            raise RuntimeError("disk gone")

    bot.bot_data.engine = Broken()
    fake_api.inject("sendMessage", "500")  # the apology fails too
    since = fake_api.mark()
    fake_api.send_text(USER, QUESTION)
    await fake_api.wait_for("sendMessage", since=since, ok=False)
    bot.bot_data.engine = shared_engine
    reply = await answer_to(fake_api, user=OTHER)
    assert FACT in reply.result["text"]
    logged = [r for r in caplog.records if "error while handling" in r.getMessage()]
    assert len(logged) == 1
    caplog.records.remove(logged[0])  # expected here; the autouse check looks for others


async def test_a_burst_of_500_questions_from_50_users(fake_api: FakeBotAPI, bot) -> None:
    """Every user answered, the flooding user limited, memory flat afterwards."""
    flooder, users = 9000, list(range(5000, 5049))

    def objects_after_forgetting() -> int:
        fake_api.forget()  # the fake's own call log is not the bot's memory
        bot.bot_data.limiter.reset()
        gc.collect()
        return len(gc.get_objects())

    # warm up: every user has talked to the bot once (python-telegram-bot keeps a dict per user and chat)
    since = fake_api.mark()
    for user in [*users, flooder]:
        fake_api.send_text(user, QUESTION)
    await fake_api.wait_for("sendMessage", since=since, count=len(users) + 1, timeout=30)
    before = objects_after_forgetting()

    since = fake_api.mark()
    for round_ in range(8):
        for user in users:
            fake_api.send_text(user, f"{QUESTION}（{round_}）")
    for i in range(500 - 8 * len(users)):
        fake_api.send_text(flooder, f"{QUESTION} #{i}")
    await fake_api.wait_confirmed(timeout=30)
    await fake_api.wait_for("sendMessage", since=since, count=8 * len(users) + 9, timeout=60)
    await asyncio.sleep(0.3)

    for user in users:
        replies = fake_api.find("sendMessage", since=since, chat_id=user)
        assert len(replies) == 8 and all(FACT in c.result["text"] for c in replies)
    to_flooder = [c.result["text"] for c in fake_api.find("sendMessage", since=since, chat_id=flooder)]
    assert len(to_flooder) == 9 and sum("太快" in t for t in to_flooder) == 1
    assert not fake_api.find("sendMessage", since=since, ok=False)
    after = objects_after_forgetting()
    assert after - before < 1000, f"{after - before} more objects after 500 questions"


async def test_the_token_stays_out_of_logs_under_faults(fake_api: FakeBotAPI, bot,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # everything python-telegram-bot, httpx and the bot log
    fake_api.inject("getUpdates", "drop")
    fake_api.inject("sendMessage", "drop")  # this reply is skipped: it may have arrived
    fake_api.inject("sendMessage", "429", retry_after=1)  # this one waited out
    since = fake_api.mark()
    fake_api.send_text(USER, QUESTION)
    await fake_api.wait_for("sendMessage", since=since, ok=False)
    reply = await answer_to(fake_api)
    assert FACT in reply.result["text"]
    fake_api.send_text(USER, "/reload@qiaowu_test_bot")
    await answer_to(fake_api, user=OTHER)
    assert "getUpdates" in caplog.text  # debug logging was on
    assert fake_api.token not in caplog.text
    assert fake_api.token.split(":")[1] not in caplog.text


async def test_an_update_the_library_cannot_read_is_skipped_and_everyone_else_answered(
        fake_api: FakeBotAPI, bot_settings, shared_engine, caplog: pytest.LogCaptureFixture) -> None:
    """A poll without the fields a newer Bot API made required, in one getUpdates batch with others."""
    from bot.telegram import build_application
    from tests.telegram_fixtures import running

    attacker, secret = 987_654_321, "机密问题"
    before = fake_api.send_text(USER, QUESTION)
    poll = {"id": "1", "question": secret}  # no options, type, counts …
    bad_id = fake_api.send_raw("message", fake_api.message_with(attacker, poll=poll, caption=secret))
    after = fake_api.send_text(OTHER, QUESTION)
    async with running(build_application(bot_settings, shared_engine)):  # polling starts: one batch of three
        for message in (before, after):
            assert FACT in (await fake_api.reply_to(message)).result["text"]
        later = await answer_to(fake_api, user=OTHER)
        assert FACT in later.result["text"]
    batches = [c.result for c in fake_api.find("getUpdates")]
    assert sum(bad_id in [u["update_id"] for u in batch] for batch in batches) == 1  # fetched once, confirmed
    assert fake_api.confirmed_offset > bad_id
    skipped = [r for r in caplog.records if "cannot be read" in r.getMessage()]
    assert len(skipped) == 1 and str(bad_id) in skipped[0].getMessage()
    shown = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records if r.levelno >= logging.INFO)
    for private in (secret, QUESTION, str(attacker), str(USER), str(OTHER), f"用户{attacker}"):
        assert private not in shown
    assert not [r for r in caplog.records if r.levelno >= logging.CRITICAL]


async def test_webhook_mode_skips_an_update_the_library_cannot_read(
        fake_api: FakeBotAPI, bot_settings, shared_engine, caplog: pytest.LogCaptureFixture) -> None:
    """The same poll posted to the webhook: answered 200 (else Telegram sends it again and again),
    logged once by id, and the next user's question answered."""
    from bot.telegram import ALLOWED_UPDATES, build_application, webhook
    from tests.test_privacy import free_port, post_update

    attacker, secret, token = 987_654_321, "机密问题", "s3cret-token"
    port, stop = free_port(), asyncio.Event()
    app = build_application(bot_settings, shared_engine)
    serving = asyncio.create_task(webhook.serve(app, "127.0.0.1", port, "hook", "https://bot.example/hook",
                                                token, ALLOWED_UPDATES, stop))
    try:
        (set_webhook,) = await fake_api.wait_for("setWebhook", timeout=30)
        assert set_webhook.params["secret_token"] == token
        await fake_api.wait_for("setMyCommands", timeout=30)
        poll = {"id": "1", "question": secret}  # no options, type, counts …
        bad_id = fake_api.send_raw("message", fake_api.message_with(attacker, poll=poll, caption=secret))
        bad = fake_api.updates[-1]
        since = fake_api.mark()
        message = fake_api.send_text(USER, QUESTION)
        good = fake_api.updates[-1]
        for update in (bad, bad, good):  # Telegram would deliver it twice had the first failed
            assert await asyncio.to_thread(post_update, port, update, token) == 200
        reply = await fake_api.reply_to(message, since=since, timeout=10)
        assert FACT in reply.result["text"]
        assert await asyncio.to_thread(post_update, port, good, "wrong") == 403
    finally:
        stop.set()
        await asyncio.wait_for(serving, 30)
    skipped = [r for r in caplog.records if "cannot be read" in r.getMessage()]
    assert len(skipped) == 2 and all(str(bad_id) in r.getMessage() for r in skipped)  # once per delivery
    shown = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records if r.levelno >= logging.INFO)
    for private in (secret, QUESTION, str(attacker), str(USER), f"用户{attacker}", token):
        assert private not in shown
    assert not [r for r in caplog.records if r.levelno >= logging.CRITICAL]
