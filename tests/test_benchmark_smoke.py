"""The benchmark's corpus generator and harness at a tiny scale, so they cannot rot. Structure only, never timing."""

from __future__ import annotations

import json
import re

import pytest

from benchmarks import corpus, run, sparse

GOV_DIR = corpus.GOV_DIR


def numbering_errors(text: str) -> list[str]:
    """Headings that do not count on from their previous sibling (levels nest in order of appearance)."""
    errors, stack = [], []  # [(style, n)]
    for line in text.splitlines():
        found = corpus.marker_of(line.strip("\u3000 "))
        if not found:
            continue
        style, m = found
        raw = m.group("n")
        n = int(raw.translate(corpus._FULLWIDTH)) if "arabic" in style else corpus.cn_to_int(raw)
        styles = [s for s, _ in stack]
        if style in styles:
            prev = stack[styles.index(style)][1]
            del stack[styles.index(style) :]
            if n not in (prev + 1, 1):
                errors.append(line[:30])
        elif n != 1:
            errors.append(line[:30])
        stack.append((style, n))
    return errors


@pytest.mark.parametrize("n", [1, 2, 10, 23, 99])
def test_chinese_numerals_round_trip(n):
    assert corpus.cn_to_int(corpus.int_to_cn(n)) == n


def test_one_report_is_the_shipped_knowledge(tmp_path):
    stats = corpus.generate(tmp_path / "k", 1)
    assert stats.reports == 1 and stats.generated == 0
    shipped = corpus.SHIPPED_KNOWLEDGE / corpus.SEED_NAME
    assert (tmp_path / "k" / corpus.SEED_NAME).read_bytes() == shipped.read_bytes()


def test_tiny_corpus(tmp_path):
    out = tmp_path / "k"
    stats = corpus.generate(out, 5, seed=3, gov_dir=GOV_DIR)
    reports = sorted(out.glob("*.txt"))
    assert stats.reports == 5 and stats.generated == 4 and len(reports) == 5
    # the seed verbatim, and the curated files beside it (FAQ, synonyms, word list)
    assert (out / corpus.SEED_NAME).read_bytes() == (corpus.SHIPPED_KNOWLEDGE / corpus.SEED_NAME).read_bytes()
    for extra in corpus.SHIPPED_KNOWLEDGE.iterdir():
        assert (out / extra.name).exists()
    generated = [p for p in reports if p.name != corpus.SEED_NAME]
    for path in generated:
        assert re.fullmatch(r"r\d{5}-[a-z]+-\d{4}", path.stem)
        text = path.read_text(encoding="utf-8")
        assert 1_500 < len(text) < 40_000
        assert "政府工作报告" in text.splitlines()[0]
        assert "Public domain" not in text and "本作品是" not in text
        assert "国务院" not in text  # localised
        assert numbering_errors(text) == []
    assert stats.chars == sum(len(p.read_text(encoding="utf-8")) for p in reports)


def test_deterministic_and_nested(tmp_path):
    """Same seed → same files; report i does not depend on the scale (100 ⊂ 1,000)."""
    corpus.generate(tmp_path / "a", 4, seed=11, gov_dir=GOV_DIR)
    corpus.generate(tmp_path / "b", 6, seed=11, gov_dir=GOV_DIR)
    for path in (tmp_path / "a").glob("r*.txt"):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()
    corpus.generate(tmp_path / "c", 4, seed=12, gov_dir=GOV_DIR)
    assert {p.name for p in (tmp_path / "a").glob("r*")} != {p.name for p in (tmp_path / "c").glob("r*")}


def test_seed_variants_are_opt_in(tmp_path):
    corpus.generate(tmp_path / "v", 6, seed=5, gov_dir=GOV_DIR, seed_variants=1.0)
    variants = sorted((tmp_path / "v").glob("r*-qiaowu-*.txt"))
    assert len(variants) == 5
    for path in variants:
        text = path.read_text(encoding="utf-8")
        assert "苏州" not in text and "周向群" not in text
        assert "（一）" in text and "一是" in text


def test_refuses_to_overwrite(tmp_path):
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(FileExistsError):
        corpus.generate(tmp_path / "k", 1)


def test_cli(tmp_path, capsys):
    assert corpus.main(["--reports", "3", "--out", str(tmp_path / "k"), "--gov", str(GOV_DIR)]) == 0
    assert "3 reports (2 generated)" in capsys.readouterr().out
    assert corpus.main(["--reports", "3", "--out", str(tmp_path / "k")]) == 1


