"""What happened on the channels: the question log, feedback, FAQ additions, and per-user rate limits.

The log is one SQLite file in the data directory (WAL, so a crash loses at most the transaction in
flight and two processes can share it). It keeps no more about users than needed: user and chat
ids are stored as HMACs keyed with a secret that is never in the database (a key file beside it, or
BOT_ID_KEY), so a copy of the database alone (a backup, an export) does not give the ids back by
trying every id. SQL takes values only as parameters.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .answer import Answer

ACTIVITY_FILE = "activity.sqlite3"
KEY_FILE = "id.key"  # in the data directory, mode 0600; never inside the database
MIN_KEY_CHARS = 32  # a key from the environment shorter than this could be guessed
RETENTION_DAYS = 180  # questions and feedback older than this are deleted (BOT_RETENTION_DAYS)
MAX_QUESTION_CHARS = 500  # what the log keeps of one question; a 100 KB paste is not worth keeping
DAY = 86_400.0
WEEK = 7 * DAY

SCHEMA = """
create table if not exists meta (key text primary key, value text not null);
create table if not exists questions (
    id integer primary key,
    at real not null,
    user_hash text not null,
    chat_hash text not null,
    channel text not null,
    question text not null,
    answered integer not null,
    score real not null,
    doc text not null default '',
    path text not null default '[]',
    suggestions text not null default '[]',
    feedback integer,
    feedback_at real,
    faq_added integer not null default 0
);
create index if not exists questions_at on questions (at);
create table if not exists faq_additions (
    id integer primary key,
    at real not null,
    admin_hash text not null,
    question text not null,
    answer text not null,
    section text not null,
    source_id integer
);
"""


@dataclass(frozen=True)
class LoggedQuestion:
    """One row of the question log, as the channel needs it back."""

    id: int
    at: float
    user_hash: str
    chat_hash: str
    channel: str
    question: str
    answered: bool
    suggestions: list[str]
    feedback: int | None


@dataclass(frozen=True)
class WindowStats:
    """Questions over one period: how many, how many answered or declined, the most frequent."""

    asked: int
    answered: int
    declined: int
    top: list[tuple[str, int]]

    @property
    def answered_rate(self) -> float:
        return self.answered / self.asked if self.asked else 0.0

    @property
    def declined_rate(self) -> float:
        return self.declined / self.asked if self.asked else 0.0


T = TypeVar("T")
log = logging.getLogger(__name__)


def id_key(data_dir: Path, given: str | None = None) -> bytes:
    """The key for user and chat pseudonyms: `given` (BOT_ID_KEY or its file), else `data_dir/id.key`,
    created with 256 random bits and mode 0600 on first use."""
    if given is not None:
        if len(given) < MIN_KEY_CHARS:
            raise ValueError(f"the id key must be at least {MIN_KEY_CHARS} characters")
        return given.encode()
    path = Path(data_dir) / KEY_FILE
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    # Written whole under a temporary name, then linked into place: two processes starting at once
    # agree on the first one linked, and nobody ever reads half a key.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_KEY_CHARS:
        raise ValueError(f"{path} holds no id key; delete it to have a new one made")
    return key.encode()


def _mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def _seal(key: bytes, salt: bytes) -> bytes:
    """The old salt XOR a pad drawn from the key: useless without the key, recovered with it."""
    pad = hmac.new(key, b"legacy salt", hashlib.sha256).digest()
    return bytes(a ^ b for a, b in zip(salt, pad, strict=True))


def _retry_while_locked(action: Callable[[], T], seconds: float = 10.0) -> T:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class ActivityLog:
    """The question log in `data_dir/activity.sqlite3`. Safe to share between threads."""

    def __init__(self, path: Path, key: bytes, retention_days: int = RETENTION_DAYS):
        if retention_days < 1:
            raise ValueError("retention_days must be at least 1")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._key = key
        self.retention_days = retention_days
        self._legacy_salt: bytes | None = None  # a log from before the key: its ids were salted
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10, isolation_level=None)
        self._db.execute("pragma busy_timeout=10000")
        # Deleted rows are overwritten, not just unlinked: /forget and retention leave no text behind.
        self._db.execute("pragma secure_delete=on")
        with self._lock:
            _retry_while_locked(self._initialise)
            _retry_while_locked(self._migrate_salt)
        self._open = True
        self._purge_daily()

    def _initialise(self) -> None:
        """WAL and the schema. Two processes starting at once on a new file may find it locked while
        the other switches it to WAL (SQLite does not wait for that): the caller retries."""
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=normal")
        self._db.executescript(SCHEMA)  # "if not exists": safe when two processes start at once
        check = _mac(self._key, "key check")  # tells a changed key from a lost one; reveals nothing
        self._db.execute("insert or ignore into meta (key, value) values ('key_check', ?)", (check,))
        if self._db.execute("select value from meta where key = 'key_check'").fetchone()[0] != check:
            log.warning("the id key is not the one this question log was written with: earlier questions "
                        "can no longer be matched to who asked them (/forget, feedback)")

    def _migrate_salt(self) -> None:
        """A log from before the key kept its salt in meta, which made the ids recoverable from the file
        alone. Once: re-key every stored pseudonym with the key, keep the salt only sealed by the key
        (so earlier askers can still /forget), delete it and VACUUM so no free page keeps it."""
        self._db.execute("begin immediate")
        try:
            row = self._db.execute("select value from meta where key = 'salt'").fetchone()
            if row is not None:
                self._db.create_function("rekey", 1, lambda h: _mac(self._key, f"legacy:{h}"), deterministic=True)
                self._db.execute("update questions set user_hash = rekey(user_hash), chat_hash = rekey(chat_hash)")
                self._db.execute("update faq_additions set admin_hash = rekey(admin_hash)")
                sealed = _seal(self._key, bytes.fromhex(row[0])).hex()
                self._db.execute("insert or replace into meta (key, value) values ('legacy_salt_sealed', ?)",
                                 (sealed,))
                self._db.execute("delete from meta where key = 'salt'")
                # Until the VACUUM is done, the salt may still sit in a free page: a start that finds
                # this mark (the VACUUM was locked out by another process, or cut short) does it again.
                self._db.execute("insert or replace into meta (key, value) values ('vacuum_pending', '1')")
        except BaseException:
            self._db.execute("rollback")
            raise
        self._db.execute("commit")
        if self._db.execute("select 1 from meta where key = 'vacuum_pending'").fetchone():
            self._db.execute("vacuum")
            self._db.execute("delete from meta where key = 'vacuum_pending'")
            self._db.execute("pragma wal_checkpoint(truncate)")
            log.info("question log re-keyed; its salt is gone from the database")
        sealed_row = self._db.execute("select value from meta where key = 'legacy_salt_sealed'").fetchone()
        if sealed_row is not None:
            self._legacy_salt = _seal(self._key, bytes.fromhex(sealed_row[0]))

    @classmethod
    def open(cls, data_dir: Path, key: str | None = None, retention_days: int = RETENTION_DAYS) -> ActivityLog:
        """The log of a data directory, created on first use; `key` is BOT_ID_KEY (else the key file)."""
        return cls(Path(data_dir) / ACTIVITY_FILE, id_key(data_dir, key), retention_days)

    def close(self) -> None:
        with self._lock:
            self._open = False
            if self._timer is not None:
                self._timer.cancel()
            self._db.close()

    # what is kept, and for how long ----------------------------------------------------------

    def _purge_daily(self) -> None:
        """Purge now and again every day while open (a quiet bot still forgets on time)."""
        try:
            self.purge()
        except sqlite3.Error:
            log.exception("could not delete expired questions; trying again in a day")
        with self._lock:
            if self._open:
                self._timer = threading.Timer(DAY, self._purge_daily)
                self._timer.daemon = True
                self._timer.start()

    def purge(self, now: float | None = None) -> int:
        """Delete questions (with their feedback) older than the retention; returns how many."""
        cutoff = (time.time() if now is None else now) - self.retention_days * DAY
        with self._lock:
            if not self._open:
                return 0
            deleted = _retry_while_locked(
                lambda: self._db.execute("delete from questions where at < ?", (cutoff,)).rowcount)
            if deleted:
                self._scrub()
        if deleted:
            log.info("deleted %d questions older than %d days", deleted, self.retention_days)
        return deleted

    def forget_user(self, user_id: int) -> int:
        """/forget: delete every question (with its feedback) this user asked; returns how many."""
        hashes = self._hashes("user", user_id)
        with self._lock:
            deleted = self._db.execute(
                f"delete from questions where user_hash in ({', '.join('?' * len(hashes))})", hashes).rowcount
            self._scrub()
        return deleted

    def _scrub(self) -> None:
        """Deleted rows are zeroed in their pages (secure_delete); copying the WAL back and truncating it
        removes the old versions of those pages as well, so no file of the data folder keeps the text."""
        busy, _, _ = self._db.execute("pragma wal_checkpoint(truncate)").fetchone()
        if busy:  # another process is reading: its next checkpoint finishes the job
            log.warning("question log: deleted rows stay in the WAL until the next checkpoint")

    def hash_id(self, kind: str, value: int) -> str:
        """A stable pseudonym for a user or chat id; without the key it cannot be reversed by trying ids."""
        return _mac(self._key, f"{kind}:{value}")

    def _hashes(self, kind: str, value: int) -> tuple[str, ...]:
        """Every pseudonym this id may be stored under: today's, and the re-keyed one of a migrated log."""
        if self._legacy_salt is None:
            return (self.hash_id(kind, value),)
        salted = hmac.new(self._legacy_salt, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]
        return self.hash_id(kind, value), _mac(self._key, f"legacy:{salted}")

    def user_hash(self, user_id: int) -> str:
        return self.hash_id("user", user_id)

    def chat_hash(self, chat_id: int) -> str:
        return self.hash_id("chat", chat_id)

    def _write(self, sql: str, params: tuple) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, params)

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # the question log -------------------------------------------------------------------------

    def log_question(self, user_id: int, chat_id: int, channel: str, answer: Answer,
                     at: float | None = None) -> int:
        """Record one answered or declined question; returns its row id (used in callback data)."""
        ref = answer.references[0] if answer.references else None
        cursor = self._write(
            "insert into questions (at, user_hash, chat_hash, channel, question, answered, score, doc, path,"
            " suggestions) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (time.time() if at is None else at, self.user_hash(user_id), self.chat_hash(chat_id), channel,
             answer.question[:MAX_QUESTION_CHARS], int(answer.answered), float(answer.score),
             ref.doc if ref else "", json.dumps(list(ref.path)) if ref else "[]",
             json.dumps(answer.suggestions, ensure_ascii=False)),
        )
        return int(cursor.lastrowid)

    def get(self, log_id: int) -> LoggedQuestion | None:
        rows = self._read(
            "select id, at, user_hash, chat_hash, channel, question, answered, suggestions, feedback"
            " from questions where id = ?", (log_id,))
        return _logged(rows[0]) if rows else None

    def set_feedback(self, log_id: int, user_id: int, value: int) -> bool:
        """Record 👍 (1) or 👎 (-1) — only from the user who asked; False if that is not them."""
        if value not in (1, -1):
            raise ValueError("feedback is 1 or -1")
        hashes = self._hashes("user", user_id)
        cursor = self._write(
            "update questions set feedback = ?, feedback_at = ? where id = ?"
            f" and user_hash in ({', '.join('?' * len(hashes))})", (value, time.time(), log_id, *hashes))
        return cursor.rowcount == 1

    # what admins read -------------------------------------------------------------------------

    def stats(self, period: float, now: float | None = None, top: int = 5) -> WindowStats:
        """Questions asked in the last `period` seconds (buttons and typed questions alike)."""
        since = (time.time() if now is None else now) - period
        asked, answered = self._read(
            "select count(*), coalesce(sum(answered), 0) from questions where at >= ?", (since,))[0]
        frequent = self._read(
            "select question, count(*) as n from questions where at >= ? group by question"
            " order by n desc, max(id) desc limit ?", (since, top))
        return WindowStats(asked, answered, asked - answered, [(q, n) for q, n in frequent])

    def unanswered(self, limit: int = 10) -> list[LoggedQuestion]:
        """The latest declined or 👎 questions not yet made into an FAQ entry, newest first, one per text."""
        rows = self._read(
            "select id, at, user_hash, chat_hash, channel, question, answered, suggestions, feedback"
            " from questions where id in (select max(id) from questions"
            "   where (answered = 0 or feedback = -1) and faq_added = 0 and length(trim(question)) > 0"
            "   group by question)"
            " order by id desc limit ?", (limit,))
        return [_logged(r) for r in rows]

    def record_faq(self, admin_id: int, question: str, answer: str, section: str,
                   source_id: int | None = None) -> int:
        """Remember an admin's FAQ addition and take the question off the unanswered list."""
        with self._lock:
            self._db.execute("begin immediate")
            try:
                cursor = self._db.execute(
                    "insert into faq_additions (at, admin_hash, question, answer, section, source_id)"
                    " values (?, ?, ?, ?, ?, ?)",
                    (time.time(), self.user_hash(admin_id), question, answer, section, source_id))
                self._db.execute("update questions set faq_added = 1 where question = ? or id = ?",
                                 (question, source_id if source_id is not None else -1))
            except BaseException:
                self._db.execute("rollback")
                raise
            self._db.execute("commit")
            return int(cursor.lastrowid)

    def faq_additions(self) -> list[tuple[str, str, str]]:
        """Every FAQ entry admins added through the bot: (question, answer, section), oldest first."""
        return [(q, a, s) for q, a, s in self._read(
            "select question, answer, section from faq_additions order by id")]


