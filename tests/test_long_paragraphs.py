"""A report that is one huge paragraph (no line break, with or without sentence ends, with a
correction that adds sentence ends) builds, and its statements stay of bounded size. Speed is the
benchmark's (`python -m benchmarks.run --builds`); these assert structure only."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot import store
from bot.parser import MAX_FACT_CHARS, parse_text

CLAUSES = ("全年新建侨胞之家{n}个", "接待海外侨团{n}批次", "举办华文教育培训班{n}期", "帮扶困难归侨侨眷{n}户",
           "引进侨资项目{n}个，总投资{n}亿元", "开展为侨服务进社区活动{n}场")


def one_paragraph(chars: int, end: str) -> str:
    """`chars` characters of clauses joined by `end` (。 or ，), without a line break."""
    parts, total, n = [], 0, 0
    while total < chars:
        clause = CLAUSES[n % len(CLAUSES)].format(n=n % 97 + 3) + end
        parts.append(clause)
        total += len(clause)
        n += 1
    return "".join(parts)


@pytest.mark.parametrize("end", ["。", "，"])
def test_a_huge_one_paragraph_report_builds_with_bounded_statements(tmp_path: Path, end: str):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    text = "某市侨办2023年工作总结\n" + one_paragraph(200_000, end)
    (knowledge / "one-paragraph.txt").write_text(text, encoding="utf-8")
    built = store.build(knowledge, tmp_path / "data")
    with sqlite3.connect(built) as conn:
        count, longest, chars = conn.execute("select count(*), max(length(text)), sum(length(text)) "
                                             "from facts").fetchone()
    assert longest <= MAX_FACT_CHARS
    assert count >= 200_000 // MAX_FACT_CHARS
    assert chars >= 0.95 * 200_000  # cut into statements, not dropped


def test_a_correction_that_adds_sentence_ends_to_a_huge_paragraph_cuts_it():
    text = one_paragraph(200_000, "，")
    report = parse_text("one-paragraph", text, {"，": "。"})
    assert len(report.facts) >= len(text) // 30  # every clause its own statement
    assert max(len(f.text) for f in report.facts) <= MAX_FACT_CHARS
    assert all(f.text.endswith("。") for f in report.facts[:-1])
