"""What `qiaobot build` tells an admin of each report, and `--outline DOC`, one report's tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_reading_layouts import RESTARTS, WEB_PAGE

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("build")
    knowledge = root / "knowledge"
    shutil.copytree(REPO / "knowledge", knowledge)
    (knowledge / "nanchang-2023.txt").write_text(WEB_PAGE, encoding="utf-8")
    (knowledge / "city-plan.txt").write_bytes(RESTARTS.encode("gb18030"))
    return knowledge, root / "data"


def qiaobot(folder: tuple[Path, Path], *args: str) -> subprocess.CompletedProcess:
    knowledge, data = folder
    env = {**os.environ, "BOT_DATA_DIR": str(data), "PYTHONPATH": str(REPO), "TELEGRAM_BOT_TOKEN": ""}
    return subprocess.run([sys.executable, "-m", "bot", "build", "--knowledge", str(knowledge), *args],
                          capture_output=True, text=True, env=env, timeout=120, cwd=REPO)


def test_build_tells_each_report_title_year_issuer_levels_statements_and_warnings(folder):
    out = qiaobot(folder)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("store ") and "documents 3" in lines[0]
    assert "qiaowu-year-end-summary.txt: 《侨务系统年终工作总结》, sections 5 + 15, statements 80" in lines
    assert "nanchang-2023.txt: 《南昌市外侨办2023年工作总结》 (2023 南昌市外侨办), sections 2, statements 3" in lines
    plan = next(i for i, line in enumerate(lines) if line.startswith("city-plan.txt: "))
    assert lines[plan].endswith("read as GB18030")
    assert "  warning: numbering restarts at 一、" in lines[plan + 1:]
    assert "  warning: dropped as front matter: 浏览次数：1024" in lines
    again = qiaobot(folder)  # already built: the same account, from the store
    assert again.stdout.splitlines()[1:] == lines[1:]


def test_outline_prints_one_report_tree_with_statement_counts(folder):
    out = qiaobot(folder, "--outline", "nanchang-2023")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["0  前言  (1)", "1  一、对外交流  (1)", "2  二、侨务工作  (1)"]


def test_outline_of_an_unknown_report_is_a_usage_error(folder):
    out = qiaobot(folder, "--outline", "nowhere")
    assert out.returncode == 2 and "nowhere" in out.stderr and "nanchang-2023" in out.stderr


def test_references_name_the_reports_year_and_issuer_and_the_issuer_finds_it(tmp_path):
    from bot.matcher import Engine

    knowledge = tmp_path / "k"
    knowledge.mkdir()
    (knowledge / "a.txt").write_text("区侨联工作总结\n一、联谊\n全年接待海外侨胞来访团组58批次。\n"
                                     "温州市鹿城区归国华侨联合会\n2023年12月20日\n", encoding="utf-8")
    (knowledge / "b.txt").write_text("某县侨办工作总结\n一、联谊\n全年接待海外侨胞来访团组12批次。\n", encoding="utf-8")
    engine = Engine.open(knowledge, tmp_path / "data")
    answer = engine.ask("鹿城区接待了多少海外侨胞来访团组")
    assert answer.answered and "58批次" in answer.text
    assert answer.references[0].doc == "a"
    # the source names the issuer, and the year its signing date gives
    assert "出处：区侨联工作总结（2023年，温州市鹿城区归国华侨联合会）" in answer.text
