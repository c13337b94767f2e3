"""Fixtures for the Telegram tests: the fake Bot API server and a running bot built by the real factory."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakebotapi import FakeBotAPI

REPO = Path(__file__).resolve().parent.parent


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
