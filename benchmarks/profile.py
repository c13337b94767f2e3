"""Where the bot's time per question goes: cProfile over the benchmark questions at one scale.

    python -m benchmarks.profile --reports 300 [--top 25] [--rounds 1] [--stats FILE]

Generates the knowledge as `benchmarks.run` does (`benchmarks.corpus`, seed 7), builds it with
`python -m bot build`, opens the Engine, asks every question once to warm up, then profiles
`Engine.ask` over the whole question set (`--rounds` times) and prints two Markdown tables: the top
functions by cumulative time and by own time, in ms per question. cProfile's own overhead inflates
the absolute figures (small calls most); read the shares, not the milliseconds.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from . import corpus
from .run import REPO, _env, machine, progress, question_set


def _where(key: tuple[str, int, str]) -> str:
    """`module path:line(function)`, relative to the repository or to site-packages."""
    file, line, name = key
    if file == "~":  # a built-in
        return name
    path = Path(file).resolve()
    for root in (Path(sysconfig.get_paths()["purelib"]), Path(sysconfig.get_paths()["stdlib"]), REPO):
        if path.is_relative_to(root):
            path = path.relative_to(root)
            break
    return f"{path}:{line}({name})"


def top_table(stats: pstats.Stats, per: int, top: int, sort: str) -> str:
    """The `top` functions by cumulative ("cum") or own ("own") time, ms per question."""
    rows = stats.stats.items()  # type: ignore[attr-defined]  # {key: (cc, ncalls, tottime, cumtime, callers)}
    index = 3 if sort == "cum" else 2
    ranked = sorted(rows, key=lambda kv: -kv[1][index])[:top]
    lines = ["| function | calls / question | own ms / question | cumulative ms / question |", "|---|---:|---:|---:|"]
    for key, (_cc, nc, tt, ct, _callers) in ranked:
        lines.append(f"| `{_where(key)}` | {nc / per:.1f} | {tt / per * 1e3:.3f} | {ct / per * 1e3:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.split("\n\n")[0])
    p.add_argument("--reports", type=int, default=300, help="knowledge size in reports (default 300)")
    p.add_argument("--top", type=int, default=25, help="rows per table (default 25)")
    p.add_argument("--rounds", type=int, default=1, help="profiled rounds over the question set (default 1)")
    p.add_argument("--seed", type=int, default=7, help="corpus seed (default 7)")
    p.add_argument("--stats", type=Path, metavar="FILE", help="also save the raw cProfile stats (pstats format)")
    args = p.parse_args(argv)

    from bot.matcher import Engine

    questions = question_set()
    workdir = Path(tempfile.mkdtemp(prefix="qiaobot-profile-"))
    knowledge, data_dir = workdir / "knowledge", workdir / "data"
    try:
        progress(f"generating {args.reports} reports …")
        corpus.generate(knowledge, args.reports, seed=args.seed, force=True)
        progress("building the store (python -m bot build) …")
        subprocess.run(
            [sys.executable, "-m", "bot", "build", "--knowledge", str(knowledge)],
            env=_env(data_dir), check=True, stdout=subprocess.DEVNULL,
        )
        engine = Engine.open(knowledge, data_dir)
        facts = engine.counts()["facts"]
        for q in questions:  # warm-up, as the latency benchmark does
            engine.ask(q)
        progress(f"profiling {len(questions)} questions × {args.rounds} round(s) over {facts:,} facts …")
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(max(args.rounds, 1)):
            for q in questions:
                engine.ask(q)
        profiler.disable()
        wall = time.perf_counter() - started
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    per = len(questions) * max(args.rounds, 1)
    stats = pstats.Stats(profiler)
    if args.stats:
        stats.dump_stats(args.stats)
    info = machine()
    print(
        f"`python -m benchmarks.profile --reports {args.reports}` — {info['date']}, commit {info['commit']}; "
        f"{info['cores']} cores, load average {info['load']}. {len(questions)} questions × {args.rounds} round(s) "
        f"over {args.reports:,} reports ({facts:,} facts): {wall / per * 1e3:.2f} ms per question under the profiler.\n"
    )
    print("By cumulative time:\n")
    print(top_table(stats, per, args.top, "cum"))
    print("\nBy own time:\n")
    print(top_table(stats, per, args.top, "own"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
