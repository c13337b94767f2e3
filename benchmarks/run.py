"""Benchmarks from the shipped report to a national archive: speed, memory, size and answer quality.

    python -m benchmarks.run                     # 1, 100, 1,000 and 3,000 reports (about 15 minutes)
    python -m benchmarks.run --quick             # 1 and 100 reports, fewer questions and rounds
    python -m benchmarks.run --scales 1,1000     # any scales

prints a Markdown table and writes it to docs/benchmarks.md (`--output`), with the machine noted.
Progress goes to stderr. Each scale runs in its own process, so memory figures are per scale:

1. knowledge: `benchmarks.corpus` writes the shipped knowledge + N-1 generated reports;
2. build: `python -m bot build --knowledge DIR` timed from process start to exit (jieba start-up,
   parsing, segmentation on every core, the SQLite file, the FAQ self-check);
3. cold start and peak RSS: `python -m bot ask --jsonl` with the store already built, timed from
   process start to the first answer line (median of 3); the first of those processes then answers
   the whole question set and its VmHWM (/proc/PID/status) is the peak RSS while serving;
4. latency, in-process: `Engine.open`, every question asked once to warm up, then every question
   timed (`--rounds` times); p50 and p99 over all those timings. When bm25s is installed (the
   `bench` extra), its index over the facts' jieba tokens is built first (`benchmarks.sparse`:
   index time, the resident memory it adds) and each question is timed on bm25s right after the
   bot, so both see the same load; bot/bm25s ratios of p50 and p99; bm25s's cold start is a process
   loading the saved index and answering one question;
5. baseline, in the same process: rank_bm25's BM25Okapi over the jieba tokens of every fact (the
   store's `tokens` column); a question is analysed the same way (its content terms) and scored
   against every fact, the best taken. ours/BM25 compares p50 over the same questions;
6. quality: `bot.evaluation.evaluate` on tests/eval/qiaowu.jsonl — questions about the shipped
   report, which is in every scale, so the figure must hold as unrelated reports are added;
7. reload: one small report added to the knowledge folder, then `Engine.open` timed (a new store
   is built beside the old one, loaded and checked), the report removed again.

The question set is fixed: every question of tests/eval/qiaowu.jsonl (answerable, declined,
Traditional, typos, English, emoji, a long life story) and of tests/eval/gov2019.jsonl (questions
about a State Council report, whose rewritten sections are among the generated reports).

A "## Where the time goes" section already in the output file (from `python -m benchmarks.profile`)
is kept when the tables are rewritten.

A benchmark, not a test: nothing here fails on timing. tests/test_benchmark_smoke.py runs it at a
tiny scale so it cannot rot.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import corpus, sparse

REPO = Path(__file__).resolve().parent.parent
EVAL_DIR = REPO / "tests" / "eval"
QUALITY_SET = EVAL_DIR / "qiaowu.jsonl"
QUESTION_FILES = (EVAL_DIR / "qiaowu.jsonl", EVAL_DIR / "gov2019.jsonl")
DEFAULT_SCALES = (1, 100, 1000, 3000)
QUICK_SCALES = (1, 100)
DEFAULT_OUTPUT = REPO / "docs" / "benchmarks.md"
RELOAD_REPORT = "zz-benchmark-reload.txt"
RELOAD_TEXT = "临时报告\n一、基本情况\n全年共接待来访群众1200人次，办结率98%。\n"

# issue 5's targets: (scale, label, result key, comparison, limit)
TARGETS = (
    (1, "p50 ≤ 1 ms", "p50_ms", "<=", 1.0),
    (1, "p99 ≤ 5 ms", "p99_ms", "<=", 5.0),
    (1, "cold start ≤ 1.5 s", "cold_start_s", "<=", 1.5),
    (1, "reload ≤ 2 s", "reload_s", "<=", 2.0),
    (3000, "p99 ≤ 30 ms", "p99_ms", "<=", 30.0),
    (3000, "≥ 50× faster than BM25 (p50)", "speedup", ">=", 50.0),
    (3000, "build ≤ 3 min", "build_s", "<=", 180.0),
    (3000, "peak RSS ≤ 500 MB", "rss_mb", "<=", 500.0),
)
# issue 15's targets, against bm25s in the same run
TARGETS_BM25S = (
    (1, "p50 ≤ 0.5 ms", "p50_ms", "<=", 0.5),
    (3000, "p50 ≤ 1.5× bm25s's", "bm25s_p50_ratio", "<=", 1.5),
    (3000, "p99 ≤ 1.5× bm25s's", "bm25s_p99_ratio", "<=", 1.5),
    (3000, "peak RSS ≤ 500 MB", "rss_mb", "<=", 500.0),
    (3000, "build ≤ 120 s", "build_s", "<=", 120.0),
    (3000, "cold start ≤ 1 s", "cold_start_s", "<=", 1.0),
)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---- the question set ---------------------------------------------------------------------------


def question_set(quick: bool = False, limit: int | None = None) -> list[str]:
    """The fixed mixed question set, in file order; --quick keeps every fourth question."""
    questions: list[str] = []
    for path in QUESTION_FILES:
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    questions.append(json.loads(line)["question"])
    if not questions:
        raise FileNotFoundError(f"no evaluation questions in {EVAL_DIR}")
    if quick:
        questions = questions[::4]
    return questions[:limit] if limit else questions


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0–100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


# ---- one scale, in its own process --------------------------------------------------------------


@dataclass
class ScaleResult:
    reports: int
    chars: int = 0
    facts: int = 0
    sections: int = 0
    generate_s: float = 0.0
    build_s: float = 0.0
    store_mb: float = 0.0
    cold_start_s: float = 0.0
    rss_mb: float = 0.0
    open_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    mean_ms: float = 0.0
    questions: int = 0
    samples: int = 0
    bm25_index_s: float = 0.0
    bm25_questions: int = 0
    bm25_p50_ms: float = 0.0
    bm25_p99_ms: float = 0.0
    ours_subset_p50_ms: float = 0.0
    ratio: float = 0.0  # ours / BM25, p50 over the same questions
    speedup: float = 0.0  # BM25 / ours
    bm25s: bool = False  # measured (bm25s installed)
    bm25s_index_s: float = 0.0
    bm25s_rss_mb: float = 0.0  # resident memory the index added to the process (peak)
    bm25s_cold_start_s: float = 0.0
    bm25s_p50_ms: float = 0.0
    bm25s_p99_ms: float = 0.0
    bm25s_p50_ratio: float = 0.0  # bot / bm25s
    bm25s_p99_ratio: float = 0.0
    load: str = ""  # load average when the scale was measured
    reload_s: float = 0.0
    quality_n: int = 0
    correct: float = 0.0
    wrong: float = 0.0
    declined: float = 0.0
    by_kind: dict[str, float] = field(default_factory=dict)  # correct rate per kind


def _env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, BOT_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    return env


def _store_file(data_dir: Path) -> Path:
    stores = sorted(data_dir.glob("store-*.db"), key=lambda p: p.stat().st_mtime)
    if not stores:
        raise RuntimeError(f"no store was built in {data_dir}")
    return stores[-1]


def _proc_status_mb(pid: int | str, field: str) -> float:
    """One memory field (VmHWM, VmRSS) of a live process's /proc status, in MB; 0 where unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _vm_hwm_mb(pid: int) -> float:
    """Peak resident set size of a live process (Linux); 0 where unavailable."""
    return _proc_status_mb(pid, "VmHWM")


