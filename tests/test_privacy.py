"""Privacy of the people who ask and of the bot's token: pseudonyms keyed outside the database, retention,
/forget, and no part of the token in any output."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.activity import ACTIVITY_FILE, DAY, KEY_FILE, ActivityLog
from bot.answer import Answer
from bot.config import ConfigError, Settings, webhook_secret
from tests.fakebotapi import FakeBotAPI
from tests.telegram_fixtures import ADMIN as ADMIN_ID
from tests.telegram_fixtures import OTHER as OTHER_ID
from tests.telegram_fixtures import USER as USER_ID

USER, OTHER, CHAT = 987_654_321, 123_123_123, 987_654_321  # a private chat's id is the user's id
OLD_SCHEMA = """
create table meta (key text primary key, value text not null);
create table questions (id integer primary key, at real not null, user_hash text not null,
    chat_hash text not null, channel text not null, question text not null, answered integer not null,
    score real not null, doc text not null default '', path text not null default '[]',
    suggestions text not null default '[]', feedback integer, feedback_at real,
    faq_added integer not null default 0);
create table faq_additions (id integer primary key, at real not null, admin_hash text not null,
    question text not null, answer text not null, section text not null, source_id integer);
"""


def question(text: str = "我的侨眷证明怎么办？") -> Answer:
    return Answer(text, False, "没有提到", [], 0.1)


def db_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.glob(ACTIVITY_FILE + "*")))


def stored_values(db_file: Path) -> list[str]:
    """Every cell of every table: what an attacker holding the file alone can use."""
    db = sqlite3.connect(db_file)
    tables = [t for (t,) in db.execute("select name from sqlite_master where type = 'table'")]
    values = [str(v) for t in tables for row in db.execute(f"select * from {t}") for v in row if v is not None]
    db.close()
    return values


def candidate_keys(values: list[str]) -> list[bytes]:
    keys = [v.encode() for v in values]
    for v in values:
        with contextlib.suppress(ValueError):
            keys.append(bytes.fromhex(v))
    return keys + [b""]


def test_a_copy_of_the_database_alone_gives_no_id_back(tmp_path: Path) -> None:
    data = tmp_path / "data"
    log = ActivityLog.open(data)
    for n in range(5):
        log.log_question(USER + n, CHAT + n, "private", question())
    stored = {log.user_hash(USER), log.chat_hash(CHAT)}
    log.close()
    key = (data / KEY_FILE).read_bytes().strip()
    assert stat.S_IMODE((data / KEY_FILE).stat().st_mode) == 0o600
    backup = tmp_path / "backup"
    backup.mkdir()
    shutil.copy(data / ACTIVITY_FILE, backup / ACTIVITY_FILE)  # as a backup or an export carries it
    assert key not in db_bytes(data) and key not in db_bytes(backup)
    values = stored_values(backup / ACTIVITY_FILE)
    assert stored <= set(values)
    # The attacker knows the format and tries ids near a known one with everything the file holds.
    for candidate in candidate_keys(values):
        for uid in range(USER - 200, USER + 200):
            for kind in ("user", "chat"):
                message = f"{kind}:{uid}".encode()
                assert hmac.new(candidate, message, hashlib.sha256).hexdigest()[:32] not in stored
                assert hashlib.sha256(candidate + message).hexdigest()[:32] not in stored


def test_the_key_file_survives_a_restart_and_is_the_same_for_two_logs(tmp_path: Path) -> None:
    first = ActivityLog.open(tmp_path)
    pseudonym = first.user_hash(USER)
    first.close()
    second = ActivityLog.open(tmp_path)
    assert second.user_hash(USER) == pseudonym
    second.close()
    assert ActivityLog.open(tmp_path / "elsewhere").user_hash(USER) != pseudonym


def test_the_key_may_come_from_the_environment_or_a_secret_file(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    key = "k" * 16 + "0123456789abcdef0123"
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BOT_ID_KEY", key)
    settings = Settings.from_env()
    assert settings.id_key == key and key not in repr(settings)
    log = ActivityLog.open(settings.data_dir, settings.id_key)
    assert not (settings.data_dir / KEY_FILE).exists()
    assert log.user_hash(USER) == ActivityLog.open(tmp_path / "other", key).user_hash(USER)
    monkeypatch.delenv("BOT_ID_KEY")
    secret = tmp_path / "secret"
    secret.write_text(key + "\n")
    monkeypatch.setenv("BOT_ID_KEY_FILE", str(secret))
    assert Settings.from_env().id_key == key
    secret.write_text("short\n")
    with pytest.raises(ConfigError, match="BOT_ID_KEY_FILE"):
        Settings.from_env()
    monkeypatch.setenv("BOT_ID_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="BOT_ID_KEY_FILE"):
        Settings.from_env()
    monkeypatch.setenv("BOT_ID_KEY", "too short")
    with pytest.raises(ConfigError, match="BOT_ID_KEY.*openssl rand"):
        Settings.from_env()


def test_a_changed_key_is_told_not_silently_used(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    first = ActivityLog.open(tmp_path, "a" * 40)
    first.log_question(USER, CHAT, "private", question())
    first.close()
    with caplog.at_level(logging.WARNING, logger="bot.activity"):
        second = ActivityLog.open(tmp_path, "b" * 40)
    assert any("id key is not the one" in r.getMessage() for r in caplog.records)
    assert not second.set_feedback(1, USER, 1)  # the asker can no longer be matched: nothing pretends otherwise
    second.close()


def old_log(folder: Path, salt: bytes) -> None:
    """A question log as the bot wrote it before the key: pseudonyms salted with a salt kept in meta."""
    folder.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(folder / ACTIVITY_FILE)
    db.executescript(OLD_SCHEMA)
    db.execute("insert into meta values ('salt', ?)", (salt.hex(),))

    def salted(kind: str, value: int) -> str:
        return hmac.new(salt, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]

    for n, (uid, text, answered) in enumerate([(USER, "旧问题一", 1), (USER, "旧问题二", 0), (OTHER, "别人的旧问题", 0)]):
        db.execute("insert into questions (at, user_hash, chat_hash, channel, question, answered, score)"
                   " values (?, ?, ?, 'private', ?, ?, 0.5)",
                   (time.time() - 60 * n, salted("user", uid), salted("chat", uid), text, answered))
    db.commit()
    db.close()


def test_an_old_log_is_re_keyed_once_without_losing_counts(tmp_path: Path) -> None:
    salt = bytes(range(32))
    old_log(tmp_path, salt)
    log = ActivityLog.open(tmp_path)
    week = log.stats(DAY * 10_000)
    assert (week.asked, week.answered, week.declined) == (3, 1, 2)
    log.close()
    raw = db_bytes(tmp_path)
    assert salt.hex().encode() not in raw and salt not in raw  # VACUUM left no free page holding it
    values = stored_values(tmp_path / ACTIVITY_FILE)
    salted = hmac.new(salt, f"user:{USER}".encode(), hashlib.sha256).hexdigest()[:32]
    assert salted not in values  # a backup taken before the migration does not link the new rows
    for candidate in candidate_keys(values):
        assert hmac.new(candidate, f"user:{USER}".encode(), hashlib.sha256).hexdigest()[:32] not in values
    again = ActivityLog.open(tmp_path)  # a second start does not re-key again
    assert again.set_feedback(1, USER, 1) and not again.set_feedback(3, USER, 1)  # askers are still known
    assert again.set_feedback(3, OTHER, -1)
    again.close()


# --- retention -------------------------------------------------------------------------------------

def test_questions_older_than_the_retention_are_gone_after_a_restart(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    now = time.time()
    log = ActivityLog.open(tmp_path)
    log.log_question(USER, CHAT, "private", question("两百天前的问题"), at=now - 200 * DAY)
    old = log.log_question(USER, CHAT, "private", question("十天前的问题"), at=now - 10 * DAY)
    log.set_feedback(old, USER, -1)
    log.log_question(USER, CHAT, "private", question("今天的问题"), at=now - 60)
    log.close()
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BOT_RETENTION_DAYS", raising=False)
    assert Settings.from_env().retention_days == 180
    again = ActivityLog.open(tmp_path, retention_days=Settings.from_env().retention_days)
    assert again.get(1) is None and again.get(old) is not None
    again.close()
    assert "两百天前的问题".encode() not in db_bytes(tmp_path)
    monkeypatch.setenv("BOT_RETENTION_DAYS", "7")
    week = ActivityLog.open(tmp_path, retention_days=Settings.from_env().retention_days)
    assert week.get(old) is None and week.stats(DAY).asked == 1
    assert week.purge(now=now + 8 * DAY) == 1
    week.close()
    raw = db_bytes(tmp_path)
    assert "十天前的问题".encode() not in raw and "今天的问题".encode() not in raw


@pytest.mark.parametrize("raw", ["0", "-3", "half a year", "1.5"])
def test_a_bad_retention_is_refused_with_its_name(raw: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BOT_RETENTION_DAYS", raw)
    with pytest.raises(ConfigError, match="BOT_RETENTION_DAYS"):
        Settings.from_env()


def test_forget_removes_a_migrated_logs_rows_too(tmp_path: Path) -> None:
    old_log(tmp_path, bytes(range(32)))
    log = ActivityLog.open(tmp_path)
    log.log_question(USER, CHAT, "private", question("新问题"))
    assert log.forget_user(USER) == 3
    assert log.stats(DAY * 10_000).asked == 1  # the other user's question stays
    log.close()
    raw = db_bytes(tmp_path)
    assert "旧问题一".encode() not in raw and "新问题".encode() not in raw and "别人的旧问题".encode() in raw


# --- /forget through Telegram ----------------------------------------------------------------------

SECRET_QUESTION = "我叔叔陈某某的归侨证明号码 A7731 丢了怎么补办？"


@pytest.mark.anyio
async def test_forget_leaves_nothing_of_that_user_in_the_data_folder(fake_api: FakeBotAPI, bot,
                                                                      bot_settings: Settings) -> None:
    for text in (SECRET_QUESTION, "合同外资引进了多少？"):
        since = fake_api.mark()
        fake_api.send_text(USER_ID, text)
        await fake_api.wait_for("sendMessage", since=since)
    since = fake_api.mark()
    fake_api.send_text(OTHER_ID, "别人的问题：华侨农场有多大？")
    await fake_api.wait_for("sendMessage", since=since)
    assert SECRET_QUESTION.encode() in folder_bytes(bot_settings.data_dir)
    since = fake_api.mark()
    fake_api.send_text(USER_ID, "/forget")
    (reply,) = await fake_api.wait_for("sendMessage", since=since, chat_id=USER_ID)
    assert "已删除您的 2 条提问记录" in reply.params["text"]
    raw = folder_bytes(bot_settings.data_dir)
    assert SECRET_QUESTION.encode() not in raw and "合同外资引进了多少".encode() not in raw
    assert "别人的问题".encode() in raw
    assert USER_ID not in bot.bot_data.limiter and OTHER_ID in bot.bot_data.limiter


def folder_bytes(folder: Path) -> bytes:
    """Every file of the data folder, the question log's -wal and -shm included."""
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


