"""The store: built once per knowledge content, rebuilt when a file changes, swapped atomically."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from bot import store
from bot.curated import KnowledgeError, append_faq
from bot.matcher import Engine

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(REPO / "knowledge", target)
    return target


def test_built_once_then_reused(knowledge, tmp_path):
    data = tmp_path / "data"
    first = store.build(knowledge, data)
    mtime = first.stat().st_mtime_ns
    assert store.build(knowledge, data) == first
    assert first.stat().st_mtime_ns == mtime


def test_rebuilt_when_knowledge_changes(knowledge, tmp_path):
    data = tmp_path / "data"
    first = store.build(knowledge, data)
    (knowledge / "extra.txt").write_text("某县侨务工作总结\n\n一、接待工作\n今年举办侨界龙舟赛3场。\n", encoding="utf-8")
    second = store.build(knowledge, data)
    assert second != first
    engine = Engine(second)
    assert engine.counts()["documents"] == 2
    assert engine.documents["extra"] == "某县侨务工作总结"
    answer = engine.ask("龙舟赛办了几场")
    assert "3场" in answer.text and answer.references[0].doc == "extra"


def test_tables_and_indexes(knowledge, tmp_path):
    path = store.build(knowledge, tmp_path / "data")
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
        assert {"documents", "sections", "facts", "facts_fts", "vocab", "synonyms", "corrections", "words", "meta"} <= tables
        assert conn.execute("select count(*) from facts").fetchone()[0] > 50
        fact = conn.execute("select text, original, features from facts where text like '%35亿美元%'").fetchone()
        assert "35亿美元" in fact[2]
        leader = conn.execute("select features from facts where text like '%换届改选%'").fetchone()[0]
        assert "市委常委、统战部部长周向群" in leader


def test_faq_added_by_admin_answers_after_reload(knowledge, tmp_path):
    data = tmp_path / "data"
    append_faq(knowledge, "侨办的工作总结分几部分", "分五个部分：引智、联谊、民生、宣传、创新。", "")
    engine = Engine.open(knowledge, data)
    answer = engine.ask("侨办的工作总结分几部分？")
    assert answer.answered and "分五个部分" in answer.text


def test_broken_faq_keeps_old_engine_serving(knowledge, tmp_path):
    data = tmp_path / "data"
    old = Engine.open(knowledge, data)
    (knowledge / "faq.csv").write_text("question,answer\n只有问题,\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"faq.csv, line 2"):
        Engine.open(knowledge, data)
    assert old.ask("合同外资引进了多少").answered


def test_adding_a_report_reuses_the_analysis_of_the_others(knowledge, tmp_path):
    data = tmp_path / "data"
    store.build(knowledge, data)
    (knowledge / "extra.txt").write_text("一、接待工作\n今年举办侨界龙舟赛3场。\n", encoding="utf-8")
    said: list[str] = []
    engine = Engine(store.build(knowledge, data, said.append))
    assert any(m.startswith("reused 1 unchanged report") for m in said), said
    assert engine.ask("合同外资引进了多少").answered
    assert "3场" in engine.ask("龙舟赛办了几场").text


def test_changed_synonyms_analyse_everything_again(knowledge, tmp_path):
    data = tmp_path / "data"
    store.build(knowledge, data)
    with (knowledge / "synonyms.csv").open("a", encoding="utf-8") as f:
        f.write("龙舟赛,划龙舟,\n")
    said: list[str] = []
    store.build(knowledge, data, said.append)
    assert not any(m.startswith("reused") for m in said)
