"""The JSON `span`: the asked item as it stands in the report, or null when the question asks for
no single item or is declined."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("question", "span"), [
    ("合同外资引进了多少", "35亿美元"),
    ("帮多少家企业办了商务卡", "20家"),
    ("困難歸僑的補助一共發了多少?", "39.2万元"),
    ("侨商汇换届是谁来的", "周向群"),
])
def test_span_is_the_asked_item(shipped_engine, question, span):
    answer = shipped_engine.ask(question)
    assert answer.answered and answer.span == span
    assert span in answer.text


@pytest.mark.parametrize("question", ["机制创新方面做了什么?", "唐仲英是哪一年出生的?", "早上好"])
def test_no_span_without_a_single_item(shipped_engine, question):
    answer = shipped_engine.ask(question)
    assert answer.span is None
    assert answer.to_json()["span"] is None


def test_telegram_reply_shows_the_asked_item_in_bold(shipped_engine):
    from bot.reply import to_html

    markup = to_html(shipped_engine.ask("合同外资引进了多少"))
    assert markup.count("<b>35亿美元</b>") == 1 and "<i>出处：" in markup
