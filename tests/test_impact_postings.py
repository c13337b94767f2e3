"""Impact postings: the build's per-term rows and BM25 weights rank candidates as FTS5's own
`order by rank` does, one row per wording, and retrieval finds through them what was asked."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from benchmarks import corpus
from bot import store
from bot.matcher import Engine

BOILERPLATE = "全年共接待来访侨胞团组若干批次。"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    knowledge = tmp_path_factory.mktemp("postings") / "knowledge"
    corpus.generate(knowledge, 6, seed=3)
    for i in range(3):  # one wording in three reports
        (knowledge / f"copy{i}.txt").write_text(f"某县侨务工作总结{i}\n\n一、接待工作\n{BOILERPLATE}\n", encoding="utf-8")
    return store.build(knowledge, knowledge.parent / "data")


def _postings(conn: sqlite3.Connection, table: str, term: str) -> dict[int, float]:
    rows, impacts = conn.execute(f"select rowids, impacts from {table}_postings where term = ?", [term]).fetchone()
    return dict(zip(np.frombuffer(rows, dtype=np.int32).tolist(), np.frombuffer(impacts, dtype=np.float32).tolist(),
                    strict=True))


@pytest.mark.parametrize("table", ["facts", "sections"])
def test_postings_hold_fts5s_matches_and_bm25_weights(archive, table):
    with sqlite3.connect(archive) as conn:
        terms = [t for (t,) in conn.execute(f"select term from {table}_postings order by term")]
        for term in terms[:: max(len(terms) // 200, 1)]:
            posted = _postings(conn, table, term)
            assert list(posted) == sorted(posted)  # ascending: the order the build wrote and retrieval ties by
            ranked = conn.execute(
                f"select min(t.rowid), min(f.rank), count(*) from {table}_fts f join {table} t on t.rowid = f.rowid "
                f"where {table}_fts match ? group by t.match_text", ['"' + term.replace('"', "") + '"']).fetchall()
            assert sorted(posted) == sorted(r for r, _, _ in ranked)  # the first row of each wording
            for rowid, rank, _ in ranked:
                assert posted[rowid] == pytest.approx(-rank, rel=1e-4)  # FTS5's bm25(), negated


def test_a_shared_wording_is_posted_once_and_found(archive):
    engine = Engine(archive)
    with sqlite3.connect(archive) as conn:
        copies = [r for (r,) in conn.execute("select rowid from facts where text = ?", [BOILERPLATE])]
        term = conn.execute("select index_terms from facts where rowid = ?", [copies[0]]).fetchone()[0].split()[0]
        posted = _postings(conn, "facts", term)
    assert len(copies) == 3 and [r for r in copies if r in posted] == copies[:1]
    answer = engine.ask("接待来访侨胞团组")
    assert answer.answered and BOILERPLATE in answer.text


def test_candidates_need_two_of_the_telling_words(archive):
    engine = Engine(archive)
    with sqlite3.connect(archive) as conn:
        texts = dict(conn.execute("select rowid, match_text from facts"))
    words = ["团组", "批次"]
    found = engine._search("facts", [(words, 2)])
    assert found and all(all(w in texts[r] for w in words) for r in found)
