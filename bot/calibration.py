"""The decision to answer from a statement, as a probability that the answer is right.

The matcher finds the best statement by weighted coverage; whether that statement answers the
question is a separate judgement. `evidence` describes the answer in a few numbers (how much of
the question it holds, how far it leads statements elsewhere, what it lacks, whether it holds the
kind of item asked for); a logistic model turns them into the probability that the answer is right.
The model is fitted offline on development questions (`python -m benchmarks.calibrate`) and ships
as data (`bot/data/calibration.json`): its features' names, their weights, and the cut-offs chosen
on the development data for a target wrong rate.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

MODEL_FILE = Path(__file__).parent / "data" / "calibration.json"

# Question types in a few groups; a question without a type word (bare keywords, 是什么) is the base.
QTYPE_GROUPS = {"number": "q_number", "date": "q_date", "person": "q_who", "partner": "q_who", "place": "q_place",
                "list": "q_list", "summary": "q_list", "distinction": "q_distinction"}
# Questions whose answer is an explanation or a description rather than an item: one statement
# about the subject holds it less often (为什么…, …是什么).
WHY = re.compile(r"为什么|为何|原因|如何|怎样|怎么|意义|作用|目的|影响")
WHAT = re.compile(r"什么|啥|何")
FEATURES = ["coverage", "margin", "close", "terms", "missing", "heaviest", "context_share", "title_share",
            "rank", "fit_top", "span", "typed_no_span", "strict", "why", "what", "length",
            *sorted(set(QTYPE_GROUPS.values()))]


def evidence(*, question: str, coverage: float, margin: float, close: int, qtype: str, terms: list[str], weights: dict[str, float],
             text: str, context: str, title: str, alts: dict[str, list[str]], rank: int, fit_top: bool,
             span: str | None, strict: bool) -> dict[str, float]:
    """The features of one answer (its first statement `text`, the headings above it `context`,
    the report's title and issuer `title`), by name."""
    total = sum(weights.get(t, 0.0) for t in terms) or 1.0
    held = in_context = in_title = heaviest = 0.0
    for t in terms:
        w = weights.get(t, 0.0) / total
        if t in text or any(a in text for a in alts.get(t, ())):
            held += w
            heaviest = max(heaviest, w)
        elif t in context:
            in_context += w
        elif t in title:
            in_title += w
    typed = qtype in ("number", "date", "person", "partner", "place")
    out = {
        "coverage": min(coverage, 1.5),
        "margin": max(-1.0, min(1.0, margin)),
        "close": math.log1p(close),
        "terms": math.log(max(len(terms), 1)),
        "missing": max(0.0, 1.0 - held - in_context - in_title),  # weight the statement, headings and title lack
        "heaviest": heaviest,  # the most telling word the statement itself holds
        "context_share": in_context,
        "title_share": in_title,
        "rank": math.log1p(rank),  # position among the full-text index's candidates
        "fit_top": float(fit_top),  # the best-covering statement itself holds the kind of item asked for
        "span": float(typed and span is not None),
        "typed_no_span": float(typed and span is None),
        "strict": float(strict),  # the question names something the reports never mention
        "why": float(bool(WHY.search(question))),
        "what": float(bool(WHAT.search(question))),
        "length": math.log(max(len(text), 1) / 50),  # a long statement holds a question's words by chance more often
    }
    group = QTYPE_GROUPS.get(qtype)
    out.update({g: float(g == group) for g in sorted(set(QTYPE_GROUPS.values()))})
    return out


@dataclass(frozen=True)
class Model:
    names: list[str]
    weights: list[float]
    bias: float
    answer_at: float  # probability from which a statement is given as the answer
    suggest_at: float  # below answer_at, from here: declined with the nearby headings to press

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * features.get(n, 0.0) for n, w in zip(self.names, self.weights, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self) -> dict:
        return {"features": dict(zip(self.names, self.weights, strict=True)), "bias": self.bias,
                "answer_at": self.answer_at, "suggest_at": self.suggest_at}


class CalibrationError(ValueError):
    """The shipped model file is missing or does not fit this code: a broken install, said plainly."""


def load(path: Path = MODEL_FILE) -> Model:
    """The fitted model. A missing or malformed file, or one fitted for other features, is an error
    at load: answering by another policy than the one measured would be silent and wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        names, weights = list(data["features"]), [float(w) for w in data["features"].values()]
        model = Model(names, weights, float(data["bias"]), float(data["answer_at"]), float(data["suggest_at"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CalibrationError(f"{path}: cannot read the answer model ({exc}); "
                               "refit it with `python -m benchmarks.calibrate`") from exc
    if sorted(names) != sorted(FEATURES):
        raise CalibrationError(f"{path}: fitted for the features {names}, the code computes {FEATURES}; "
                               "refit it with `python -m benchmarks.calibrate`")
    if not 0.0 <= model.suggest_at <= model.answer_at <= 1.0:
        raise CalibrationError(f"{path}: cut-offs must satisfy 0 ≤ suggest_at ≤ answer_at ≤ 1")
    return model


def fit(rows: list[dict[str, float]], labels: list[bool], l2: float = 1.0, steps: int = 50) -> tuple[list[float], float]:
    """Logistic regression by Newton's method with an L2 penalty (not on the bias): weights in the
    order of FEATURES, and the bias. Deterministic; a few features and a few thousand rows."""
    n = len(FEATURES) + 1
    x = [[1.0, *(r[f] for f in FEATURES)] for r in rows]
    beta = [0.0] * n
    for _ in range(steps):
        grad = [0.0] * n
        hess = [[0.0] * n for _ in range(n)]
        for xi, yi in zip(x, labels, strict=True):
            z = max(-30.0, min(30.0, sum(b * v for b, v in zip(beta, xi, strict=True))))
            p = 1.0 / (1.0 + math.exp(-z))
            s = p * (1 - p)
            for j in range(n):
                grad[j] += (p - yi) * xi[j]
                for k in range(j, n):
                    hess[j][k] += s * xi[j] * xi[k]
        for j in range(n):
            for k in range(j):
                hess[j][k] = hess[k][j]
            if j:
                grad[j] += l2 * beta[j]
                hess[j][j] += l2
        step = _solve(hess, grad)
        beta = [b - d for b, d in zip(beta, step, strict=True)]
        if max(abs(d) for d in step) < 1e-8:
            break
    return beta[1:], beta[0]


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """a x = b by Gaussian elimination with partial pivoting (a is positive definite here)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(c + 1, n):
            f = m[r][c] / m[c][c]
            for k in range(c, n + 1):
                m[r][k] -= f * m[c][k]
    out = [0.0] * n
    for r in range(n - 1, -1, -1):
        out[r] = (m[r][n] - sum(m[r][k] * out[k] for k in range(r + 1, n))) / m[r][r]
    return out
