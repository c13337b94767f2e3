"""Several reports: the newest speaks first when nothing else decides, the others are named under
the answer with a suggestion each that asks them, and a reference names its report."""

from pathlib import Path

import pytest

from bot.matcher import Engine
from bot.reply import OTHERS

YEARS = {"city2023": ("某市侨办2023年工作总结", "58批次"), "city2022": ("某市侨办2022年工作总结", "46批次")}
QUESTION = "全年接待海外侨胞来访团组多少批次"


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    knowledge: Path = tmp_path_factory.mktemp("k")
    for doc, (title, figure) in YEARS.items():
        (knowledge / f"{doc}.txt").write_text(f"{title}\n一、联谊\n全年接待海外侨胞来访团组{figure}。\n"
                                              "二、宣传\n编印侨刊四期。\n", encoding="utf-8")
    return Engine.open(knowledge, tmp_path_factory.mktemp("data"))


def test_the_newest_report_answers_and_the_other_is_named(engine):
    answer = engine.ask(QUESTION)
    assert answer.answered and answer.span == "58批次" and answer.references[0].doc == "city2023"
    assert f"{OTHERS}《某市侨办2022年工作总结》" in answer.text
    assert answer.suggestions == [f"某市侨办2022年工作总结 {QUESTION}"]


def test_the_suggestion_asks_the_other_report(engine):
    other = engine.ask(engine.ask(QUESTION).suggestions[0])
    assert other.answered and other.span == "46批次" and other.references[0].doc == "city2022"


def test_a_question_only_one_report_answers_names_no_other(engine):
    answer = engine.ask("2022年全年接待海外侨胞来访团组多少批次")
    assert answer.references[0].doc == "city2022" and OTHERS not in answer.text