def _vm_rss_mb() -> float:
    """Resident set size of this process now (Linux); 0 where unavailable."""
    return _proc_status_mb("self", "VmRSS")


def _reset_peak_rss() -> bool:
    """Restart this process's VmHWM from its current RSS (Linux clear_refs 5); False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def bm25s_index(store_file: Path) -> tuple[sparse.SparseIndex, float]:
    """(the bm25s index, MB of resident memory its build added at its peak)."""
    import gc

    gc.collect()
    before, reset = _vm_rss_mb(), _reset_peak_rss()
    index = sparse.SparseIndex.build(store_file)
    added = _vm_hwm_mb(os.getpid()) - before if reset else _vm_rss_mb() - before
    return index, max(added, 0.0)


def bm25s_cold_start(index: sparse.SparseIndex, folder: Path, question: str, runs: int) -> float:
    """Median seconds from process start to the answer of `python -m benchmarks.sparse` (saved index)."""
    index.save(folder)
    times = []
    for _ in range(max(runs, 1)):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "benchmarks.sparse", str(folder), question.replace("\n", " ")],
            env=_env(folder),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - started)
    shutil.rmtree(folder, ignore_errors=True)
    return statistics.median(times)


def serve(knowledge: Path, data_dir: Path, questions: list[str]) -> tuple[float, float]:
    """Start `qiaobot ask --jsonl`, time process start → first answer, then serve every question.

    Returns (seconds to the first answer, peak RSS in MB after the last answer).
    """
    cmd = [sys.executable, "-m", "bot", "ask", "--jsonl", "--knowledge", str(knowledge)]
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=_env(data_dir), text=True, encoding="utf-8"
    )
    assert proc.stdin is not None and proc.stdout is not None
    first = 0.0
    try:
        for i, q in enumerate(questions):
            proc.stdin.write(q.replace("\n", " ") + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"qiaobot ask --jsonl stopped before answering {q!r}")
            json.loads(line)
            if i == 0:
                first = time.perf_counter() - started
        rss = _vm_hwm_mb(proc.pid)
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"qiaobot ask --jsonl exited with status {proc.returncode}")
    return first, rss


def bm25_baseline(store_file: Path, analyse: Callable[[str], list[str]], questions: list[str]):
    """(seconds to index, per-question seconds): BM25Okapi over the facts' jieba tokens."""
    import sqlite3

    import numpy as np
    from rank_bm25 import BM25Okapi

    started = time.perf_counter()
    with sqlite3.connect(f"file:{store_file}?mode=ro", uri=True) as conn:
        tokenized = [t.split() for (t,) in conn.execute("select tokens from facts order by rowid")]
    bm25 = BM25Okapi(tokenized)
    index_s = time.perf_counter() - started
    del tokenized
    timings = []
    for q in questions:
        t0 = time.perf_counter()
        terms = analyse(q)
        if terms:
            int(np.argmax(bm25.get_scores(terms)))
        timings.append(time.perf_counter() - t0)
    return index_s, timings