# --- the token never appears -----------------------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent


def random_token() -> str:
    return f"{secrets.randbelow(9 * 10**9) + 10**9}:AAH{secrets.token_urlsafe(32)}"


def token_parts_in(text: str, token: str) -> list[str]:
    """Every piece of the token (the bot id, and any 6 characters of the secret half) found in `text`."""
    bot_id, secret = token.split(":")
    pieces = [bot_id] + [secret[i:i + 6] for i in range(len(secret) - 5)]
    return [p for p in pieces if p in text]


def start_up(token: str, base_url: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = dict(os.environ, TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_BASE_URL=base_url,
                       BOT_DATA_DIR=str(tmp_path / "data"), LOG_LEVEL="DEBUG", NO_PROXY="127.0.0.1,localhost",
                       PYTHONPATH=str(REPO), **env)
    return subprocess.run([sys.executable, "-m", "bot", "run"], env=environment, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("base_url", [
    "http://127.0.0.1:9",  # the form of https://api.telegram.org: no /bot, nothing listening
    "http://localhost:9", "http://127.0.0.1:9/", "http://127.0.0.1:9/bot/", "http://127.0.0.1:9/tg",
    "http://127.0.0.1:9/bot{token}", "http://127.0.0.1:{secret}", "http://127.0.0.1:9/bot{token}/getMe",
    "127.0.0.1:9/bot", "http://[::1", "http://127.0.0.1:9/bot?token={token}",
])
def test_start_up_with_a_wrong_base_url_prints_no_part_of_the_token(base_url: str, tmp_path: Path) -> None:
    token = random_token()
    done = start_up(token, base_url.replace("{token}", token).replace("{secret}", token.split(":")[1]), tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "TELEGRAM_API_BASE_URL" in output and "Traceback" not in output
    assert not token_parts_in(output, token), output


def test_a_token_the_api_refuses_prints_no_part_of_it(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    token = random_token()
    done = start_up(token, fake_api.base_url.removesuffix("/bot"), tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 2 and "TELEGRAM_BOT_TOKEN was refused" in output, output
    assert not token_parts_in(output, token), output


def run_bot_and_ask(fake: FakeBotAPI, tmp_path: Path, level: str, texts: list[str]) -> tuple[str, str]:
    """`qiaobot run` against the fake at a log level: each text asked and answered, then SIGTERM;
    what the process printed (stdout, stderr)."""
    environment = dict(os.environ, TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_BASE_URL=fake.base_url,
                       BOT_DATA_DIR=str(tmp_path / "data"), BOT_KNOWLEDGE_DIR=str(REPO / "knowledge"),
                       LOG_LEVEL=level, PYTHONPATH=str(REPO))
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=environment, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for text in texts:
            asyncio.run(fake.reply_to(fake.send_text(USER_ID, text), timeout=60))
        process.send_signal(signal.SIGTERM)
        return process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()


def test_a_running_bot_at_debug_prints_no_part_of_the_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    token = random_token()
    with FakeBotAPI(token=token) as fake:
        fake.inject("getUpdates", "500")  # an error on the way is logged with its request
        out, err = run_bot_and_ask(fake, tmp_path, "DEBUG", ["合同外资引进了多少？"])
    assert "getUpdates" in err and "合同外资" in err  # DEBUG shows message contents, as documented
    assert not token_parts_in(out + err, token)


def test_at_info_no_user_text_name_or_id_is_logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FakeBotAPI() as fake:
        fake.inject("getUpdates", "500")
        out, err = run_bot_and_ask(fake, tmp_path, "INFO", ["合同外资引进了多少？", "/forget", "/nosuchcommand"])
    assert "INFO" in err  # the level works: start-up lines are there
    first_name = fake.user(USER_ID)["first_name"]
    for secret in ("合同外资", "nosuchcommand", str(USER_ID), first_name):
        assert secret not in out + err, secret


# --- the webhook's secret --------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post_update(port: int, update: dict, secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(f"http://127.0.0.1:{port}/hook", json.dumps(update).encode(), headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_webhook_without_a_given_secret_gets_one_and_refuses_forged_updates(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("WEBHOOK_SECRET_TOKEN", raising=False)
    port = free_port()
    with FakeBotAPI() as fake:
        environment = dict(os.environ, TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_BASE_URL=fake.base_url,
                           BOT_DATA_DIR=str(tmp_path / "data"), BOT_KNOWLEDGE_DIR=str(REPO / "knowledge"),
                           BOT_ADMIN_IDS=str(ADMIN_ID), LOG_LEVEL="DEBUG", PYTHONPATH=str(REPO))
        process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--webhook-url", "https://bot.example/hook",
                                    "--port", str(port)], env=environment, cwd=tmp_path,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            (set_webhook,) = asyncio.run(fake.wait_for("setWebhook", timeout=60))
            secret = set_webhook.params["secret_token"]
            assert len(secret) >= 32 and set_webhook.params["url"] == "https://bot.example/hook"
            time.sleep(0.5)  # the server listens right after setWebhook returns
            since = fake.mark()
            fake.send_text(ADMIN_ID, "/stats")  # "from" an admin: what a forger would send
            forged = fake.updates[-1]
            assert post_update(port, forged, None) == 403
            assert post_update(port, forged, secret[:-1] + ("A" if secret[-1] != "A" else "B")) == 403
            time.sleep(0.5)
            assert not fake.find("sendMessage", since=since)
            assert post_update(port, forged, secret) == 200
            (reply,) = asyncio.run(fake.wait_for("sendMessage", since=since, timeout=30))
            assert "提问统计" in reply.params["text"]
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    assert secret not in out + err  # the secret is masked like the token


def test_the_secret_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = webhook_secret("s" * 40)
    compared = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))
    header = "s" * 39 + "x"  # a str, as tornado gives the header
    assert header != secret  # python-telegram-bot's own expression
    assert compared and secret == ("s" * 40) and webhook_secret(None) != webhook_secret(None)


def test_uncaught_exceptions_pass_the_redaction_too(tmp_path: Path) -> None:
    token = random_token()
    script = (
        "import sys, threading; from bot import redaction; redaction.protect(sys.argv[1]); redaction.install();"
        "t = threading.Thread(target=lambda: (_ for _ in ()).throw(ValueError('in a thread: ' + sys.argv[1])));"
        "t.start(); t.join();"
        "raise RuntimeError('Invalid port: ' + sys.argv[1].split(':')[1])"
    )
    done = subprocess.run([sys.executable, "-c", script, token], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 1
    assert "in a thread: [token]" in done.stderr and "Invalid port: [token]" in done.stderr, done.stderr
    assert not token_parts_in(done.stderr, token)
