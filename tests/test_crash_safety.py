"""Crashes: kill -9 during a build, two builds at once, damaged stores — the data folder only ever
serves complete stores, a restart answers, and an admin's FAQ addition survives.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot import store
from bot.curated import append_faq, read_faq
from bot.matcher import Engine

REPO = Path(__file__).resolve().parent.parent
GOV = REPO / "benchmarks" / "data" / "gov"
SEED_QUESTION = "合同外资引进了多少"


def env_for(data: Path) -> dict[str, str]:
    return {**os.environ, "BOT_DATA_DIR": str(data), "PYTHONPATH": str(REPO), "TELEGRAM_BOT_TOKEN": ""}


def qiaobot(data: Path, *args: str) -> subprocess.Popen:
    # A session of its own, so the test can find (and at the end remove) the build's workers.
    return subprocess.Popen([sys.executable, "-m", "bot", *args], env=env_for(data), cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def complete(path: Path) -> bool:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute("select value from meta where key = 'complete'").fetchone() == ("1",)


def stores(data: Path) -> list[Path]:
    return sorted(data.glob("store-*.db"))


def temporaries(data: Path) -> list[Path]:
    return sorted(data.glob("*.tmp-*"))


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def group_alive(pgid: int) -> list[int]:
    """Processes still in the process group (the build's pool workers outlive a killed parent)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                alive.append(int(entry.name))
    return alive


def age(paths: list[Path], seconds: float) -> None:
    past = time.time() - seconds
    for p in paths:
        os.utime(p, (past, past))


@pytest.fixture
def seed_knowledge(tmp_path: Path) -> Path:
    folder = tmp_path / "seed"
    shutil.copytree(REPO / "knowledge", folder)
    return folder


@pytest.fixture
def big_knowledge(tmp_path: Path) -> Path:
    """Enough reports for a parallel build that takes a few seconds: the shipped knowledge and
    twelve government reports, renamed."""
    reports = sorted(GOV.glob("*.txt"))[-12:]
    folder = tmp_path / "big"
    shutil.copytree(REPO / "knowledge", folder)
    for report in reports:
        shutil.copy(report, folder / f"copy-of-{report.name}")
    return folder


def kill_build_when(data: Path, knowledge: Path, moment: Callable[[], bool]) -> None:
    """Start `qiaobot build`, SIGKILL it (the parent only, as kill -9 <pid> does) at the moment,
    and check its workers do not linger."""
    build = qiaobot(data, "build", "--knowledge", str(knowledge))
    try:
        assert wait_for(lambda: moment() or build.poll() is not None, 60)
        assert build.poll() is None, f"the build ended before the moment to kill it: {build.communicate()}"
        os.kill(build.pid, signal.SIGKILL)
        assert build.wait(10) == -signal.SIGKILL
        assert wait_for(lambda: not group_alive(build.pid), 10), f"orphaned workers {group_alive(build.pid)}"
    finally:
        if group_alive(build.pid):
            os.killpg(build.pid, signal.SIGKILL)
        build.communicate()


def test_kill_9_during_builds_leaves_only_complete_stores(tmp_path, seed_knowledge, big_knowledge):
    data = tmp_path / "data"
    serving = Engine.open(seed_knowledge, data)
    old = serving.store_file
    target = store.store_path(data, store.scan(big_knowledge).digest)
    # A temporary file of a build that may still be running elsewhere, complete inside: never a store.
    decoy = target.with_name(f"{target.name}.tmp-999999-1")
    shutil.copy(old, decoy)

    left: set[Path] = {decoy}

    def growing() -> bool:
        return any(p.stat().st_size > 0 for p in temporaries(data) if p not in left and p.exists())

    def started() -> bool:
        return any(p not in left for p in temporaries(data))

    kill_build_when(data, big_knowledge, started)  # while the reports are analysed
    left.update(temporaries(data))
    kill_build_when(data, big_knowledge, growing)  # while the store is written

    assert stores(data) == [old] and complete(old)
    assert len(temporaries(data)) == 3  # the decoy and the dead builds' files are left, never renamed into place
    assert serving.ask(SEED_QUESTION).answered
    restarted = Engine.open(seed_knowledge, data)  # a restart on the old knowledge: the old store, no build
    assert restarted.store_file == old and restarted.ask(SEED_QUESTION).answered

    fresh = time.time()
    age([p for p in temporaries(data) if p != decoy], 3600)  # the dead builds' files, an hour later
    rebuilt = Engine.open(big_knowledge, data)
    assert rebuilt.store_file == target and target.stat().st_mtime >= fresh - 1
    assert set(stores(data)) == {old, target} and all(complete(s) for s in stores(data))
    assert temporaries(data) == [decoy]  # stale ones removed; one that may be in use is left alone
    assert rebuilt.counts()["documents"] == 13
    answer = rebuilt.ask("侨商会换届是谁来祝贺的")
    assert answer.answered and answer.references[0].doc == "qiaowu-year-end-summary"
    assert serving.ask(SEED_QUESTION).answered


def test_two_builds_and_a_question_at_once(tmp_path, seed_knowledge):
    data = tmp_path / "data"
    runs = [qiaobot(data, "build", "--knowledge", str(seed_knowledge)),
            qiaobot(data, "build", "--knowledge", str(seed_knowledge)),
            qiaobot(data, "ask", "--knowledge", str(seed_knowledge), SEED_QUESTION)]
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (_, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
    assert "35亿美元" in outputs[2][0]
    built = stores(data)
    assert len(built) == 1 and complete(built[0]) and temporaries(data) == []
    assert Engine.open(seed_knowledge, data).store_file == built[0]


@pytest.mark.parametrize("damage", ["truncated", "unfinished"])
def test_a_damaged_store_is_rebuilt_not_served(tmp_path, seed_knowledge, damage):
    data = tmp_path / "data"
    path = store.build(seed_knowledge, data)
    if damage == "truncated":  # what a full disk or a bad copy leaves
        with path.open("r+b") as f:
            f.truncate(path.stat().st_size // 2)
    else:
        with sqlite3.connect(path) as conn:
            conn.execute("delete from meta where key = 'complete'")
    assert not store._complete(path)
    engine = Engine.open(seed_knowledge, data)
    assert engine.store_file == path and complete(path)
    assert engine.ask(SEED_QUESTION).answered


def test_faq_addition_survives_kill_9_right_after(tmp_path, seed_knowledge):
    script = ("import os, signal, sys; from pathlib import Path; from bot.curated import append_faq; "
              "append_faq(Path(sys.argv[1]), '侨办的工作总结分几部分', '分五个部分。'); "
              "os.kill(os.getpid(), signal.SIGKILL)")
    shipped = read_faq(seed_knowledge / "faq.csv")
    run = subprocess.run([sys.executable, "-c", script, str(seed_knowledge)], env=env_for(tmp_path), cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == -signal.SIGKILL, run.stderr
    after = read_faq(seed_knowledge / "faq.csv")
    assert [(e.question, e.answer) for e in after[len(shipped):]] == [("侨办的工作总结分几部分", "分五个部分。")]
    append_faq(seed_knowledge, "侨务宣传用了哪些渠道", "报纸、电视和网站。")
    assert len(read_faq(seed_knowledge / "faq.csv")) == len(shipped) + 2
