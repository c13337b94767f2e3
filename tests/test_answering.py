"""Answers to the kinds of questions users send, the honest declines, and the evaluation targets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.evaluation import evaluate, judge, load_cases
from bot.matcher import Engine

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO / "tests" / "eval"


@pytest.mark.parametrize(
    ("question", "path", "expect"),
    [
        ("合同外资引进了多少", (1, 1), "35亿美元"),
        ("帮多少家企业办了商务卡", (1, 3), "20家企业"),
        ("港胞徐昕办了什么展览", (3, 1), "摄影作品展"),
        ("侨商会微信群是干什么用的", (1, 2), "微信群"),
        ("米兰博士沙龙", (2, 1), "米兰博士沙龙"),
        ("困難歸僑的補助一共發了多少?", (3, 1), "39.2万元"),
        ("侨商汇换届是谁来的", (1, 3), "周向群"),
        ("接待海外华桥多少人次", (2, 1), "2150人次"),
        ("华文教育 加拿大", (4, 2), "加拿大"),
    ],
)
def test_answers_with_fact_and_reference(shipped_engine, question, path, expect):
    answer = shipped_engine.ask(question)
    assert answer.answered
    assert expect in answer.text
    assert answer.references[0].path == path
    assert answer.references[0].doc == "qiaowu-year-end-summary"
    assert "出处：侨务系统年终工作总结 › " in answer.text


def test_report_wording_is_modern_in_replies(shipped_engine):
    answer = shipped_engine.ask("侨商会微信群有什么用")
    assert "提供服务" in answer.text and "效劳" not in answer.text


@pytest.mark.parametrize(("question", "path"), [("机制创新方面做了什么?", (5, 3)), ("侨务宣传有哪些做法", (4,))])
def test_whole_area_gets_section_summary(shipped_engine, question, path):
    answer = shipped_engine.ask(question)
    assert answer.answered and answer.references[0].path == path
    assert answer.text.startswith("【")


@pytest.mark.parametrize(
    "question",
    ["华侨身份怎么认定?", "侨办在哪里办公?", "唐仲英是哪一年出生的?", "融创汇路演是哪天办的?", "早上好",
     "What did the office do last year?", "😀😀", "asdkjh qweoiu", "我" * 500, "", "   "],
)
def test_declines_what_the_report_does_not_say(shipped_engine, question):
    answer = shipped_engine.ask(question)
    assert not answer.answered
    assert answer.references == []


def test_known_but_missing_detail_is_declined_with_the_related_fact(shipped_engine):
    answer = shipped_engine.ask("暖侨聚力新年联谊会是几月几号开的")
    assert not answer.answered
    assert "没有写明具体日期" in answer.text


def test_json_contract(shipped_engine):
    data = shipped_engine.ask("合同外资引进了多少").to_json()
    assert set(data) == {"question", "answered", "answer", "span", "references", "score", "suggestions"}
    assert data["span"] == "35亿美元"
    assert set(data["references"][0]) == {"doc", "title", "path", "label"}
    assert data["references"][0]["path"] == [1, 1]


def test_suggestions_answer_when_asked(shipped_engine):
    answer = shipped_engine.ask("载体建设")
    for suggestion in answer.suggestions:
        assert shipped_engine.ask(suggestion).answered


# Measured figures (python -m bot eval tests/eval/qiaowu.jsonl): these bounds guard against regression.
MIN_CORRECT, MAX_WRONG = 0.94, 0.02


def test_evaluation_on_the_seed_report(shipped_engine):
    report = evaluate(shipped_engine, load_cases(EVAL / "qiaowu.jsonl"))
    print(report.table())
    assert report.rate("correct") >= MIN_CORRECT
    assert report.rate("wrong") <= MAX_WRONG
    assert report.rate("correct", "decline") >= 0.8


@pytest.fixture(scope="module")
def two_report_engine(tmp_path_factory):
    knowledge = tmp_path_factory.mktemp("knowledge")
    shutil.copytree(REPO / "knowledge", knowledge, dirs_exist_ok=True)
    shutil.copy(EVAL / "gov2019.txt", knowledge / "gov2019.txt")
    return Engine.open(knowledge, tmp_path_factory.mktemp("data"))


def test_second_document_answers_from_the_right_one(two_report_engine):
    report = evaluate(two_report_engine, load_cases(EVAL / "gov2019.jsonl"))
    print(report.table())
    assert report.rate("correct") >= 0.91
    assert report.rate("wrong") <= 0.02


def test_seed_questions_still_right_with_second_document(two_report_engine):
    report = evaluate(two_report_engine, load_cases(EVAL / "qiaowu.jsonl"))
    assert report.rate("correct") >= MIN_CORRECT - 0.02
    assert report.rate("wrong") <= MAX_WRONG + 0.01


def test_judge_counts_declines_and_wrong_places(shipped_engine):
    cases = load_cases(EVAL / "qiaowu.jsonl")
    decline = next(c for c in cases if c.path is None)
    assert judge(decline, shipped_engine.ask("合同外资引进了多少")) == "wrong"


def test_held_out_questions_on_the_seed_report(shipped_engine):
    """Questions written apart from the tuning set, by someone who never saw the matcher."""
    report = evaluate(shipped_engine, load_cases(EVAL / "holdout" / "qiaowu.jsonl"))
    print(report.table())
    assert report.rate("correct") >= 0.98
    assert report.rate("wrong") <= 0.0


def engine_beside_shipped(tmp_path_factory, report: Path | None) -> Engine:
    """An engine over the shipped knowledge with one more report beside it (or none)."""
    knowledge = tmp_path_factory.mktemp("knowledge")
    shutil.copytree(REPO / "knowledge", knowledge, dirs_exist_ok=True)
    if report is not None:
        shutil.copy(report, knowledge / report.name)
    return Engine.open(knowledge, tmp_path_factory.mktemp("data"))


def test_held_out_government_report_never_tuned_for(tmp_path_factory):
    engine = engine_beside_shipped(tmp_path_factory, EVAL / "holdout" / "gov2010.txt")
    report = evaluate(engine, load_cases(EVAL / "holdout" / "gov2010.jsonl"))
    print(report.table())
    # 84.4% measured since the calibrated decision (was 88.9%): one right answer the model declines.
    assert report.rate("correct") >= 0.84
    assert report.rate("wrong") <= 0.03


@pytest.mark.parametrize(("report_file", "questions", "min_correct", "max_wrong"), [
    (None, "qiaowu.jsonl", 0.87, 0.02),
    ("gov2015.txt", "gov2015.jsonl", 0.78, 0.08),
])
def test_second_held_out_set(tmp_path_factory, report_file, questions, min_correct, max_wrong):
    """Written last, by someone told to ask about secondary details: the least flattering figures."""
    engine = engine_beside_shipped(tmp_path_factory, EVAL / "holdout2" / report_file if report_file else None)
    report = evaluate(engine, load_cases(EVAL / "holdout2" / questions))
    print(report.table())
    assert report.rate("correct") >= min_correct
    assert report.rate("wrong") <= max_wrong


def test_sealed_set_written_after_the_matcher_changes(tmp_path_factory):
    """Written from the report alone and run once at the end (92.7% / 2.4%); never tuned on."""
    engine = engine_beside_shipped(tmp_path_factory, EVAL / "sealed" / "gov2021.txt")
    report = evaluate(engine, load_cases(EVAL / "sealed" / "gov2021.jsonl"))
    print(report.table())
    assert report.rate("correct") >= 0.92
    assert report.rate("wrong") <= 0.03


def test_second_sealed_set_written_before_the_calibrated_decision(tmp_path_factory):
    """gov2023, written from the report alone before the calibrated decision, impact postings and
    summaries landed, and run once after them (89.1% / 0.0%); never tuned on."""
    engine = engine_beside_shipped(tmp_path_factory, EVAL / "sealed2" / "gov2023.txt")
    report = evaluate(engine, load_cases(EVAL / "sealed2" / "gov2023.jsonl"))
    print(report.table())
    assert report.rate("correct") >= 0.89
    assert report.rate("wrong") <= 0.02
