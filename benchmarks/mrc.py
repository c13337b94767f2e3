"""Reading-comprehension evaluation: every article of a set is a knowledge folder of its own.

    python -m benchmarks.mrc SET_DIR [--limit N] [--sample-seed S] [--half tune|check|all] [--failures FILE]

SET_DIR holds `articles/<id>/<id>.txt` and `questions.jsonl` (the evaluation format of
`qiaobot eval`, with `path: []` for any section of the article and `also` for other accepted
answers). A sample of N articles is drawn with the seed (sorted ids, then `random.Random(S)`);
each is copied into a fresh knowledge folder, built into a fresh data dir and asked its own
questions, scored by `bot.evaluation.judge` — the same judge as `qiaobot eval`: answered, citing the
article, holding the expected answer after folding (NFKC, quotes, Traditional → Simplified).

The sample splits into two halves by a hash of the article id: tune on `tune`, check on `check`
(`all` reports both). Prints correct / wrong / declined per half and overall.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path

from bot.evaluation import judge, load_cases
from bot.matcher import Engine


def half_of(article: str) -> str:
    """A fixed split that does not depend on the sample: half the articles tune, half check."""
    return "tune" if zlib.crc32(article.encode()) % 2 == 0 else "check"


def sample(set_dir: Path, limit: int | None, seed: int, half: str) -> list[str]:
    articles = sorted(p.name for p in (set_dir / "articles").iterdir() if p.is_dir())
    if limit is not None and limit < len(articles):
        articles = sorted(random.Random(seed).sample(articles, limit))
    return [a for a in articles if half == "all" or half_of(a) == half]


def run(set_dir: Path, articles: list[str], failures=None, every: bool = False) -> dict[str, Counter]:
    cases = load_cases(set_dir / "questions.jsonl")
    by_doc: dict[str, list] = {}
    for case in cases:
        by_doc.setdefault(case.doc, []).append(case)
    counts: dict[str, Counter] = {"tune": Counter(), "check": Counter()}
    with tempfile.TemporaryDirectory(prefix="mrc-") as tmp:
        for i, article in enumerate(articles, 1):
            knowledge = Path(tmp) / article / "knowledge"
            shutil.copytree(set_dir / "articles" / article, knowledge)
            engine = Engine.open(knowledge, Path(tmp) / article / "data")
            for case in by_doc.get(article, []):
                answer = engine.ask(case.question)
                outcome = judge(case, answer)
                counts[half_of(article)][outcome] += 1
                if failures is not None and (outcome != "correct" or every):
                    failures.write(json.dumps({
                        "outcome": outcome, "doc": article, "question": case.question, "expect": case.expect,
                        "also": case.also, "score": round(answer.score, 3), "answer": answer.text[:300],
                    }, ensure_ascii=False) + "\n")
            shutil.rmtree(Path(tmp) / article)
            print(f"\r{i}/{len(articles)} articles", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return counts


def row(name: str, c: Counter) -> str:
    n = sum(c.values()) or 1
    return (f"{name:<8} {sum(c.values()):>5}  {c['correct'] / n:>7.1%}  {c['wrong'] / n:>6.1%}  "
            f"{c['declined'] / n:>8.1%}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.mrc", description=__doc__.splitlines()[0])
    p.add_argument("set_dir", type=Path)
    p.add_argument("--limit", type=int, help="articles to sample (default: all)")
    p.add_argument("--sample-seed", type=int, default=0)
    p.add_argument("--half", choices=("tune", "check", "all"), default="all")
    p.add_argument("--failures", type=Path, help="write every miss as a JSON line here")
    p.add_argument("--every", action="store_true", help="with --failures: write every question, right ones too")
    args = p.parse_args(argv)
    articles = sample(args.set_dir, args.limit, args.sample_seed, args.half)
    started = time.perf_counter()
    out = args.failures.open("w", encoding="utf-8") if args.failures else None
    try:
        counts = run(args.set_dir, articles, out, args.every)
    finally:
        if out:
            out.close()
    print(f"{args.set_dir.name}: {len(articles)} articles, seed {args.sample_seed}, "
          f"{time.perf_counter() - started:.0f} s")
    print("half         n  correct   wrong  declined")
    total: Counter = Counter()
    for name, c in counts.items():
        if sum(c.values()):
            print(row(name, c))
            total.update(c)
    print(row("overall", total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
