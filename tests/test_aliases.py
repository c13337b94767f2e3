"""aliases.csv: either name of a thing finds the statement written with the other, at a discount."""

from __future__ import annotations

import pytest

from bot.curated import KnowledgeError
from bot.matcher import Engine

REPORT = """开发区年度工作总结

一、经济运行
全年实现国内生产总值120亿元，同比增长8%。
二、侨务工作
区侨务办公室组织海外侨胞回乡考察3次。
"""


def _engine(tmp_path, aliases: str | None) -> Engine:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "zone.txt").write_text(REPORT, encoding="utf-8")
    if aliases is not None:
        (knowledge / "aliases.csv").write_text(aliases, encoding="utf-8")
    return Engine.open(knowledge, tmp_path / "data")


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return _engine(tmp_path_factory.mktemp("aliased"), "alias,full\nGDP,国内生产总值\n侨办,侨务办公室\n")


@pytest.mark.parametrize(("question", "expect"), [("全年GDP是多少", "120亿元"), ("侨办组织了几次回乡考察", "3次")])
def test_an_alias_finds_the_full_name(engine, question, expect):
    answer = engine.ask(question)
    assert answer.answered and expect in answer.text


def test_without_the_alias_an_unknown_abbreviation_is_declined(tmp_path):
    assert not _engine(tmp_path, None).ask("全年GDP是多少").answered


def test_a_bad_alias_row_names_file_and_line(tmp_path):
    with pytest.raises(KnowledgeError) as err:
        _engine(tmp_path, "alias,full\nGDP,国内生产总值\nCPI,\n")
    assert "aliases.csv" in str(err.value) and err.value.line == 3
