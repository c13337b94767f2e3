"""A statement that reads only with its neighbour is shown with it: after the sentence a pronoun
points back to, before what a colon announces."""

from __future__ import annotations

import pytest

from bot.matcher import Engine

ARTICLE = """变星

变星是亮度会发生变化的恒星，天文学家把它们分为几大类。
其中一类称为激变星，它们的亮度会突然大幅增加。
这一类包括新星和矮新星，爆发周期从数天到数千年不等。
观测变星需要长期记录以下三项数据：
亮度、颜色和光谱。
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    knowledge = tmp_path_factory.mktemp("knowledge")
    (knowledge / "variable.txt").write_text(ARTICLE, encoding="utf-8")
    return Engine.open(knowledge, tmp_path_factory.mktemp("data"))


def test_a_pronoun_statement_comes_with_the_sentence_before(engine):
    answer = engine.ask("新星和矮新星的爆发周期有多长")
    assert answer.answered and "数千年" in answer.text
    assert "激变星" in answer.text


def test_a_statement_ending_in_a_colon_comes_with_what_follows(engine):
    answer = engine.ask("观测变星需要长期记录哪些数据")
    assert answer.answered and "光谱" in answer.text