def measure_scale(
    reports: int,
    workdir: Path,
    questions: list[str],
    rounds: int = 3,
    cold_runs: int = 3,
    bm25_cap: int = 60,
    seed: int = 7,
) -> ScaleResult:
    """Everything for one scale. Call in a fresh process (RSS and caches are per process)."""
    from bot.evaluation import evaluate, load_cases
    from bot.matcher import Engine

    tag = f"[{reports} reports]"
    knowledge, data_dir = workdir / f"knowledge-{reports}", workdir / f"data-{reports}"
    shutil.rmtree(data_dir, ignore_errors=True)
    result = ScaleResult(reports)

    progress(f"{tag} generating the knowledge …")
    stats = corpus.generate(knowledge, reports, seed=seed, force=True)
    result.chars, result.generate_s = stats.chars, stats.seconds

    progress(f"{tag} building the store (python -m bot build) …")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", "build", "--knowledge", str(knowledge)],
        env=_env(data_dir),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    result.build_s = time.perf_counter() - started
    store_file = _store_file(data_dir)
    result.store_mb = store_file.stat().st_size / 2**20

    progress(f"{tag} cold start and memory (python -m bot ask --jsonl, {len(questions)} questions) …")
    colds = []
    for run in range(max(cold_runs, 1)):
        first, rss = serve(knowledge, data_dir, questions if run == 0 else questions[:1])
        colds.append(first)
        if run == 0:
            result.rss_mb = rss
    result.cold_start_s = statistics.median(colds)

    progress(f"{tag} latency in-process ({rounds} round(s) after warm-up) …")
    started = time.perf_counter()
    engine = Engine.open(knowledge, data_dir)
    result.open_s = time.perf_counter() - started
    counts = engine.counts()
    result.facts, result.sections = counts["facts"], counts["sections"]

    def analyse(q: str) -> list[str]:
        """A question as both baselines see it: the bot's own content terms (jieba, folded, synonyms)."""
        return engine.analyzer.terms(engine.analyzer.match_form(q))

    index = None
    if sparse.available():
        progress(f"{tag} bm25s: indexing {result.facts:,} facts …")
        index, result.bm25s_rss_mb = bm25s_index(store_file)
        result.bm25s, result.bm25s_index_s = True, index.index_s

    for q in questions:  # warm-up: jieba, SQLite page cache, lazy structures
        engine.ask(q)
        if index is not None:
            index.best(analyse(q))
    # One question at a time, the bot then bm25s on the same question, so load on the machine
    # falls on both alike.
    per_question: list[list[float]] = [[] for _ in questions]
    sparse_timings: list[float] = []
    for _ in range(max(rounds, 1)):
        for i, q in enumerate(questions):
            t0 = time.perf_counter()
            engine.ask(q)
            per_question[i].append(time.perf_counter() - t0)
            if index is not None:
                t0 = time.perf_counter()
                index.best(analyse(q))
                sparse_timings.append(time.perf_counter() - t0)
    timings = [t for ts in per_question for t in ts]
    result.p50_ms, result.p99_ms = percentile(timings, 50) * 1e3, percentile(timings, 99) * 1e3
    result.mean_ms = statistics.fmean(timings) * 1e3
    result.questions, result.samples = len(questions), len(timings)
    if index is not None:
        result.bm25s_p50_ms = percentile(sparse_timings, 50) * 1e3
        result.bm25s_p99_ms = percentile(sparse_timings, 99) * 1e3
        result.bm25s_p50_ratio = result.p50_ms / result.bm25s_p50_ms
        result.bm25s_p99_ratio = result.p99_ms / result.bm25s_p99_ms
        progress(f"{tag} bm25s cold start (saved index, python -m benchmarks.sparse) …")
        result.bm25s_cold_start_s = bm25s_cold_start(index, workdir / f"bm25s-{reports}", questions[0], cold_runs)
        del index

    progress(f"{tag} answer quality ({QUALITY_SET.name}) …")
    cases = load_cases(QUALITY_SET)
    report = evaluate(engine, cases)
    result.quality_n = len(cases)
    result.correct, result.wrong, result.declined = (report.rate(o) for o in ("correct", "wrong", "declined"))
    result.by_kind = {kind: report.rate("correct", kind) for kind in sorted(report.rows)}

    progress(f"{tag} reload (one report added, Engine.open) …")
    extra = knowledge / RELOAD_REPORT
    extra.write_text(RELOAD_TEXT, encoding="utf-8")
    try:
        started = time.perf_counter()
        documents = Engine.open(knowledge, data_dir).counts()["documents"]
        result.reload_s = time.perf_counter() - started
    finally:
        extra.unlink(missing_ok=True)
    if documents != counts["documents"] + 1:
        raise RuntimeError("the reloaded store does not hold the added report")

    step = max(1, math.ceil(len(questions) / bm25_cap)) if bm25_cap else 1
    subset = list(range(0, len(questions), step))
    progress(f"{tag} baseline: BM25Okapi over {result.facts:,} facts, {len(subset)} questions …")
    index_s, bm25_timings = bm25_baseline(store_file, analyse, [questions[i] for i in subset])
    result.bm25_index_s, result.bm25_questions = index_s, len(subset)
    result.bm25_p50_ms = percentile(bm25_timings, 50) * 1e3
    result.bm25_p99_ms = percentile(bm25_timings, 99) * 1e3
    result.ours_subset_p50_ms = percentile([t for i in subset for t in per_question[i]], 50) * 1e3
    result.ratio = result.ours_subset_p50_ms / result.bm25_p50_ms if result.bm25_p50_ms else 0.0
    result.speedup = 1 / result.ratio if result.ratio else 0.0
    result.load = machine()["load"]
    progress(f"{tag} done: p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, {result.correct:.1%} correct")
    return result


