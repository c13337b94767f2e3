"""Corrections are data: an artifact of conversion is repaired in every report where it is safe
(its context), the reply quotes the repaired text and the original stays in the store."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from bot.curated import KnowledgeError, read_corrections, read_curated
from bot.matcher import Engine
from bot.parser import parse_text

REPO = Path(__file__).resolve().parent.parent
OTHER_REPORT = ("某区侨办2023年工作总结\n\n一、服务经济\n全年为侨资企业开展政策宣讲活动六场，助力区域经济开展，"
                "为侨企提供法律咨询效劳八十余次。\n")


def test_shipped_corrections_apply_to_every_report_only_in_their_contexts():
    corrections = read_curated(REPO / "knowledge").corrections_for("another-report")
    report = parse_text("another-report", OTHER_REPORT, corrections)
    fact = report.facts[0]
    assert fact.text == "全年为侨资企业开展政策宣讲活动六场，助力区域经济发展，为侨企提供法律咨询服务八十余次。"
    assert "经济开展" in fact.original and "效劳" in fact.original


def test_context_column_is_optional_and_checked(tmp_path):
    path = tmp_path / "corrections.csv"
    path.write_text("wrong,right,doc\n效劳,服务,\n", encoding="utf-8")  # the format before contexts
    assert [(c.wrong, c.right, c.doc) for c in read_corrections(path)] == [("效劳", "服务", "")]
    path.write_text("wrong,right,doc,context\n开展,发展,,经济开展|开展大局\n根本,基本,r1,\n", encoding="utf-8")
    assert [(c.wrong, c.right, c.doc) for c in read_corrections(path)] == [
        ("经济开展", "经济发展", ""), ("开展大局", "发展大局", ""), ("根本", "基本", "r1")]
    path.write_text("wrong,right,doc,context\n开展,发展,,经济开展|发展大局\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"corrections\.csv, line 2: the context '发展大局' does not contain"):
        read_corrections(path)


def test_reply_quotes_the_repaired_text_and_the_store_keeps_the_original(tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(REPO / "knowledge", knowledge)
    (knowledge / "district.txt").write_text(OTHER_REPORT, encoding="utf-8")
    engine = Engine.open(knowledge, tmp_path / "data")
    answer = engine.ask("为侨企提供法律咨询多少次")
    assert answer.answered and answer.references[0].doc == "district"
    assert "法律咨询服务八十余次" in answer.text and "效劳" not in answer.text
    with sqlite3.connect(engine.store_file) as db:
        (original,) = db.execute("select original from facts where doc = 'district' and text like '%法律咨询%'").fetchone()
    assert "效劳" in original and "经济开展" in original
