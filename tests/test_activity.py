"""The question log, feedback, FAQ additions and rate limits (bot/activity.py)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.activity import ACTIVITY_FILE, DAY, WEEK, ActivityLog, RateLimiter
from bot.answer import Answer, Reference

REPO = Path(__file__).resolve().parent.parent
USER, OTHER, CHAT = 987_654_321, 123_123_123, -100_555_777
REF = Reference("report", "报告", (1, 2), "（一） › 二是")


def answered(question: str = "合同外资引进了多少？") -> Answer:
    return Answer(question, True, "35亿美元", [REF], 0.9)


def declined(question: str = "华侨农场有多大？", suggestions: list[str] | None = None) -> Answer:
    return Answer(question, False, "没有提到", [], 0.1, suggestions or [])


@pytest.fixture
def activity(tmp_path: Path):
    log = ActivityLog.open(tmp_path)
    yield log
    log.close()


def test_user_ids_are_stored_hashed(activity: ActivityLog, tmp_path: Path) -> None:
    activity.log_question(USER, CHAT, "private", answered())
    activity.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob(ACTIVITY_FILE + "*"))
    assert str(USER).encode() not in raw and str(CHAT).encode() not in raw
    reopened = ActivityLog.open(tmp_path)
    assert reopened.get(1).user_hash == reopened.user_hash(USER)  # the salt survives a restart
    reopened.close()


def test_hashes_differ_between_data_dirs(tmp_path: Path) -> None:
    first, second = ActivityLog.open(tmp_path / "a"), ActivityLog.open(tmp_path / "b")
    assert first.user_hash(USER) != second.user_hash(USER)
    assert first.user_hash(USER) != first.chat_hash(USER)


def test_the_log_survives_a_restart(tmp_path: Path) -> None:
    log = ActivityLog.open(tmp_path)
    log_id = log.log_question(USER, CHAT, "group", declined(suggestions=["一是搭建平台", "二是"]))
    log.set_feedback(log_id, USER, -1)
    log.close()
    again = ActivityLog.open(tmp_path)
    row = again.get(log_id)
    assert (row.channel, row.answered, row.suggestions, row.feedback) == ("group", False, ["一是搭建平台", "二是"], -1)
    again.close()


def test_feedback_only_from_the_asker(activity: ActivityLog) -> None:
    log_id = activity.log_question(USER, CHAT, "private", answered())
    assert not activity.set_feedback(log_id, OTHER, -1)
    assert activity.get(log_id).feedback is None
    assert activity.set_feedback(log_id, USER, 1)
    assert activity.get(log_id).feedback == 1
    assert not activity.set_feedback(log_id + 1000, USER, 1)
    with pytest.raises(ValueError):
        activity.set_feedback(log_id, USER, 5)


@pytest.mark.parametrize("question", [
    "'; DROP TABLE questions; --", "\" or 1=1 --", "%_\\", "\x00零字节", "<b>x</b>", "问" * 2000,
])
def test_any_question_text_is_stored_as_data(activity: ActivityLog, question: str) -> None:
    log_id = activity.log_question(USER, CHAT, "private", declined(question))
    assert activity.get(log_id).question == question[:500]
    assert activity.stats(DAY).asked == 1


def test_stats_over_a_day_and_a_week(activity: ActivityLog) -> None:
    now = 1_800_000_000.0
    for _ in range(3):
        activity.log_question(USER, CHAT, "private", answered(), at=now - 60)
    activity.log_question(USER, CHAT, "private", declined(), at=now - 120)
    activity.log_question(OTHER, CHAT, "private", declined(), at=now - 3 * DAY)
    activity.log_question(OTHER, CHAT, "private", answered("很久以前"), at=now - 2 * WEEK)
    day, week = activity.stats(DAY, now=now), activity.stats(WEEK, now=now)
    assert (day.asked, day.answered, day.declined) == (4, 3, 1)
    assert day.answered_rate == 0.75 and day.declined_rate == 0.25
    assert (week.asked, week.answered, week.declined) == (5, 3, 2)
    assert week.top == [("合同外资引进了多少？", 3), ("华侨农场有多大？", 2)]
    assert activity.stats(DAY, now=now + 10 * WEEK).answered_rate == 0.0


def test_unanswered_newest_first_one_per_question(activity: ActivityLog) -> None:
    old = activity.log_question(USER, CHAT, "private", declined("第一个"), at=1000)
    activity.log_question(USER, CHAT, "private", declined("第二个"), at=2000)
    latest_first = activity.log_question(OTHER, CHAT, "private", declined("第一个"), at=3000)
    disliked = activity.log_question(USER, CHAT, "private", answered("答错了"), at=4000)
    activity.log_question(USER, CHAT, "private", answered("答对了"), at=5000)
    activity.set_feedback(disliked, USER, -1)
    rows = activity.unanswered()
    assert [r.question for r in rows] == ["答错了", "第一个", "第二个"]
    assert rows[1].id == latest_first and rows[1].id != old
    activity.record_faq(USER, "第一个", "答案", "1.1", source_id=latest_first)
    assert [r.question for r in activity.unanswered()] == ["答错了", "第二个"]
    assert activity.faq_additions() == [("第一个", "答案", "1.1")]


def test_rate_limiter_bucket() -> None:
    now = [0.0]
    limiter = RateLimiter(capacity=3, rate=0.5, clock=lambda: now[0])
    assert [limiter.hit("u") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.hit("u") == pytest.approx(2.0)
    assert limiter.first_refusal("u") and not limiter.first_refusal("u")
    assert limiter.hit("other") == 0.0  # one user's flood is theirs alone
    now[0] += 2.0
    assert limiter.hit("u") == 0.0
    assert limiter.first_refusal("u")  # a new run of refusals is told again


def test_rate_limiter_memory_stays_flat() -> None:
    now = [0.0]
    limiter = RateLimiter(capacity=2, rate=1.0, clock=lambda: now[0], max_keys=100)
    for user in range(10_000):
        limiter.hit(user)
        now[0] += 0.01
    assert len(limiter) <= 200


def test_two_processes_share_one_log(tmp_path: Path) -> None:
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from pathlib import Path; from bot.activity import ActivityLog; from bot.answer import Answer;"
        "log = ActivityLog.open(Path(sys.argv[2]));"
        "[log.log_question(int(sys.argv[3]), 1, 'private', Answer(str(i), True, 'x')) for i in range(200)];"
        "print(log.user_hash(7))"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(REPO), str(tmp_path), str(n)],
                              stdout=subprocess.PIPE, text=True) for n in (1, 2)]
    outputs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outputs[0] == outputs[1]  # both agreed on one salt
    db = sqlite3.connect(tmp_path / ACTIVITY_FILE)
    assert db.execute("select count(*) from questions").fetchone()[0] == 400
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    db.close()
