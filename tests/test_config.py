"""Settings from the environment (bot/config.py): every variable, its default, and the message for a bad value."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot import redaction
from bot.config import ConfigError, Settings

TOKEN = "918273645:AAH-config-test-secret_half_0123456789"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A clean environment: only BOT_DATA_DIR, pointing at a fresh folder."""
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "TELEGRAM_API_FILE_URL", "BOT_ADMIN_IDS",
                 "BOT_KNOWLEDGE_DIR", "BOT_ID_KEY", "BOT_ID_KEY_FILE", "BOT_RETENTION_DAYS", "LOG_LEVEL",
                 "WEBHOOK_SECRET_TOKEN", "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    return monkeypatch


@pytest.mark.parametrize(("given", "base", "files"), [
    ("https://api.telegram.org", "https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
    ("https://api.telegram.org/", "https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
    ("https://api.telegram.org/bot", "https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
    ("http://localhost:8081", "http://localhost:8081/bot", "http://localhost:8081/file/bot"),
    ("http://localhost:8081/bot/", "http://localhost:8081/bot", "http://localhost:8081/file/bot"),
    ("https://proxy.example/telegram", "https://proxy.example/telegram/bot", "https://proxy.example/telegram/file/bot"),
])
def test_a_base_url_without_bot_is_completed(env: pytest.MonkeyPatch, given: str, base: str, files: str) -> None:
    env.setenv("TELEGRAM_API_BASE_URL", given)
    settings = Settings.from_env()
    assert (settings.api_base_url, settings.api_file_url) == (base, files)


def test_the_file_url_may_be_given_and_is_completed_too(env: pytest.MonkeyPatch) -> None:
    env.setenv("TELEGRAM_API_BASE_URL", "http://localhost:8081")
    env.setenv("TELEGRAM_API_FILE_URL", "http://files.local:8082/file")
    assert Settings.from_env().api_file_url == "http://files.local:8082/file/bot"


def test_telegrams_own_urls_when_nothing_is_set(env: pytest.MonkeyPatch) -> None:
    settings = Settings.from_env()
    assert (settings.api_base_url, settings.api_file_url) == (None, None)


@pytest.mark.parametrize(("variable", "given", "says"), [
    ("TELEGRAM_API_BASE_URL", f"https://api.telegram.org/bot{TOKEN}", "without the token"),
    ("TELEGRAM_API_BASE_URL", f"https://api.telegram.org/bot{TOKEN}/", "without the token"),
    ("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot123:other-bots-token-abc", "without the token"),
    ("TELEGRAM_API_BASE_URL", f"http://localhost:{TOKEN.split(':')[1]}", "port"),
    ("TELEGRAM_API_BASE_URL", "api.telegram.org", "http"),
    ("TELEGRAM_API_BASE_URL", "ftp://api.telegram.org/bot", "http"),
    ("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot?x=1", "without the token"),
    ("TELEGRAM_API_FILE_URL", f"https://api.telegram.org/file/bot{TOKEN}", "without the token"),
])
def test_a_wrong_url_is_refused_naming_the_variable_without_the_token(env: pytest.MonkeyPatch, variable: str,
                                                                      given: str, says: str) -> None:
    env.setenv(variable, given)
    with pytest.raises(ConfigError) as info:
        Settings.from_env()
    message = str(info.value)
    assert message.startswith(variable) and says in message
    assert TOKEN not in message and TOKEN.split(":")[1] not in message


@pytest.mark.parametrize(("given", "level"), [("", "WARNING"), ("info", "INFO"), (" DEBUG ", "DEBUG"),
                                              ("error", "ERROR")])
def test_log_level(env: pytest.MonkeyPatch, given: str, level: str) -> None:
    env.setenv("LOG_LEVEL", given)
    assert Settings.from_env().log_level == level


@pytest.mark.parametrize("given", ["verbose", "20", "warn ing"])
def test_a_bad_log_level_is_refused_by_name(env: pytest.MonkeyPatch, given: str) -> None:
    env.setenv("LOG_LEVEL", given)
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        Settings.from_env()


def test_the_token_is_masked_in_every_record_once_read(env: pytest.MonkeyPatch) -> None:
    Settings.from_env()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(redaction.RedactingFilter())
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("POST https://api.telegram.org/bot%s/getMe", TOKEN)
        logger.warning("half: %s", TOKEN.split(":")[1])
        try:
            raise ValueError(f"Invalid port: '{TOKEN.split(':')[1]}'")
        except ValueError:
            logger.exception("start-up failed")
        logger.warning("stack", stack_info=True, extra={"x": TOKEN})
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert TOKEN.split(":")[1] not in text and "[token]" in text and "Invalid port: '[token]'" in text


REPO = Path(__file__).resolve().parent.parent


def test_every_environment_variable_is_read_in_settings_and_listed_in_the_readme() -> None:
    sources = {p.name: p.read_text(encoding="utf-8") for p in (REPO / "bot").rglob("*.py")}
    outside = [name for name, text in sources.items() if name != "config.py"
               and ("os.environ" in text or "getenv" in text)]
    assert not outside, f"environment read outside bot/config.py: {outside}"
    names = set(re.findall(r'env(?:\.get\(|\[)"([A-Z_]+)"', sources["config.py"]))
    assert {"TELEGRAM_BOT_TOKEN", "BOT_RETENTION_DAYS", "BOT_ID_KEY", "LOG_LEVEL", "TELEGRAM_API_FILE_URL"} <= names
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.MULTILINE))
    assert names - {"XDG_DATA_HOME"} <= listed, names - listed
    assert listed <= names, listed - names  # and nothing listed that the code does not read


def test_usable_cpus_follow_the_affinity_mask() -> None:
    script = ("import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))});"
              "from bot.config import usable_cpus; print(usable_cpus())")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.stdout.strip() == "1", done.stderr
    from bot.config import usable_cpus

    assert 1 <= usable_cpus() <= len(os.sched_getaffinity(0))


# --- the knowledge home ----------------------------------------------------------------------------

@pytest.fixture
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A read-only copy of the shipped knowledge standing in for the installed package's."""
    import shutil

    import bot.config

    folder = tmp_path / "site-packages" / "knowledge"
    shutil.copytree(REPO / "knowledge", folder)
    for path in [*folder.rglob("*"), folder]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    monkeypatch.setattr(bot.config, "shipped_knowledge_dir", lambda: folder)
    yield folder
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def test_the_knowledge_home_is_created_in_the_data_folder_on_first_start(env: pytest.MonkeyPatch, shipped: Path,
                                                                         tmp_path: Path) -> None:
    first = Settings.from_env()
    home = tmp_path / "data" / "knowledge"
    assert first.knowledge_dir == home.resolve() and first.knowledge_seeded
    assert "knowledge home" in first.knowledge_line() and "created from the shipped" in first.knowledge_line()
    assert sorted(p.name for p in home.iterdir() if not p.name.startswith(".")) == sorted(
        p.name for p in shipped.iterdir())
    assert all(p.stat().st_mode & 0o200 for p in home.iterdir())  # admins can write it, though the package is read-only
    again = Settings.from_env()
    assert again.knowledge_dir == first.knowledge_dir and not again.knowledge_seeded


def test_an_upgrade_never_overwrites_the_knowledge_home(env: pytest.MonkeyPatch, shipped: Path, tmp_path: Path) -> None:
    home = Settings.from_env().knowledge_dir
    faq = home / "faq.csv"
    faq.write_text(faq.read_text(encoding="utf-8") + "管理员加的问题,,管理员加的答案,,\n", encoding="utf-8")
    mine = faq.read_bytes()
    for path in [shipped, *shipped.iterdir()]:  # the upgrade: a changed FAQ and a new report
        path.chmod(0o755 if path.is_dir() else 0o644)
    (shipped / "faq.csv").write_text("question,alternates,answer,doc,section\n", encoding="utf-8")
    (shipped / "new-report.txt").write_text("新的报告\n一、概况\n今年新增一项工作。\n", encoding="utf-8")
    settings = Settings.from_env()
    assert faq.read_bytes() == mine and not (home / "new-report.txt").exists()
    line = settings.knowledge_line()
    assert "faq.csv" in line and "new-report.txt" in line and "qiaowu-year-end-summary.txt" not in line


def test_a_knowledge_folder_given_wins_and_no_home_is_made(env: pytest.MonkeyPatch, shipped: Path,
                                                           tmp_path: Path) -> None:
    env.setenv("BOT_KNOWLEDGE_DIR", str(shipped))
    assert Settings.from_env().knowledge_dir == shipped.resolve()
    env.delenv("BOT_KNOWLEDGE_DIR")
    assert Settings.from_env(knowledge_dir=shipped).knowledge_dir == shipped.resolve()
    assert not (tmp_path / "data" / "knowledge").exists()
    assert Settings.from_env(knowledge_dir=shipped).knowledge_line() == f"knowledge home {shipped.resolve()}"
