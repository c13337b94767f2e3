"""Term weights: the reports' own statistics blended with general Chinese, so everyday question
words weigh little even in a one-report store, and a word the reports never use falls back to parts."""

from __future__ import annotations

import pytest

from bot.vocabulary import TermWeighting


@pytest.mark.parametrize("everyday", ["进行", "目前", "通过", "主要"])
def test_everyday_words_weigh_less_than_telling_ones_the_report_uses_as_often(shipped_engine, everyday):
    vocab = shipped_engine.vocab
    assert vocab.df[everyday] == vocab.df["零距离"] == 1  # by the report's own statistics: the same
    assert vocab.weight(everyday) < 0.75 * vocab.weight("零距离")


@pytest.mark.parametrize("everyday", ["现在", "准备", "达到", "名字", "位置", "属于"])
def test_everyday_words_the_reports_never_use_weigh_less_than_rare_ones(shipped_engine, everyday):
    assert shipped_engine.vocab.weight(everyday) < 0.8 * shipped_engine.vocab.weight("赤字率")


def test_background_share_shrinks_as_the_store_grows():
    w = TermWeighting()
    shares = [w.background_share(n) for n in (10, 300, 30000, 3000000)]
    assert shares == sorted(shares, reverse=True)
    assert shares[0] > 0.7 and abs(shares[-1] - w.background_floor) < 0.01


@pytest.mark.parametrize(("piece", "telling"), [("赛事", True), ("赤字", True), ("工作", False), ("进行", False)])
def test_pieces_of_unknown_words_stand_for_them_only_when_telling(shipped_engine, piece, telling):
    assert shipped_engine.vocab.is_telling(piece) is telling


def test_question_of_everyday_words_only_is_declined(shipped_engine):
    answer = shipped_engine.ask("现在准备怎么样")
    assert not answer.answered