# ---- the machine and the report -----------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    mem = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 2**20:.0f} GB RAM"
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "bot", "knowledge"], capture_output=True, text=True
        ).stdout.strip()
        commit += " with uncommitted changes to bot/ or knowledge/" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {
        "cores": str(os.cpu_count() or 1),
        "cpu": cpu,
        "memory": mem,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        # other work on the machine shows here: above the core count, timings are inflated
        "load": " / ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a",
        "commit": commit,
    }


SPEED_COLUMNS = (
    ("Reports", lambda r: f"{r.reports:,}"),
    ("Characters", lambda r: f"{r.chars:,}"),
    ("Facts", lambda r: f"{r.facts:,}"),
    ("p50 ms", lambda r: f"{r.p50_ms:.2f}"),
    ("p99 ms", lambda r: f"{r.p99_ms:.2f}"),
    ("BM25 p50 ms", lambda r: f"{r.bm25_p50_ms:.2f}"),
    ("BM25 p99 ms", lambda r: f"{r.bm25_p99_ms:.2f}"),
    ("ours/BM25", lambda r: f"{r.ratio:.3f} ({r.speedup:.1f}×)"),
    ("Cold start s", lambda r: f"{r.cold_start_s:.2f}"),
    ("Build s", lambda r: f"{r.build_s:.1f}"),
    ("Reload s", lambda r: f"{r.reload_s:.1f}"),
    ("Peak RSS MB", lambda r: f"{r.rss_mb:.0f}"),
    ("Store MB", lambda r: f"{r.store_mb:.1f}"),
)


# bot beside bm25s, the issue-15 layout: same questions, same process, same rounds
BM25S_COLUMNS = (
    ("Reports", lambda r: f"{r.reports:,}"),
    ("Facts", lambda r: f"{r.facts:,}"),
    ("bot p50 / p99 ms", lambda r: f"{r.p50_ms:.2f} / {r.p99_ms:.2f}"),
    ("bm25s p50 / p99 ms", lambda r: f"{r.bm25s_p50_ms:.2f} / {r.bm25s_p99_ms:.2f}"),
    ("bot/bm25s p50", lambda r: f"{r.bm25s_p50_ratio:.1f}×"),
    ("bot/bm25s p99", lambda r: f"{r.bm25s_p99_ratio:.1f}×"),
    ("rank_bm25 p50 / p99 ms", lambda r: f"{r.bm25_p50_ms:.2f} / {r.bm25_p99_ms:.2f}"),
    ("bot build s", lambda r: f"{r.build_s:.1f}"),
    ("bm25s index s", lambda r: f"{r.bm25s_index_s:.2f}"),
    ("bot peak RSS MB", lambda r: f"{r.rss_mb:.0f}"),
    ("bm25s index RSS MB", lambda r: f"{r.bm25s_rss_mb:.0f}"),
    ("bot cold start s", lambda r: f"{r.cold_start_s:.2f}"),
    ("bm25s cold start s", lambda r: f"{r.bm25s_cold_start_s:.2f}"),
    ("load 1/5/15", lambda r: r.load),
)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def speed_table(results: list[ScaleResult]) -> str:
    return _table([c for c, _ in SPEED_COLUMNS], [[f(r) for _, f in SPEED_COLUMNS] for r in results])


