"""The knowledge home: reports added, removed and restored; FAQ entries checked before they are
written and safe in a spreadsheet; a start that keeps serving the last knowledge that built."""

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.curated import AdminError, KnowledgeError, append_faq, read_faq
from bot.knowledge_home import (
    add_report,
    check_faq_addition,
    list_reports,
    open_serving,
    remove_report,
    report_name,
    restore_report,
)
from tests.conftest import REPO_ROOT

NEW_REPORT = "2024年某市侨办工作总结\n一、基本情况\n全年接待海外侨胞来访团组58批次。\n"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "knowledge"
    shutil.copytree(REPO_ROOT / "knowledge", home)
    return home


def qiaobot(home: Path, data: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BOT_DATA_DIR": str(data)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "bot", *args, "--knowledge", str(home)],
                          capture_output=True, text=True, env=env, timeout=300, cwd=REPO_ROOT)


@pytest.mark.parametrize("name", ["../x.txt", "/etc/passwd.txt", "a/b.txt", ".hidden.txt", "report.doc",
                                  "report.exe", "", "a\x00b.txt", "x:y.txt"])
def test_only_a_bare_report_name_is_accepted(name):
    with pytest.raises(AdminError):
        report_name(name)


def test_add_remove_restore_round_trip(home):
    added = add_report(home, "city2024.txt", NEW_REPORT.encode(), by="admin 1")
    assert added == home / "city2024.txt"
    [entry] = [r for r in list_reports(home) if r.id == "city2024"]
    assert entry.added_by == "admin 1" and entry.added_at
    with pytest.raises(AdminError, match="同名"):
        add_report(home, "city2024.txt", b"other")
    moved = remove_report(home, "city2024")
    assert moved.parent.name == ".removed" and not added.exists()
    assert "city2024" not in {r.id for r in list_reports(home)}
    restore_report(home, "city2024")
    assert added.read_text(encoding="utf-8") == NEW_REPORT
    with pytest.raises(AdminError):
        restore_report(home, "city2024")


def test_replacing_keeps_the_old_file_recoverable(home):
    add_report(home, "city2024.txt", b"old", by="a")
    add_report(home, "city2024.txt", NEW_REPORT.encode(), by="a", replace=True)
    assert [p.read_bytes() for p in (home / ".removed").iterdir()] == [b"old"]


def test_a_symlink_out_of_the_home_is_not_a_report(home, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("机密内容", encoding="utf-8")
    (home / "link.txt").symlink_to(outside)
    assert "link" not in {r.id for r in list_reports(home)}


def test_cli_adds_answers_removes_and_restores(home, tmp_path):
    source = tmp_path / "city2024.txt"
    source.write_text(NEW_REPORT, encoding="utf-8")
    data = tmp_path / "data"
    out = qiaobot(home, data, "add", str(source))
    assert out.returncode == 0 and "documents 2" in out.stdout, out.stderr
    answer = qiaobot(home, data, "ask", "接待海外侨胞来访团组多少批次")
    assert "58批次" in answer.stdout
    listed = qiaobot(home, data, "reports")
    assert "city2024" in listed.stdout and "by shell" in listed.stdout
    assert qiaobot(home, data, "remove", "city2024").returncode == 0
    assert "58批次" not in qiaobot(home, data, "ask", "接待海外侨胞来访团组多少批次").stdout
    assert qiaobot(home, data, "restore", "city2024").returncode == 0
    assert "58批次" in qiaobot(home, data, "ask", "接待海外侨胞来访团组多少批次").stdout


def test_cli_takes_back_a_report_that_does_not_build(home, tmp_path):
    source = tmp_path / "broken.txt"
    source.write_bytes(b"\xff\xfe\x00\x00binary\x00")
    out = qiaobot(home, tmp_path / "data", "add", str(source))
    assert out.returncode == 1 and "broken.txt" in out.stderr
    assert not (home / "broken.txt").exists()
    assert qiaobot(home, tmp_path / "data", "remove", "nothing-here").returncode == 1


@pytest.mark.parametrize("question, answer, section, says", [
    ("合同外资引进了多少", "35亿美元", "9.9", "不存在"),
    ("合同外资引进了多少", "35亿美元", "第几章", "看不懂"),
    ("what is this", "x", "", "Chinese"),
    ("？？？", "x", "", "Chinese"),
    ("#侨务宣传", "x", "", "#"),
    ("侨" * 121, "x", "", "121"),
])
def test_faq_additions_the_build_would_refuse_are_refused(shipped_engine, question, answer, section, says):
    with pytest.raises(AdminError, match=says):
        check_faq_addition(shipped_engine, question, answer, section)


def test_faq_addition_shadowed_by_an_existing_entry_is_refused(shipped_engine):
    existing = shipped_engine.faq[0].question
    with pytest.raises(AdminError, match="相近"):
        check_faq_addition(shipped_engine, existing + "？", "x")
    check_faq_addition(shipped_engine, "困难归侨补助发了多少", "见报告", "3.1")  # a fresh entry passes


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x","侨务服务指南")', "+1", "-2", "@SUM(A1)", "'已有撇号"])
def test_faq_cells_never_reach_a_spreadsheet_as_formulas(home, cell):
    append_faq(home, f"侨务指南在哪{len(cell)}", cell)
    with (home / "faq.csv").open(encoding="utf-8-sig", newline="") as f:
        written = [row["answer"] for row in csv.DictReader(f)][-1]
    assert written[0] == "'"  # what Excel and WPS show as text
    assert read_faq(home / "faq.csv")[-1].answer == cell  # read back as the admin typed it


def test_faq_rows_the_build_refuses_are_not_written(home):
    before = (home / "faq.csv").read_bytes()
    for question in ("#注释", "no chinese", "侨" * 121):
        with pytest.raises(KnowledgeError):
            append_faq(home, question, "答案")
    assert (home / "faq.csv").read_bytes() == before


def test_an_alternate_equal_to_another_question_is_refused_by_the_build(home):
    existing = read_faq(home / "faq.csv")[0].question
    with (home / "faq.csv").open("a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerow(["新的问题是什么", existing, "答案", "", ""])
    with pytest.raises(KnowledgeError, match="already on line"):
        read_faq(home / "faq.csv")


def test_start_keeps_serving_the_last_knowledge_that_built(home, tmp_path):
    data = tmp_path / "data"
    engine, warning = open_serving(home, data)
    assert warning is None
    (home / "faq.csv").write_text("question,answer\n合同外资,\n", encoding="utf-8")  # broken by hand
    again, warning = open_serving(home, data)
    assert warning and "faq.csv" in warning
    assert again.store_file == engine.store_file and again.ask("合同外资引进了多少").answered
    with pytest.raises(KnowledgeError):
        open_serving(home, tmp_path / "empty-data")
