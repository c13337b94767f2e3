"""Several reports: the newest speaks first when nothing else decides, the others are named under
the answer with a suggestion each that asks them, and a reference names its report."""

from pathlib import Path

import pytest

from bot.conversation import Conversation
from bot.matcher import Engine
from bot.reply import OTHERS

YEARS = {"city2023": ("某市侨办2023年工作总结", "58批次"), "city2022": ("某市侨办2022年工作总结", "46批次")}
QUESTION = "全年接待海外侨胞来访团组多少批次"


def _reports_engine(tmp_path_factory, reports: dict[str, tuple[str, str]]) -> Engine:
    """An engine over one small report per entry: its title, and the figure its one statement gives."""
    knowledge: Path = tmp_path_factory.mktemp("k")
    for doc, (title, figure) in reports.items():
        (knowledge / f"{doc}.txt").write_text(f"{title}\n一、联谊\n全年接待海外侨胞来访团组{figure}。\n"
                                              "二、宣传\n编印侨刊四期。\n", encoding="utf-8")
    return Engine.open(knowledge, tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    return _reports_engine(tmp_path_factory, YEARS)


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


@pytest.mark.parametrize("question, figure, doc", [
    ("今年接待海外侨胞来访团组多少批次", "58批次", "city2023"),
    ("去年接待海外侨胞来访团组多少批次", "46批次", "city2022"),
])
def test_this_year_and_last_year_are_read_against_the_reports_years(engine, question, figure, doc):
    answer = engine.ask(question)
    assert answer.answered and answer.span == figure and answer.references[0].doc == doc


def test_a_question_can_be_asked_of_one_report(engine):
    for doc, (_, figure) in YEARS.items():
        answer = engine.ask(QUESTION, doc=doc)
        assert answer.span == figure and {r.doc for r in answer.references} == {doc}
        assert OTHERS not in answer.text


@pytest.mark.parametrize("follow_up, figure", [("那2022年的呢", "46批次"), ("2022年的呢", "46批次"),
                                               ("那去年的呢", "46批次")])
def test_a_follow_up_naming_a_year_asks_that_report(engine, follow_up, figure):
    talk = Conversation()
    assert talk.respond(engine, QUESTION, key="u").span == "58批次"
    answer = talk.respond(engine, follow_up, key="u")
    assert answer.kind == "followup" and answer.span == figure and answer.references[0].doc == "city2022"
    back = talk.respond(engine, "那2023年的呢", key="u")
    assert back.span == "58批次" and back.references[0].doc == "city2023"


CITIES = {"nanchang": ("南昌市侨办2023年工作总结", "31批次"), "jiujiang": ("九江市侨办2023年工作总结", "17批次"),
          "jiujiang2022": ("九江市侨办2022年工作总结", "12批次")}


@pytest.fixture(scope="module")
def cities(tmp_path_factory) -> Engine:
    return _reports_engine(tmp_path_factory, CITIES)


def test_a_follow_up_naming_a_place_asks_that_places_report(cities):
    talk = Conversation()
    first = talk.respond(cities, "南昌" + QUESTION, key="u")
    assert first.span == "31批次"
    answer = talk.respond(cities, "那九江呢", key="u")  # of 九江's two, the one like the last: 2023
    assert answer.kind == "followup" and answer.span == "17批次" and answer.references[0].doc == "jiujiang"
    assert talk.respond(cities, "那2022年的呢", key="u").references[0].doc == "jiujiang2022"


def test_a_subject_every_report_names_is_not_a_report(cities):
    talk = Conversation()
    talk.respond(cities, "南昌" + QUESTION, key="u")
    answer = talk.respond(cities, "那侨办呢", key="u")
    assert answer.references == [] or answer.references[0].doc == "nanchang"


PLANS = ("某市侨办2023年工作总结\n一、联谊\n今年接待海外侨胞来访团组58批次，比去年增加12批次。\n"
         "二、打算\n明年计划接待海外侨胞来访团组70批次。\n")


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> Engine:
    knowledge: Path = tmp_path_factory.mktemp("k")
    (knowledge / "plans.txt").write_text(PLANS, encoding="utf-8")
    return Engine.open(knowledge, tmp_path_factory.mktemp("data"))


@pytest.mark.parametrize("question, figure", [
    ("今年接待海外侨胞来访团组多少批次", "58批次"), ("2023年接待海外侨胞来访团组多少批次", "58批次"),
    ("明年计划接待海外侨胞来访团组多少批次", "70批次"), ("2024年计划接待海外侨胞来访团组多少批次", "70批次"),
])
def test_a_reports_this_year_and_next_year_are_its_own(plans, question, figure):
    answer = plans.ask(question)
    assert answer.answered and answer.span == figure


def test_an_faq_entry_saying_this_year_is_read_as_questions_are(tmp_path):
    knowledge = tmp_path / "k"
    knowledge.mkdir()
    for doc, (title, figure) in YEARS.items():
        (knowledge / f"{doc}.txt").write_text(f"{title}\n一、联谊\n全年接待海外侨胞来访团组{figure}。\n", encoding="utf-8")
    (knowledge / "faq.csv").write_text("question,alternates,answer,doc,section\n"
                                       "今年的工作重点是什么,,围绕联谊和宣传两项重点。,city2023,\n", encoding="utf-8")
    engine = Engine.open(knowledge, tmp_path / "data")  # validation asks the entry its own question
    answer = engine.ask("今年的工作重点是什么？")
    assert answer.answered and "围绕联谊和宣传两项重点" in answer.text