def bm25s_table(results: list[ScaleResult]) -> str:
    rows = [r for r in results if r.bm25s]
    return _table([c for c, _ in BM25S_COLUMNS], [[f(r) for _, f in BM25S_COLUMNS] for r in rows])


def quality_table(results: list[ScaleResult]) -> str:
    kinds = sorted({k for r in results for k in r.by_kind})
    header = ["Reports", "Questions", "Correct", "Wrong", "Declined", *(f"{k} ✓" for k in kinds)]
    rows = [
        [f"{r.reports:,}", str(r.quality_n), f"{r.correct:.1%}", f"{r.wrong:.1%}", f"{r.declined:.1%}"]
        + [f"{r.by_kind[k]:.0%}" if k in r.by_kind else "" for k in kinds]
        for r in results
    ]
    return _table(header, rows)


def target_lines(results: list[ScaleResult], targets=TARGETS) -> list[str]:
    by_scale = {r.reports: r for r in results}
    lines = []
    for scale, label, key, op, limit in targets:
        r = by_scale.get(scale)
        if r is None or (key.startswith("bm25s") and not r.bm25s):
            continue
        value = getattr(r, key)
        ok = value <= limit if op == "<=" else value >= limit
        lines.append(f"- {scale:,} report{'s' if scale > 1 else ''}: {label} — {value:.2f} {'✅' if ok else '❌'}")
    return lines


def render(results: list[ScaleResult], info: dict[str, str], command: str, questions: int, rounds: int) -> str:
    r0 = results[0]
    parts = [
        "# Benchmarks",
        "",
        f"`{command}` — {info['date']}, commit {info['commit']}.",
        "",
        f"Machine: {info['cores']} cores, {info['cpu']}, {info['memory']}, {info['python']}, {info['os']}; "
        f"load average at the end (1/5/15 min) {info['load']}.",
        "",
        "## Speed, memory, size",
        "",
        speed_table(results),
        "",
        f"Latency: {questions} questions (answerable, declined, Traditional, typos, gov report), "
        f"{rounds} timed round(s) after a warm-up, in-process; p50/p99 over all timings. BM25: "
        f"rank_bm25 BM25Okapi over the facts' jieba tokens, on {r0.bm25_questions} of those questions "
        "(every n-th); ours/BM25 is the ratio of p50 over the same questions, (n×) how many times faster ours is. Cold start: process start "
        "to first answer of `python -m bot ask --jsonl`, store built, median of the runs. Build: "
        "`python -m bot build` wall time. Reload: `Engine.open` after adding one report (a full rebuild, "
        "load and check). Peak RSS: VmHWM of the serving process after answering every question.",
        "",
        "## Against bm25s (issue 15)",
        "",
        *(
            [
                bm25s_table(results),
                "",
                f"bot and bm25s: every one of the {questions} questions, {rounds} timed round(s) after a warm-up, "
                "in one process, one question at a time: the bot's `Engine.ask`, then bm25s on the same question "
                "(so the machine's load falls on both alike). bm25s: `bm25s.BM25()` with its defaults over the jieba "
                "tokens of every fact (the store's `tokens` column); a question is the bot's own content terms "
                "(`Analyzer.terms`, timed with it), scored against every fact, the best taken. Ratios: bot over bm25s, "
                "> 1× means the bot is slower. Index: reading the tokens from the store and `BM25.index`. bm25s index "
                "RSS: the peak resident memory the index build added to the process (VmHWM reset before it). bm25s "
                "cold start: `python -m benchmarks.sparse` loading the saved index and answering one question "
                "tokenised by plain jieba, median of the runs. rank_bm25: the BM25 columns above, on their subset. "
                "Load: the load average when the scale finished (above the core count, timings are inflated).",
            ]
            if any(r.bm25s for r in results)
            else ['bm25s is not installed: `pip install -e ".[bench]"` to measure it.']
        ),
        "",
        f"## Answer quality ({QUALITY_SET.relative_to(REPO)}, the shipped report among the others)",
        "",
        quality_table(results),
        "",
    ]
    targets = target_lines(results)
    if targets:
        parts += ["## Targets (issue 5)", "", *targets, ""]
    targets = target_lines(results, TARGETS_BM25S)
    if targets:
        parts += ["## Targets (issue 15)", "", *targets, ""]
    parts += [
        "The knowledge at N reports is the shipped knowledge plus N-1 reports generated by "
        "`python -m benchmarks.corpus` (seed 7) from the State Council reports: localised, resampled, "
        "renumbered, figures and years varied. Regenerate this file with the command above; see "
        "benchmarks/run.py for what each figure measures.",
        "",
    ]
    return "\n".join(parts)


