"""A store updated from the previous one (one report added, one removed, one changed) holds exactly
what a full build of the same knowledge holds, full-text indexes and term statistics included."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from benchmarks import corpus
from bot import store
from bot.matcher import Engine

REPORTS = 16


def content(path: Path) -> dict[str, list]:
    """Everything a store holds, independent of row order and rowids."""
    with sqlite3.connect(path) as conn:  # read-write: FTS5's integrity check is an insert (that writes nothing)
        for table in ("facts_fts", "sections_fts"):
            conn.execute(f"insert into {table}({table}) values ('integrity-check')")  # raises if out of step
        rowids = dict(conn.execute("select rowid, doc || '/' || seq from facts"))
        terms = [t for (t,) in conn.execute("select term from vocab order by term")]
        return {
            "documents": sorted(conn.execute(f"select {', '.join(store.DOCUMENT_COLUMNS)} from documents")),
            "facts": sorted(conn.execute(f"select {', '.join(store.FACT_COLUMNS)} from facts")),
            "sections": sorted(conn.execute(f"select {', '.join(store.SECTION_COLUMNS)} from sections")),
            "vocab": sorted(conn.execute("select term, df, pinyin from vocab")),
            "faq": sorted(conn.execute("select question, answer from faq")),
            "matches": [sorted(rowids[r] for (r,) in conn.execute(
                "select rowid from facts_fts where facts_fts match ?", [f'"{t}"'])) for t in terms[::50]],
            "postings": sorted(_postings(conn, rowids)),
        }


def _postings(conn: sqlite3.Connection, rowids: dict[int, str]) -> list[tuple]:
    """Every term's impact postings as (term, statement, weight), statements by report and place.
    Of a wording several reports share, a rebuild and an update may post different copies: the
    copy is left out, its weight kept."""
    shared = {s for (s,) in conn.execute("select doc || '/' || seq from facts where match_text in "
                                          "(select match_text from facts group by match_text having count(*) > 1)")}
    out = []
    for term, rows, impacts in conn.execute("select term, rowids, impacts from facts_postings"):
        weights = np.frombuffer(impacts, dtype=np.float32)
        copies = [rowids[r] for r in np.frombuffer(rows, dtype=np.int32).tolist()]
        out.extend((term, "" if c in shared else c, round(float(w), 4)) for c, w in zip(copies, weights, strict=True))
    return out


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    knowledge = tmp_path / "knowledge"
    corpus.generate(knowledge, REPORTS, seed=5)
    return knowledge


def test_one_report_added_removed_and_changed_updates_the_previous_store(archive, tmp_path):
    data = tmp_path / "data"
    first = store.build(archive, data)
    generated = sorted(archive.glob("r*.txt"))
    generated[0].unlink()
    changed = generated[1]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n全年新建侨胞之家12个。\n", encoding="utf-8")
    (archive / "added.txt").write_text("某县侨务工作总结\n\n一、接待工作\n今年举办侨界龙舟赛3场。\n", encoding="utf-8")
    said: list[str] = []
    updated = store.build(archive, data, said.append)
    assert updated != first and first.exists()  # the previous store is untouched, still there to serve
    assert any(m.startswith("updating ") for m in said), said
    full = store.build(archive, tmp_path / "fresh")
    assert content(updated) == content(full)
    engine = Engine(updated)
    assert "3场" in engine.ask("龙舟赛办了几场").text
    assert engine.counts()["documents"] == REPORTS


def test_a_faq_change_alone_updates_the_store(archive, tmp_path):
    data = tmp_path / "data"
    store.build(archive, data)
    with (archive / "faq.csv").open("a", encoding="utf-8") as f:
        f.write("侨办的工作总结分几部分,,分五个部分：引智、联谊、民生、宣传、创新。,,\n")
    said: list[str] = []
    updated = store.build(archive, data, said.append)
    assert any(m.startswith("updating ") for m in said), said
    assert content(updated) == content(store.build(archive, tmp_path / "fresh"))
