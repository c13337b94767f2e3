"""The command-line contract other tools rely on: ask, ask --json, ask --jsonl, build, eval."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    data = tmp_path_factory.mktemp("data")
    return {**os.environ, "BOT_DATA_DIR": str(data), "PYTHONPATH": str(REPO), "TELEGRAM_BOT_TOKEN": ""}


def qiaobot(env, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=120, cwd=REPO)


def test_ask_prints_reply_with_source(env):
    out = qiaobot(env, "ask", "合同外资引进了多少")
    assert out.returncode == 0, out.stderr
    assert "35亿美元" in out.stdout and "出处：侨务系统年终工作总结" in out.stdout


def test_ask_json(env):
    out = qiaobot(env, "ask", "--json", "侨商会换届是谁来祝贺的")
    data = json.loads(out.stdout)
    assert data["answered"] is True
    assert data["references"][0] == {
        "doc": "qiaowu-year-end-summary", "title": "侨务系统年终工作总结", "path": [1, 3],
        "label": "（一）发挥侨务优势，服务发展大局的能力得到新提高 › 三是助推侨企转型升级",
    }


def test_ask_jsonl_one_object_per_line_in_order(env):
    questions = ["合同外资引进了多少", "", "   ", "早上好", "<b>\"; drop table facts; --", "NEAR(a b) AND *",
                 "困難歸僑的補助一共發了多少?", "x" * 5000]
    out = qiaobot(env, "ask", "--jsonl", stdin="\n".join(questions) + "\n")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["question"] for r in rows] == questions
    assert [r["answered"] for r in rows] == [True, False, False, False, False, False, True, False]
    for r in rows:
        assert set(r) == {"question", "answered", "answer", "span", "references", "score", "suggestions"}


def test_build_reports_counts(env):
    out = qiaobot(env, "build")
    assert out.returncode == 0, out.stderr
    assert "documents 1" in out.stdout and "sections 21" in out.stdout


def test_bad_knowledge_dir_is_one_line_error(env, tmp_path):
    out = qiaobot(env, "ask", "--knowledge", str(tmp_path / "missing"), "问题")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "--knowledge" in out.stderr


def test_eval_prints_kinds(env):
    out = qiaobot(env, "eval", str(REPO / "tests" / "eval" / "qiaowu.jsonl"))
    assert out.returncode == 0, out.stderr
    for kind in ("number", "typo", "traditional", "decline", "overall"):
        assert kind in out.stdout


def test_ask_jsonl_survives_bad_bytes_and_c_locale(env):
    out = subprocess.run([sys.executable, "-m", "bot", "ask", "--jsonl"], input=b"\xff\xfe\n\xe5\x90\x88\xe5\x90\x8c\xe5\xa4\x96\xe8\xb5\x84\xe5\xbc\x95\xe8\xbf\x9b\xe4\xba\x86\xe5\xa4\x9a\xe5\xb0\x91\n",
                         capture_output=True, env={**env, "LC_ALL": "C", "PYTHONIOENCODING": ""}, timeout=120, cwd=REPO)
    rows = [json.loads(line) for line in out.stdout.decode("utf-8").splitlines()]
    assert [r["answered"] for r in rows] == [False, True]