KEPT_HEADING = "## Where the time goes"


def kept_sections(output: Path) -> str:
    """The profile section of an existing output file (written from `python -m benchmarks.profile`),
    kept when the tables are regenerated: it is measured by another command."""
    if not output.is_file():
        return ""
    old = output.read_text(encoding="utf-8")
    at = old.find("\n" + KEPT_HEADING)
    return "\n" + old[at + 1 :].rstrip() + "\n" if at >= 0 else ""

# ---- building: one report changed, one long paragraph -------------------------------------------

BUILD_SECTION = "## Building: one report changed, one long paragraph"
PARAGRAPH_SIZES = (100_000, 300_000, 1_000_000)  # bytes of UTF-8
PARAGRAPH_TIMEOUT = 120.0  # seconds; a build still running then is written down as "> 120"


@dataclass
class ChangeResult:
    reports: int
    build_s: float = 0.0
    add_s: float = 0.0  # one report added, until Engine.open returns (built, loaded, checked)
    remove_s: float = 0.0  # one report removed, the same


def measure_change(reports: int, workdir: Path, seed: int = 7) -> ChangeResult:
    """Full build, then one generated report added, then another removed, each timed to a serving Engine."""
    from bot.matcher import Engine

    tag = f"[{reports} reports, one changed]"
    knowledge, data_dir = workdir / f"knowledge-change-{reports}", workdir / f"data-change-{reports}"
    shutil.rmtree(data_dir, ignore_errors=True)
    result = ChangeResult(reports)
    progress(f"{tag} generating the knowledge …")
    corpus.generate(knowledge, reports, seed=seed, force=True)
    progress(f"{tag} full build (python -m bot build) …")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot", "build", "--knowledge", str(knowledge)], env=_env(data_dir),
                   check=True, stdout=subprocess.DEVNULL)
    result.build_s = time.perf_counter() - started
    documents = Engine.open(knowledge, data_dir).counts()["documents"]

    progress(f"{tag} one report added …")
    rng = __import__("random").Random(f"{seed}:added")
    stem, text = corpus.gov_report(reports + 1, rng, corpus.load_sources(corpus.find_gov_dir()),
                                   corpus.MEAN_REPORT_CHARS)
    (knowledge / f"{stem}-added.txt").write_text(text, encoding="utf-8")
    started = time.perf_counter()
    added = Engine.open(knowledge, data_dir).counts()["documents"]
    result.add_s = time.perf_counter() - started

    progress(f"{tag} one report removed …")
    victim = sorted(knowledge.glob("r*.txt"))[0]
    victim.unlink()
    started = time.perf_counter()
    removed = Engine.open(knowledge, data_dir).counts()["documents"]
    result.remove_s = time.perf_counter() - started
    if (added, removed) != (documents + 1, documents):
        raise RuntimeError(f"documents {documents} → {added} → {removed}: the change did not reach the store")
    progress(f"{tag} done: add {result.add_s:.1f} s, remove {result.remove_s:.1f} s")
    return result


PARAGRAPH_ENDS = ("yes", "no", "by a correction")  # the last: none in the text, a correction adds them


@dataclass
class ParagraphResult:
    size: int  # bytes
    sentence_ends: str  # one of PARAGRAPH_ENDS
    build_s: float = 0.0  # 0 when it did not finish within PARAGRAPH_TIMEOUT
    facts: int = 0
    longest: int = 0  # characters of the longest statement


def long_paragraph(size: int, sentence_ends: bool) -> str:
    """One paragraph of `size` UTF-8 bytes from the State Council reports, no line break; without
    sentence ends every 。！？；!?; becomes ，."""
    text = "".join(p.read_text(encoding="utf-8").replace("\n", "").replace(" ", "").replace("\u3000", "")
                   for p in sorted(corpus.find_gov_dir().glob("gov*.txt")))
    if not sentence_ends:
        text = text.translate({ord(c): "，" for c in "。！？；!?;"})
    data = text.encode("utf-8")
    while len(data) < size:
        data += data
    return data[:size].decode("utf-8", errors="ignore")


