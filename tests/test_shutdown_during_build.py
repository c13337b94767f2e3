"""SIGTERM while a /reload builds a big archive: the bot exits soon, the build is abandoned (its
temporary file removed), the serving store is untouched, and the next start answers."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import corpus
from tests.fakebotapi import FakeBotAPI
from tests.telegram_fixtures import ADMIN, REPO, USER

QUESTION = "合同外资引进了多少？"
ADDED_REPORTS = 300  # enough that building them takes far longer than stopping may


def start(fake_api: FakeBotAPI, knowledge: Path, data: Path) -> subprocess.Popen:
    env = dict(os.environ, TELEGRAM_BOT_TOKEN=fake_api.token, TELEGRAM_API_BASE_URL=fake_api.base_url,
               BOT_KNOWLEDGE_DIR=str(knowledge), BOT_DATA_DIR=str(data), BOT_ADMIN_IDS=str(ADMIN),
               NO_PROXY="127.0.0.1,localhost", PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=data.parent,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def answers(fake_api: FakeBotAPI) -> str:
    return asyncio.run(fake_api.reply_to(fake_api.send_text(USER, QUESTION), timeout=60)).result["text"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sigterm_during_a_reload_abandons_the_build_and_exits(fake_api: FakeBotAPI, knowledge_dir: Path,
                                                              tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    process = start(fake_api, knowledge_dir, data)
    try:
        assert "35亿美元" in answers(fake_api)
        (serving,) = data.glob("store-*.db")
        before = digest(serving)
        archive = tmp_path / "archive"
        corpus.generate(archive, ADDED_REPORTS + 1)
        added = sorted(archive.glob("r*.txt"))
        for report in added:
            shutil.copy(report, knowledge_dir / report.name)
        since = fake_api.mark()
        fake_api.send_text(ADMIN, "/reload")
        asyncio.run(fake_api.wait_for("sendChatAction", since=since, timeout=30))  # the build has begun
        deadline = time.monotonic() + 60
        while not list(data.glob("store-*.db.tmp-*")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert list(data.glob("store-*.db.tmp-*")), "the build never started writing"
        time.sleep(1)  # well inside the analysis of the reports
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        out, err = process.communicate(timeout=60)
        stopped_in = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert stopped_in < 10, f"stopped {stopped_in:.1f} s after SIGTERM"  # the build alone takes far longer
    assert "Traceback" not in err
    assert not [c for c in fake_api.find("sendMessage", since=since) if "已重新加载" in c.result["text"]]
    assert not list(data.glob("store-*.db.tmp-*"))  # abandoned cleanly
    assert [p.name for p in data.glob("store-*.db")] == [serving.name] and digest(serving) == before

    for report in added:  # the knowledge the serving store holds: the next start opens it, builds nothing
        (knowledge_dir / report.name).unlink()
    process = start(fake_api, knowledge_dir, data)
    try:
        assert "35亿美元" in answers(fake_api)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
