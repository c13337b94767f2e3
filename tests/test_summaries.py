"""Summaries at the level asked: the whole report's outline for 整体情况/概括一下, a part for
第三部分/（三）/a heading's words, its points' titles for 有哪几个方面; a question that asks for a figure
or names something else still goes to the statements."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation import Conversation
from bot.matcher import Engine

SHIPPED = "qiaowu-year-end-summary"
SHIPPED_PARTS = ["（一）发挥侨务优势", "（二）注重联谊引导", "（三）着力改善民生", "（四）坚持以侨为桥", "（五）突出创新引领"]
CITY = """某市侨联2023年工作总结
一、组织建设
（一）基层组织
新建基层侨联组织五个，发展会员二百名。
（二）队伍建设
举办侨联干部培训班两期。
二、联谊交流
（一）海外联谊
接待海外侨团来访十批次。
（二）青少年交流
举办华裔青少年夏令营一期，营员八十名。
（三）文化交流
组织侨乡文化节一场。
三、为侨服务
走访慰问困难归侨侨眷一百户，发放慰问金十万元。
"""


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Engine:
    knowledge: Path = tmp_path_factory.mktemp("k")
    (knowledge / "city.txt").write_text(CITY, encoding="utf-8")
    return Engine.open(knowledge, tmp_path_factory.mktemp("data"))


def bullets(text: str) -> list[str]:
    return [line[2:] for line in text.splitlines() if line.startswith("• ")]


@pytest.mark.parametrize("question", ["整体情况", "概括一下", "总体讲了什么", "有哪几个方面", "大致内容是什么"])
def test_whole_report_gets_its_top_level_parts(shipped_engine, question):
    answer = shipped_engine.ask(question)
    assert answer.answered and answer.references[0].doc == SHIPPED
    assert [b[:len(p)] for b, p in zip(bullets(answer.text), SHIPPED_PARTS, strict=True)] == SHIPPED_PARTS


@pytest.mark.parametrize("question", ["第三部分讲了什么", "（三）讲了什么", "第三部分的内容"])
def test_a_numbered_part_is_shown(shipped_engine, question):
    answer = shipped_engine.ask(question)
    assert answer.answered and answer.references[0].path == (3,)
    assert bullets(answer.text)[0].startswith("一是注重精神关爱：")  # each point with its key fact


@pytest.mark.parametrize(("question", "path", "points"), [
    ("第三部分有哪几个方面", (3,), ["一是注重精神关爱", "二是打造社区品牌", "三是依法指导捐赠"]),
    ("宣传工作有哪几个方面", (4,), ["一是拓宽宣传渠道", "二是加强载体建设", "三是放大侨的声音"]),
])
def test_aspects_of_a_part_are_its_points_titles(shipped_engine, question, path, points):
    answer = shipped_engine.ask(question)
    assert answer.references[0].path == path and bullets(answer.text) == points


def test_a_part_named_by_its_heading_words(shipped_engine):
    answer = shipped_engine.ask("联谊这部分讲了什么")
    assert answer.references[0].path == (2,) and len(bullets(answer.text)) == 3


def test_a_figure_asked_of_a_part_is_still_answered_from_the_statements(shipped_engine):
    answer = shipped_engine.ask("第三部分引进了多少外资")
    assert answer.span and "35亿美元" in answer.text


@pytest.mark.parametrize(("question", "path", "shown"), [
    ("整体情况", (), ["一、组织建设", "二、联谊交流", "三、为侨服务"]),
    ("第二部分有哪几个方面", (2,), ["（一）海外联谊", "（二）青少年交流", "（三）文化交流"]),
    ("联谊交流有哪几个方面", (2,), ["（一）海外联谊", "（二）青少年交流", "（三）文化交流"]),
    ("第三部分讲了什么", (3,), ["走访慰问困难归侨侨眷一百户，发放慰问金十万元。"]),
])
def test_generated_report_outline_part_and_points(city, question, path, shown):
    answer = city.ask(question)
    assert answer.answered and answer.references[0].path == path
    assert bullets(answer.text) == shown


def test_outline_then_a_part_in_conversation(city):
    chat = Conversation()
    assert bullets(chat.respond(city, "概括一下", key=1).text)[0] == "一、组织建设"
    assert chat.respond(city, "第二部分呢", key=1).references[0].path == (2,)


def test_several_reports_named_or_listed(tmp_path):
    knowledge = tmp_path / "k"
    knowledge.mkdir()
    (knowledge / "city.txt").write_text(CITY, encoding="utf-8")
    (knowledge / "county.txt").write_text("某县侨办2022年工作总结\n一、侨情调查\n完成侨情调查。\n二、侨务宣传\n编印侨刊四期。\n",
                                          encoding="utf-8")
    engine = Engine.open(knowledge, tmp_path / "data")
    listed = engine.ask("整体情况")
    assert [r.doc for r in listed.references] == ["city", "county"]  # the newest first
    assert bullets(listed.text)[1] == "《某县侨办2022年工作总结》：一、侨情调查；二、侨务宣传"
    named = engine.ask("县侨办的报告整体情况")
    assert [r.doc for r in named.references] == ["county"] and bullets(named.text) == ["一、侨情调查", "二、侨务宣传"]
    by_heading = engine.ask("侨务宣传这部分讲了什么")  # a heading of one of them, its report not named
    assert by_heading.references[0].doc == "county" and by_heading.references[0].path == (2,)