def measure_paragraph(size: int, sentence_ends: str, workdir: Path) -> ParagraphResult:
    """`python -m bot build` of the shipped knowledge plus one report that is one long paragraph."""
    import sqlite3

    tag = f"[one paragraph, {size // 1000} KB, sentence ends: {sentence_ends}]"
    name = f"paragraph-{size}-{PARAGRAPH_ENDS.index(sentence_ends)}"
    knowledge, data_dir = workdir / f"knowledge-{name}", workdir / f"data-{name}"
    shutil.rmtree(knowledge, ignore_errors=True)
    shutil.rmtree(data_dir, ignore_errors=True)
    shutil.copytree(corpus.SHIPPED_KNOWLEDGE, knowledge)
    (knowledge / f"{name}.txt").write_text(long_paragraph(size, sentence_ends == "yes"), encoding="utf-8")
    if sentence_ends == "by a correction":  # every ， of this report becomes 。
        with (knowledge / "corrections.csv").open("a", encoding="utf-8") as f:
            f.write(f"，,。,{name},,benchmark\n")
    result = ParagraphResult(size, sentence_ends)
    progress(f"{tag} building …")
    started = time.perf_counter()
    try:
        subprocess.run([sys.executable, "-m", "bot", "build", "--knowledge", str(knowledge)], env=_env(data_dir),
                       check=True, stdout=subprocess.DEVNULL, timeout=PARAGRAPH_TIMEOUT)
    except subprocess.TimeoutExpired:
        progress(f"{tag} not built within {PARAGRAPH_TIMEOUT:.0f} s")
        return result
    result.build_s = time.perf_counter() - started
    with sqlite3.connect(f"file:{_store_file(data_dir)}?mode=ro", uri=True) as conn:
        result.facts, result.longest = conn.execute(
            "select count(*), max(length(text)) from facts where doc = ?", (name,)).fetchone()
    progress(f"{tag} {result.build_s:.1f} s, {result.facts} statements")
    return result


def render_builds(changes: list[ChangeResult], paragraphs: list[ParagraphResult], info: dict[str, str],
                  command: str) -> str:
    def seconds(s: float) -> str:
        return f"{s:.1f}" if s else f"> {PARAGRAPH_TIMEOUT:.0f}"

    parts = [BUILD_SECTION, "", f"`{command}` — {info['date']}, commit {info['commit']}; {info['cores']} cores, "
             f"load average at the end {info['load']}.", ""]
    if changes:
        parts += [_table(["Reports", "Full build s", "One added s", "One removed s"],
                         [[f"{c.reports:,}", f"{c.build_s:.1f}", f"{c.add_s:.1f}", f"{c.remove_s:.1f}"]
                          for c in changes]), "",
                  "Full build: `python -m bot build` wall time. One added / removed: a generated report (about "
                  f"{corpus.MEAN_REPORT_CHARS:,} characters) written into, then another deleted from, the knowledge "
                  "folder, each timed to `Engine.open` returning (the new store built beside the old one, "
                  "swapped in, loaded and checked).", ""]
    if paragraphs:
        parts += [_table(["Paragraph", "Sentence ends", "Build s", "Statements", "Longest statement"],
                         [[f"{p.size // 1000:,} KB", p.sentence_ends, seconds(p.build_s),
                           f"{p.facts:,}", f"{p.longest:,}"] for p in paragraphs]), "",
                  "`python -m bot build` wall time of the shipped knowledge plus one report that is a single "
                  "paragraph (no line break) of that many bytes of State Council report text; without sentence "
                  "ends, every 。！？；!?; is a ，; by a correction: that text, and a line of corrections.csv turning this "
                  "report's ， into 。.", ""]
    return "\n".join(parts)


def replace_section(text: str, section: str) -> str:
    """`text` with its build section replaced by `section` (appended if it had none)."""
    start = text.find(BUILD_SECTION)
    if start < 0:
        return text.rstrip("\n") + "\n\n" + section
    end = text.find("\n## ", start + len(BUILD_SECTION))
    return text[:start] + section + (text[end + 1:] if end >= 0 else "")


# ---- command line -------------------------------------------------------------------------------


def _scales(text: str) -> list[int]:
    try:
        scales = [int(s) for s in text.replace(" ", "").split(",") if s]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give report counts separated by commas, e.g. 1,100") from None
    if not scales or min(scales) < 1:
        raise argparse.ArgumentTypeError("scales must be report counts of at least 1")
    return scales


