"""The calibrated decision: the shipped answer model, its errors at load, the fit, and its use."""

import json
import math
import random

import pytest

from bot import calibration
from bot.evaluation import load_cases
from tests.conftest import REPO_ROOT


def test_the_shipped_model_fits_the_features_the_code_computes():
    model = calibration.load()
    assert sorted(model.names) == sorted(calibration.FEATURES)
    assert 0.0 <= model.suggest_at <= model.answer_at <= 1.0


@pytest.mark.parametrize(("content", "says"), [
    (None, "cannot read"),
    ("{not json", "cannot read"),
    ('{"features": {"coverage": 1.0}, "bias": 0, "answer_at": 0.5, "suggest_at": 0.2}', "fitted for the features"),
    ('{"features": {}, "bias": 0}', "cannot read"),
])
def test_a_missing_or_bad_model_file_is_a_clear_error(tmp_path, content, says):
    path = tmp_path / "calibration.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(calibration.CalibrationError, match=says) as err:
        calibration.load(path)
    assert str(path) in str(err.value)


def test_cut_offs_out_of_order_are_refused(tmp_path):
    data = calibration.load().to_json() | {"answer_at": 0.2, "suggest_at": 0.5}
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(calibration.CalibrationError, match="cut-offs"):
        calibration.load(path)


def test_the_fit_recovers_a_known_model():
    rng = random.Random(7)
    truth = {"coverage": 4.0, "missing": -3.0}
    rows, labels = [], []
    for _ in range(3000):
        row = {f: 0.0 for f in calibration.FEATURES} | {"coverage": rng.random(), "missing": rng.random()}
        z = -0.5 + sum(w * row[f] for f, w in truth.items())
        rows.append(row)
        labels.append(rng.random() < 1 / (1 + math.exp(-z)))
    weights, bias = calibration.fit(rows, labels, l2=0.01)
    got = dict(zip(calibration.FEATURES, weights, strict=True))
    assert got["coverage"] == pytest.approx(4.0, abs=0.6)
    assert got["missing"] == pytest.approx(-3.0, abs=0.6)
    assert bias == pytest.approx(-0.5, abs=0.4)
    assert calibration.fit(rows, labels, l2=0.01) == (weights, bias)  # deterministic


def test_fact_answers_score_the_models_probability(shipped_engine):
    model = calibration.load()
    cases = [c for c in load_cases(REPO_ROOT / "tests" / "eval" / "qiaowu.jsonl") if c.kind == "number"]
    answered = [a for a in map(shipped_engine.ask, (c.question for c in cases)) if a.answered and a.evidence]
    assert answered
    for a in answered:
        assert a.score == pytest.approx(model.probability(a.evidence))
        assert model.answer_at <= a.score <= 1.0
        assert a.to_json()["score"] == round(a.score, 4)


def test_faq_answers_keep_full_confidence(shipped_engine):
    answer = shipped_engine.ask("这份报告讲了哪些方面？")
    assert answer.answered and answer.score == 1.0 and answer.evidence is None
