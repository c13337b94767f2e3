"""Every question set of tests/eval in one run, each against the knowledge it is written for.

    python -m benchmarks.evalsets [--failures FILE]

A set named after a report (gov2019.jsonl beside gov2019.txt) is asked of the shipped knowledge
with that report added; the others of the shipped knowledge alone — as the tests do. Prints
correct / wrong / declined per set, the figures the tests pin.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from bot.evaluation import evaluate, load_cases
from bot.matcher import Engine

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO / "tests" / "eval"


def question_sets() -> list[Path]:
    return sorted(p for p in EVAL.rglob("*.jsonl"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.evalsets", description=__doc__.splitlines()[0])
    p.add_argument("--failures", type=Path, help="write every miss as a JSON line here")
    p.add_argument("sets", nargs="*", type=Path, help="question files (default: all of tests/eval)")
    args = p.parse_args(argv)
    out = args.failures.open("w", encoding="utf-8") if args.failures else None
    print("set                            n  correct   wrong  declined")
    with tempfile.TemporaryDirectory(prefix="evalsets-") as tmp:
        for i, questions in enumerate(args.sets or question_sets()):
            knowledge = Path(tmp) / f"k{i}"
            shutil.copytree(REPO / "knowledge", knowledge)
            report = questions.with_suffix(".txt")
            if report.exists():
                shutil.copy(report, knowledge / report.name)
            engine = Engine.open(knowledge, Path(tmp) / f"d{i}")
            result = evaluate(engine, load_cases(questions))
            c = result.total
            n = sum(c.values()) or 1
            name = str(questions.relative_to(EVAL)) if questions.is_relative_to(EVAL) else questions.name
            print(f"{name:<28} {n:>4}  {c['correct'] / n:>7.1%}  {c['wrong'] / n:>6.1%}  {c['declined'] / n:>8.1%}",
                  flush=True)
            for case, answer, outcome in result.failures if out else []:
                out.write(json.dumps({"set": name, "outcome": outcome, "question": case.question, "kind": case.kind,
                                      "path": case.path, "expect": case.expect, "score": round(answer.score, 3),
                                      "got": [list(r.path) for r in answer.references], "answer": answer.text[:300]},
                                     ensure_ascii=False) + "\n")
    if out:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