def _counts(text: str) -> list[int]:
    """Like --scales, but may be empty (\"\": none)."""
    return _scales(text) if text.strip() else []


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Benchmark the bot at several knowledge sizes; print a Markdown table and write it to a file.",
    )
    p.add_argument("--scales", type=_scales, help="report counts, default 1,100,1000,3000 (--quick: 1,100)")
    p.add_argument("--quick", action="store_true", help="every fourth question, 1 round, 1 cold start")
    p.add_argument("--questions", type=int, metavar="N", help="use only the first N questions of the set")
    p.add_argument("--rounds", type=int, help="timed rounds over the question set (default 3; --quick 1)")
    p.add_argument("--bm25-questions", type=int, default=60, metavar="N", help="baseline questions at most (60)")
    p.add_argument("--seed", type=int, default=7, help="corpus seed (default 7)")
    p.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="Markdown file to write (docs/benchmarks.md)")
    p.add_argument("--workdir", type=Path, help="where knowledge and stores go (default: a temporary folder)")
    p.add_argument("--keep", action="store_true", help="keep the work folder (knowledge and stores) afterwards")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the raw results as JSON")
    p.add_argument("--builds", action="store_true",
                   help="only the building rows: one report changed at --change-scales, long paragraphs")
    p.add_argument("--change-scales", type=_counts, default=[300, 3000], help="archives for --builds (300,3000)")
    p.add_argument("--paragraphs", type=_counts, default=list(PARAGRAPH_SIZES),
                   help="one-paragraph report sizes in bytes for --builds (100000,300000,1000000); \"\": none")
    p.add_argument("--worker", type=int, metavar="REPORTS", help=argparse.SUPPRESS)  # one scale, in-process
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 3)
    questions = question_set(args.quick, args.questions)

    if args.worker:
        result = measure_scale(
            args.worker,
            args.workdir,
            questions,
            rounds=rounds,
            cold_runs=1 if args.quick else 3,
            bm25_cap=args.bm25_questions,
            seed=args.seed,
        )
        args.result.write_text(json.dumps(asdict(result)), encoding="utf-8")
        return 0

    if args.builds:
        return builds(args)
    scales = args.scales or list(QUICK_SCALES if args.quick else DEFAULT_SCALES)
    info = machine()  # the commit measured is the one checked out at the start
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="qiaobot-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results: list[ScaleResult] = []
    try:
        for scale in scales:
            result_file = workdir / f"result-{scale}.json"
            cmd = [
                sys.executable,
                "-m",
                "benchmarks.run",
                "--worker",
                str(scale),
                "--workdir",
                str(workdir),
                "--result",
                str(result_file),
                "--rounds",
                str(rounds),
                "--seed",
                str(args.seed),
                "--bm25-questions",
                str(args.bm25_questions),
            ]
            if args.quick:
                cmd.append("--quick")
            if args.questions:
                cmd += ["--questions", str(args.questions)]
            started = time.perf_counter()
            subprocess.run(cmd, env=_env(workdir / f"data-{scale}"), check=True)
            results.append(ScaleResult(**json.loads(result_file.read_text(encoding="utf-8"))))
            progress(f"[{scale} reports] measured in {time.perf_counter() - started:.0f} s")
            if not args.keep:  # a 3,000-report scale holds a few hundred MB: free it before the next
                shutil.rmtree(workdir / f"knowledge-{scale}", ignore_errors=True)
                shutil.rmtree(workdir / f"data-{scale}", ignore_errors=True)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    command = " ".join(["python -m benchmarks.run", *(sys.argv[1:] if argv is None else argv)])
    info["load"] = machine()["load"]
    text = render(results, info, command, len(questions), rounds)
    print(text)
    text += kept_sections(args.output)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    old = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
    if BUILD_SECTION in old:  # measured by --builds: kept
        text = replace_section(text, old[old.find(BUILD_SECTION):])
    args.output.write_text(text, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], ensure_ascii=False, indent=1), encoding="utf-8")
    progress(f"written to {args.output}")
    return 0


def builds(args: argparse.Namespace) -> int:
    """The building rows only; they replace the build section of --output and keep the rest."""
    info = machine()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="qiaobot-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        changes = [measure_change(n, workdir, args.seed) for n in args.change_scales]
        paragraphs = [measure_paragraph(size, ends, workdir) for size in args.paragraphs for ends in PARAGRAPH_ENDS]
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    command = " ".join(["python -m benchmarks.run", *sys.argv[1:]])
    info["load"] = machine()["load"]
    section = render_builds(changes, paragraphs, info, command)
    print(section)
    old = args.output.read_text(encoding="utf-8") if args.output.is_file() else "# Benchmarks\n"
    args.output.write_text(replace_section(old, section), encoding="utf-8")
    progress(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
