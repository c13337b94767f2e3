"""Question-type checks: 谁 is answered by a name with or without a title before it, 哪里 by a
place the tagger knows; a statement without one is not an answer to them."""

from __future__ import annotations

import pytest

from bot.matcher import Engine

REPORT = """边境口岸年度工作回顾

一、对外交流
（一）人员往来
今年，杨明、余文龙等侨领回乡考察，参观了新建的科技园区。
本年度共接待来访团组10起，涉及外宾300人次。
（二）国际合作
我们与尼加拉瓜签署了农业合作备忘录。
港口扩建工程由东方建设集团承建，已完成主体结构。
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    knowledge = tmp_path_factory.mktemp("knowledge")
    (knowledge / "border.txt").write_text(REPORT, encoding="utf-8")
    return Engine.open(knowledge, tmp_path_factory.mktemp("data"))


@pytest.mark.parametrize(("question", "expect"), [
    ("回乡考察的侨领都有谁", "杨明"),
    ("和哪个国家签署了农业合作备忘录", "尼加拉瓜"),
])
def test_names_without_titles_answer_who_and_where(engine, question, expect):
    answer = engine.ask(question)
    assert answer.answered and expect in answer.text


def test_who_is_not_answered_by_a_statement_without_a_name(engine):
    answer = engine.ask("接待来访团组的是谁")
    assert not answer.answered


def test_a_count_of_cases_is_a_number(engine):
    answer = engine.ask("接待了多少来访团组")
    assert answer.answered and "10起" in answer.text