def _logged(row: tuple) -> LoggedQuestion:
    id_, at, user_hash, chat_hash, channel, question, answered, suggestions, feedback = row
    return LoggedQuestion(id_, at, user_hash, chat_hash, channel, question, bool(answered),
                          json.loads(suggestions), feedback)


class RateLimiter:
    """A token bucket per key: `capacity` at once, then one more every `1/rate` seconds.

    Kept in memory: a restart forgives everyone, which is fine for flood control. Idle keys are
    dropped as the table grows, so memory stays flat however many users pass by.
    """

    def __init__(self, capacity: float = 8, rate: float = 0.25, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 10_000):
        self.capacity = capacity
        self.rate = rate
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[object, tuple[float, float]] = {}  # key → (tokens, at)
        self._warned: set[object] = set()

    def hit(self, key: object, cost: float = 1.0) -> float:
        """Spend `cost` for `key`: 0.0 if allowed, else the seconds until it would be."""
        now = self.clock()
        tokens, at = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        if tokens >= cost:
            self._buckets[key] = (tokens - cost, now)
            self._warned.discard(key)
            if len(self._buckets) > self.max_keys:
                self._prune(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (cost - tokens) / self.rate

    def first_refusal(self, key: object) -> bool:
        """True once per run of refusals, so the user is told once rather than flooded back."""
        if key in self._warned:
            return False
        self._warned.add(key)
        return True

    def _prune(self, now: float) -> None:
        full = [k for k, (tokens, at) in self._buckets.items()
                if tokens + (now - at) * self.rate >= self.capacity]
        for key in full:
            del self._buckets[key]
            self._warned.discard(key)

    def forget(self, key: object) -> None:
        """Drop what is kept about one key (/forget)."""
        self._buckets.pop(key, None)
        self._warned.discard(key)

    def reset(self) -> None:
        """Forgive everyone (a restart does the same)."""
        self._buckets.clear()
        self._warned.clear()

    def __len__(self) -> int:
        return len(self._buckets)

    def __contains__(self, key: object) -> bool:
        return key in self._buckets
