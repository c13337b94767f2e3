"""The matcher's word lists are data: one item a line, comments allowed, errors name file and line."""

from __future__ import annotations

import pytest

from bot import features, lexicon
from bot.curated import KnowledgeError


@pytest.mark.parametrize("name", ["units", "titles", "surnames"])
def test_shipped_lists_read(name):
    items = lexicon.items(name)
    assert items and len(items) == len(set(items))


def test_comments_and_blank_lines_are_skipped(tmp_path):
    path = tmp_path / "units.txt"
    path.write_text("# units\n\n起  # cases\n万元\n", encoding="utf-8")
    assert lexicon.read_items(path) == ["起", "万元"]


@pytest.mark.parametrize(("text", "line"), [("起\n万 元\n", 2), ("# nothing\n", None)])
def test_bad_list_names_file_and_line(tmp_path, text, line):
    path = tmp_path / "units.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        lexicon.read_items(path)
    assert err.value.line == line and "units.txt" in str(err.value)


@pytest.mark.parametrize(("text", "figure"), [("共处理10起案件", "10起"), ("树高可达55米", "55米"), ("引进35亿美元", "35亿美元")])
def test_units_from_the_list_make_figures(text, figure):
    assert figure in features.numbers(text)
