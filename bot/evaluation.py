"""Evaluation: run a question set through the engine and count correct / wrong / declined per kind.

A question file is JSON lines: {"question", "kind", "doc", "path": [..] | null, "expect": [..],
"also": [..]}. path null means the report cannot answer it and the bot must decline; path [] means
any section of the document.
Correct: answered from the expected document and section (or a point inside it, unless the
question is about a whole section) with every expected substring in the reply — or, where
annotators marked different answers, one of `also` — compared after folding (NFKC, one form of
quotes, Traditional → Simplified); or declined when it should be. Wrong: answered with another fact or section, or answered what should be declined.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from .answer import Answer
from .curated import KnowledgeError
from .normalize import to_simplified


@dataclass(frozen=True)
class Case:
    question: str
    kind: str
    doc: str
    path: tuple[int, ...] | None
    expect: tuple[str, ...]
    line: int
    also: tuple[str, ...] = ()


def load_cases(path: Path) -> list[Case]:
    cases = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            d = json.loads(raw)
            p = d.get("path")
            cases.append(Case(d["question"], d.get("kind", ""), d.get("doc", ""), tuple(p) if p is not None else None,
                              tuple(d.get("expect", [])), n, tuple(d.get("also", []))))
        except (ValueError, KeyError, TypeError) as exc:
            raise KnowledgeError(path, f"is not a valid evaluation line ({exc})", n) from exc
    return cases


_QUOTES = str.maketrans({q: '"' for q in "“”„‟「」『』〝〞＂'‘’"})


def _norm(text: str) -> str:
    """The form replies and expected answers are compared in: a quote or a script is no mistake."""
    return to_simplified(unicodedata.normalize("NFKC", text)).translate(_QUOTES)


def judge(case: Case, answer: Answer) -> str:
    """'correct', 'wrong' or 'declined'."""
    if case.path is None:
        return "correct" if not answer.answered else "wrong"
    if not answer.answered:
        return "declined"
    ref = answer.references[0] if answer.references else None
    if ref is None or (case.doc and ref.doc != case.doc):
        return "wrong"
    exact_only = case.kind == "section"
    place_ok = ref.path == case.path or (not exact_only and ref.path[: len(case.path)] == case.path)
    text = _norm(answer.text)
    holds = all(_norm(e) in text for e in case.expect) or any(_norm(a) in text for a in case.also)
    return "correct" if place_ok and holds else "wrong"


@dataclass
class Report:
    rows: dict[str, Counter]
    failures: list[tuple[Case, Answer, str]]

    @property
    def total(self) -> Counter:
        out: Counter = Counter()
        for c in self.rows.values():
            out.update(c)
        return out

    def rate(self, outcome: str, kind: str | None = None) -> float:
        c = self.total if kind is None else self.rows[kind]
        n = sum(c.values())
        return c[outcome] / n if n else 0.0

    def table(self) -> str:
        lines = ["kind          n  correct   wrong  declined", "-" * 44]
        for kind in sorted(self.rows):
            lines.append(self._row(kind, self.rows[kind]))
        lines.append("-" * 44)
        lines.append(self._row("overall", self.total))
        return "\n".join(lines)

    @staticmethod
    def _row(name: str, c: Counter) -> str:
        n = sum(c.values()) or 1
        return (f"{name:<10} {sum(c.values()):>4}  {c['correct'] / n:>6.1%}  {c['wrong'] / n:>6.1%}  "
                f"{c['declined'] / n:>7.1%}")


def evaluate(engine, cases: list[Case]) -> Report:
    rows: dict[str, Counter] = defaultdict(Counter)
    failures = []
    for case in cases:
        answer = engine.ask(case.question)
        outcome = judge(case, answer)
        rows[case.kind or "other"][outcome] += 1
        if outcome != "correct":
            failures.append((case, answer, outcome))
    return Report(dict(rows), failures)
