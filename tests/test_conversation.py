"""Conversation: small talk in kind and follow-ups that lean on the last question, in the core."""

import subprocess
import sys

import pytest

from bot.conversation import Conversation, load_smalltalk
from bot.reply import SOURCE
from tests.conftest import REPO_ROOT

DECLINES = ("没有找到", "没有提到", "没有直接回答")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def talk() -> Conversation:
    return Conversation()


@pytest.mark.parametrize("message, kind", [
    ("你好", "greeting"), ("您好！", "greeting"), ("在吗？", "greeting"), ("你好啊", "greeting"),
    ("谢谢", "thanks"), ("謝謝你", "thanks"), ("多谢！", "thanks"),
    ("你是谁", "identity"), ("你能做什么？", "identity"),
    ("再见", "goodbye"), ("拜拜", "goodbye"),
    ("太棒了", "praise"), ("笨蛋", "abuse"),
])
def test_small_talk_is_answered_in_kind(shipped_engine, talk, message, kind):
    answer = talk.respond(shipped_engine, message, key="u")
    replies = {k.kind: k.reply.split("{")[0] for k in load_smalltalk()}
    assert answer.kind == "smalltalk" and answer.answered
    assert answer.text.startswith(replies[kind])
    assert not any(d in answer.text for d in DECLINES)


def test_greeting_names_the_reports_and_gives_examples_that_answer(shipped_engine, talk):
    answer = talk.respond(shipped_engine, "你好")
    assert "侨务系统年终工作总结" in answer.text
    examples = [line[2:] for line in answer.text.splitlines() if line.startswith("• ")]
    assert len(examples) == 2
    assert all(shipped_engine.ask(q).answered for q in examples)


def test_a_question_is_not_small_talk(shipped_engine, talk):
    answer = talk.respond(shipped_engine, "你好，合同外资引进了多少？")
    assert answer.kind == "answer" and "35亿美元" in answer.text


def test_that_x_keeps_the_question_with_a_new_subject(shipped_engine, talk):
    talk.respond(shipped_engine, "合同外资引进了多少", key="u")
    answer = talk.respond(shipped_engine, "那实际利用外资呢", key="u")
    assert answer.answered and answer.kind == "followup" and "28亿美元" in answer.text
    talk.respond(shipped_engine, "侨务工作领导小组组长是谁", key="u")
    answer = talk.respond(shipped_engine, "那副组长呢", key="u")
    assert answer.answered and "徐明" in answer.text


def test_more_shows_the_next_statements_of_the_section_then_says_when_done(shipped_engine, talk):
    first = talk.respond(shipped_engine, "合同外资引进了多少", key="u")
    ref = first.references[0]
    body = shipped_engine.sections[(ref.doc, ref.path)].body
    seen = set(first.facts)
    for _ in range(len(body)):
        answer = talk.respond(shipped_engine, "还有呢", key="u")
        assert answer.references[0].path == ref.path
        new = [b for b in body if b in answer.text and b not in seen]
        if not new:
            assert "没有更多内容" in answer.text
            break
        seen.update(new)
    assert seen == set(body)


def test_detail_and_part_follow_ups(shipped_engine, talk):
    first = talk.respond(shipped_engine, "接待了多少海外华侨华人", key="u")
    detail = talk.respond(shipped_engine, "详细说说", key="u")
    assert detail.references[0].path == first.references[0].path and detail.text.startswith("【")
    part = talk.respond(shipped_engine, "那第三部分呢", key="u")
    assert part.references[0].path == (3,) and part.text.startswith("【（三）")
    bracket = talk.respond(shipped_engine, "（五）呢", key="u")
    assert bracket.references[0].path == (5,)
    point = talk.respond(shipped_engine, "第二点呢", key="u")
    assert point.references[0].path == (5, 2)


def test_memory_is_per_key_and_forgotten_after_a_while(shipped_engine):
    clock = Clock()
    talk = Conversation(ttl=600, clock=clock)
    talk.respond(shipped_engine, "合同外资引进了多少", key="a")
    other = talk.respond(shipped_engine, "还有呢", key="b")
    assert other.kind != "followup"
    clock.now = 601
    late = talk.respond(shipped_engine, "还有呢", key="a")
    assert late.kind != "followup"


def test_without_a_key_nothing_is_remembered(shipped_engine, talk):
    talk.respond(shipped_engine, "合同外资引进了多少")
    assert talk.respond(shipped_engine, "那实际利用外资呢").kind != "followup"


def test_console_chat_holds_a_conversation(tmp_path):
    turns = ["你好", "合同外资引进了多少", "那实际利用外资呢", "还有呢", "详细说说", "第三部分呢", "谢谢"]
    run = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--knowledge", str(REPO_ROOT / "knowledge")],
        input="\n".join(turns) + "\n", capture_output=True, text=True, timeout=300,
        env={"BOT_DATA_DIR": str(tmp_path), "PATH": "", "HOME": str(tmp_path)}, cwd=REPO_ROOT,
    )
    assert run.returncode == 0, run.stderr
    replies = run.stdout.split("> ")[1:]
    assert len(replies) == len(turns) + 1  # the last prompt meets the end of input
    assert "您好" in replies[0]
    assert "35亿美元" in replies[1] and "28亿美元" in replies[2]
    assert SOURCE in replies[3] and replies[3] != replies[2]
    assert replies[4].startswith("【") and "【（三）" in replies[5]
    assert "不客气" in replies[6]
    assert not any(d in r for r in replies[:7] for d in DECLINES)