# ---- the harness ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [([3.0], 99, 3.0), ([1.0, 2.0, 3.0, 4.0], 50, 2.0), (list(map(float, range(1, 101))), 99, 99.0)],
)
def test_percentile(values, p, expected):
    assert run.percentile(values, p) == expected


def test_question_set_is_fixed_and_mixed():
    full, quick = run.question_set(), run.question_set(quick=True)
    assert full == run.question_set() and quick == full[::4]
    assert run.question_set(limit=5) == full[:5]
    assert any("歸" in q for q in full)  # Traditional
    assert any(q.isascii() for q in full)  # English / nonsense, to be declined


def test_tiny_benchmark_run(tmp_path):
    """Three reports, a handful of questions, through the real harness: one subprocess per scale."""
    out, raw = tmp_path / "benchmarks.md", tmp_path / "results.json"
    args = ["--scales", "1,3", "--quick", "--questions", "6", "--bm25-questions", "3"]
    assert run.main([*args, "--output", str(out), "--json", str(raw), "--workdir", str(tmp_path / "w")]) == 0

    text = out.read_text(encoding="utf-8")
    assert "Machine:" in text and "cores" in text and "Python" in text
    tables = [b for b in text.split("\n\n") if b.startswith("| ")]
    with_bm25s = sparse.available()
    assert len(tables) == (3 if with_bm25s else 2)
    if not with_bm25s:
        assert "bm25s is not installed" in text
    speed, quality = ([line.split("|")[1:-1] for line in t.splitlines()] for t in (tables[0], tables[-1]))
    header = [c.strip() for c in speed[0]]
    assert header == [name for name, _ in run.SPEED_COLUMNS]
    assert [row[0].strip() for row in speed[2:]] == ["1", "3"]
    assert all(len(row) == len(header) for row in speed)
    assert [c.strip() for c in quality[0][:5]] == ["Reports", "Questions", "Correct", "Wrong", "Declined"]
    assert [row[0].strip() for row in quality[2:]] == ["1", "3"]

    results = json.loads(raw.read_text(encoding="utf-8"))
    assert [r["reports"] for r in results] == [1, 3]
    for r in results:
        for key in (
            "chars",
            "facts",
            "build_s",
            "store_mb",
            "cold_start_s",
            "rss_mb",
            "p50_ms",
            "p99_ms",
            "bm25_p50_ms",
            "ratio",
            "reload_s",
            "quality_n",
        ):
            assert r[key] > 0, key
        assert r["p99_ms"] >= r["p50_ms"]
        assert r["questions"] == 6 and r["bm25_questions"] == 3
        assert abs(r["correct"] + r["wrong"] + r["declined"] - 1) < 1e-9
    assert results[1]["chars"] > results[0]["chars"] and results[1]["facts"] > results[0]["facts"]
    assert all(r["bm25s"] is with_bm25s for r in results)
    if with_bm25s:
        against = [line.split("|")[1:-1] for line in tables[1].splitlines()]
        assert [c.strip() for c in against[0]] == [name for name, _ in run.BM25S_COLUMNS]
        assert [row[0].strip() for row in against[2:]] == ["1", "3"]
        for r in results:
            for key in ("bm25s_p50_ms", "bm25s_p99_ms", "bm25s_p50_ratio", "bm25s_p99_ratio", "bm25s_cold_start_s"):
                assert r[key] > 0, key
            assert r["bm25s_p99_ms"] >= r["bm25s_p50_ms"]


bm25s_only = pytest.mark.skipif(not sparse.available(), reason="bm25s not installed (the bench extra)")


@bm25s_only
def test_bm25s_finds_the_fact_that_holds_the_terms(tmp_path):
    """The anchor is a real BM25: over a tiny store, a fact's own rare words find that fact."""
    import sqlite3

    store_file = tmp_path / "tiny.db"
    facts = ["全年 接待 来访 群众 1200 人次", "举办 华文 教育 培训班 12 期", "新建 侨胞 之家 30 个"]
    with sqlite3.connect(store_file) as conn:
        conn.execute("create table facts (tokens text)")
        conn.executemany("insert into facts values (?)", [(f,) for f in facts])
    index = sparse.SparseIndex.build(store_file)
    assert index.facts == 3
    assert index.best(["华文", "培训班"]) == 1
    assert index.best(["侨胞", "之家"]) == 2
    assert index.best(["不在词表"]) is None
    assert not (tmp_path / "w" / "knowledge-3").exists()  # each scale's files are freed after it
