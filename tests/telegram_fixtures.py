"""Fixtures for the Telegram tests: the fake Bot API server and a running bot built by the real factory."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.fakebotapi import FakeBotAPI

REPO = Path(__file__).resolve().parent.parent
ADMIN, USER, OTHER = 1001, 2002, 3003


@pytest.fixture
def anyio_backend() -> str:
    """python-telegram-bot is asyncio-only."""
    return "asyncio"


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBotAPI]:
    """A fresh fake Bot API server on a port the OS picks; httpx must not send loopback via a proxy."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with FakeBotAPI() as fake:
        yield fake
    assert not fake.unhandled_errors, fake.unhandled_errors


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    """A copy of the shipped knowledge that a test may change."""
    target = tmp_path / "knowledge"
    shutil.copytree(REPO / "knowledge", target)
    return target


@pytest.fixture(scope="session")
def shared_engine(tmp_path_factory: pytest.TempPathFactory):
    """One real engine over a copy of the shipped knowledge, for tests that do not change knowledge."""
    from bot.matcher import Engine

    base = tmp_path_factory.mktemp("shared-knowledge")
    shutil.copytree(REPO / "knowledge", base / "knowledge")
    return Engine.open(base / "knowledge", base / "data")


@pytest.fixture
def bot_settings(fake_api: FakeBotAPI, knowledge_dir: Path, tmp_path: Path):
    """Settings as `qiaobot run` would read them, pointing at the fake server; ADMIN is the admin."""
    from bot.config import Settings

    return Settings(knowledge_dir=knowledge_dir, data_dir=tmp_path / "data", token=fake_api.token,
                    api_base_url=fake_api.base_url, admin_ids=frozenset({ADMIN}),
                    api_file_url=fake_api.base_url.removesuffix("/bot") + "/file/bot")  # as from_env derives it


@contextlib.asynccontextmanager
async def running(app) -> AsyncIterator:
    """Run an Application as run_polling would, by hand: run_polling blocks and owns the event loop."""
    from bot.telegram import ALLOWED_UPDATES

    await app.initialize()
    await app.post_init(app)  # initialize() does not call it; run_polling does
    await app.start()
    # As run_polling does: polling errors go to the application's error handler.
    await app.updater.start_polling(
        poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES,
        error_callback=lambda exc: app.create_task(app.process_error(error=exc, update=None)),
    )
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await app.post_shutdown(app)


@pytest.fixture
async def bot(bot_settings, shared_engine) -> AsyncIterator:
    """The production Application over the shared engine, polling the fake server."""
    from bot.telegram import build_application

    async with running(build_application(bot_settings, shared_engine)) as app:
        yield app
