"""Conversation: small talk and follow-ups on top of the engine, the same for every channel.

A channel hands each message with a key (chat and user) to `Conversation.respond`. A short memory
per key holds the last full question and where it was answered, forgotten after `ttl` seconds or
replaced by the next full question, so that

- `那X呢` / `X呢` asks the last question again about X (the same type of question, a new subject),
- `还有呢` shows the next statements of the section answered,
- `详细说说` / `展开讲讲` shows that section,
- `第三部分呢` / `（三）呢` / `第二点呢` shows that part of the report answered (or of the only report),
- `那2023年的呢` / `那南昌呢` asks the last question of the report of that year or place (several reports),

and greetings, thanks, "who are you", goodbyes, praise and abuse get a short reply in kind (the
phrasings are data: `data/smalltalk.txt`). Everything else goes to `Engine.ask` unchanged.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

from .answer import Answer
from .matcher import QTYPES, Engine, parse_section_ref
from .normalize import fold
from .reply import source_line

log = logging.getLogger(__name__)

SMALLTALK_FILE = Path(__file__).resolve().parent / "data" / "smalltalk.txt"
MEMORY_SECONDS = 600  # a follow-up ten minutes later is a new conversation
MEMORY_KEYS = 10_000  # chats remembered at most; the oldest are forgotten first
MORE_FACTS = 3  # statements shown per 还有呢
FOLLOW_UP_CHARS = 16  # 那X呢 longer than this is a question of its own
REWRITE_TRIES = 8  # subject spans of the last question tried for 那X呢

_PARTICLES = "啊呀呢吧哦啦嘛哈喔噢呐"
_NOISE = re.compile(r"[\s\W_]+")
_SPACING = re.compile(r"[\s，,。.！!？?~～…]+")  # what a follow-up may carry around it; brackets stay
_MORE = re.compile(r"^(?:那)?(?:还有呢|还有吗|还有别的吗|还有其他的?吗|还有什么|其他呢|其它呢|别的呢|继续|接着说|然后呢|下面呢|更多)$")
_DETAIL = re.compile(r"^(?:能|可以|请)?(?:再)?(?:详细|具体|展开|仔细)(?:一点|一些|点)?(?:说说|讲讲|说一说|讲一讲|介绍一下|说下|讲下|点|些)?(?:吧|呗)?$")
_PART = re.compile(r"^(?:那|那么)?(?:第(?P<a>[一二三四五六七八九十\d]{1,3})(?P<unit>部分|点|条|方面|项)|[（(](?P<b>[一二三四五六七八九十\d]{1,3})[）)])"
                   r"(?:呢|怎么样|讲了?什么|说了?什么|是什么|的内容)?$")
_YEAR = re.compile(r"(\d{4})年?度?")
_ABOUT = re.compile(r"^(?:那|那么|还有)(?P<x>.+?)(?:呢|怎么样|如何)?$|^(?P<y>.+?)呢$")


@dataclass(frozen=True)
class SmallTalk:
    kind: str
    phrasings: frozenset[str]
    reply: str


def load_smalltalk(path: Path = SMALLTALK_FILE) -> list[SmallTalk]:
    """The small-talk kinds of the data file; a malformed line is a programming error, said loudly."""
    kinds = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split(" | ")]
        if len(parts) != 3:
            raise ValueError(f"{path.name}:{number}: expected 'kind | phrasings | reply'")
        phrasings = frozenset(_bare(p) for p in parts[1].split("|") if _bare(p))
        kinds.append(SmallTalk(parts[0], phrasings, parts[2]))
    return kinds


def _bare(text: str) -> str:
    """What small talk is recognised by: folded, no punctuation or spaces, no trailing particles."""
    bare = _NOISE.sub("", fold(text))
    return bare.rstrip(_PARTICLES) or bare


@dataclass
class Turn:
    """What a follow-up leans on: the last full question and its answer."""

    question: str
    answer: Answer
    at: float


class Conversation:
    """Per-chat memory and the follow-up and small-talk rules. Thread-safe."""

    def __init__(self, ttl: float = MEMORY_SECONDS, clock: Callable[[], float] = time.monotonic,
                 smalltalk: list[SmallTalk] | None = None):
        self.ttl = ttl
        self._clock = clock
        self._smalltalk = smalltalk if smalltalk is not None else load_smalltalk()
        self._memory: OrderedDict[Hashable, Turn] = OrderedDict()
        self._lock = threading.Lock()
        self._examples: dict[Path, list[str]] = {}

    # ---- the one entry point --------------------------------------------------------------------

    def respond(self, engine: Engine, text: str, key: Hashable | None = None) -> Answer:
        """The reply to one message; `key=None` answers it on its own, remembering nothing."""
        text = text if isinstance(text, str) else ""
        talk = self._small_talk(engine, text)
        if talk is not None:
            return talk
        last = self._recall(key, engine) if key is not None else None
        answer, question = self._follow_up(engine, text, last) if last else (None, text)
        if answer is None:
            answer, question = self._standalone(engine, text), text
        if key is not None and (answer.answered or answer.references):
            self._remember(key, Turn(question, answer, self._clock()))
        return answer

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._memory.pop(key, None)

    # ---- small talk -----------------------------------------------------------------------------

    def _small_talk(self, engine: Engine, text: str) -> Answer | None:
        bare = _bare(text)
        if not bare or len(bare) > 12:
            return None
        for kind in self._smalltalk:
            if bare in kind.phrasings:
                reply = kind.reply.format(reports=self._reports(engine), examples=self._example_text(engine))
                return Answer(text, True, reply, [], 1.0, [], [], kind="smalltalk")
        return None

    @staticmethod
    def _reports(engine: Engine) -> str:
        titles = list(engine.documents.values())
        shown = "、".join(f"《{t}》" for t in titles[:3])
        return shown + (f"等{len(titles)}份报告" if len(titles) > 3 else "")

    def _example_text(self, engine: Engine) -> str:
        return "".join(f"\n• {q}" for q in self.examples(engine, 2))

    def examples(self, engine: Engine, limit: int = 3) -> list[str]:
        """A few questions the current knowledge answers, made from its section titles and checked."""
        with self._lock:
            cached = self._examples.get(engine.store_file)
        if cached is None:
            cached = example_questions(engine)
            with self._lock:
                self._examples = {engine.store_file: cached}  # one knowledge serves at a time
        return cached[:limit]

    # ---- follow-ups -----------------------------------------------------------------------------

    def _follow_up(self, engine: Engine, text: str, last: Turn) -> tuple[Answer | None, str]:
        """The reply to a message that leans on the last turn, or (None, text) when it does not."""
        bare = _SPACING.sub("", fold(text))
        if _MORE.match(bare):
            return self._more(engine, last), last.question
        ref = last.answer.references[0] if last.answer.references else None
        if _DETAIL.match(bare) and ref:
            return engine.show_section(ref.doc, ref.path, last.question), last.question
        part = _PART.match(bare)
        if part:
            return self._part(engine, part, ref), last.question
        about = _ABOUT.match(bare)
        if about and len(bare) <= FOLLOW_UP_CHARS:
            subject = (about.group("x") or about.group("y") or "").removesuffix("的")
            if subject and not _asks(subject):
                doc = _named_report(engine, subject, last)
                if doc is not None:  # 那2023年的呢 / 那南昌呢: the same question of that report
                    answer = engine.ask(last.question, doc=doc)
                    return dataclasses.replace(answer, kind="followup"), last.question
                return self._about(engine, last, subject)
        return None, text

    def _standalone(self, engine: Engine, text: str) -> Answer:
        """A message with no conversation to lean on; `第三部分呢` still means the only report's part."""
        part = _PART.match(_SPACING.sub("", fold(text)))
        if part and len(engine.documents) == 1:
            return self._part(engine, part, None)
        return engine.ask(text)

    def _more(self, engine: Engine, last: Turn) -> Answer:
        """The statements of the answered section after those already shown."""
        if not last.answer.references:
            return engine.ask(last.question)
        ref = last.answer.references[0]
        section = engine.sections.get((ref.doc, ref.path))
        body = section.body if section else []
        shown = [i for i, b in enumerate(body) if b in last.answer.facts]
        start = max(shown) + 1 if shown else 0
        # After the last one shown first, then what came before it and was not shown yet.
        order = body[start:] + body[:start]
        rest = [b for b in order if b not in last.answer.facts][:MORE_FACTS]
        if not rest:
            return Answer(last.question, True, f"“{ref.label or ref.title}”这一部分没有更多内容了。"
                          "可以发送 /sections 查看其他部分。", [ref], 1.0, [], list(last.answer.facts),
                          kind="followup")
        text = "\n".join(f"• {b}" for b in rest) + f"\n\n{source_line(ref)}"
        return Answer(last.question, True, text, [ref], 1.0, [], list(last.answer.facts) + rest, kind="followup")

    def _part(self, engine: Engine, part: re.Match[str], ref) -> Answer:
        """第三部分 → the report's part (3,); 第二点 → the second point beside the one answered."""
        number = parse_section_ref(part.group("a") or part.group("b") or "")
        doc = ref.doc if ref else next(iter(engine.documents))
        path = number
        if part.group("unit") in ("点", "条", "项") and ref is not None and ref.path != (0,):
            # Beside the point answered, or inside the part answered.
            path = tuple(ref.path[:-1] if len(ref.path) > 1 else ref.path) + number
        return engine.show_section(doc, path, part.group(0))

    def _about(self, engine: Engine, last: Turn, subject: str) -> tuple[Answer | None, str]:
        """那X呢: the last question with X in place of its subject; the best answered rewrite wins."""
        for question in _rewrites(engine, last.question, subject):
            answer = engine.ask(question)
            if answer.answered:
                return dataclasses.replace(answer, kind="followup"), question
        return None, subject

    # ---- memory ---------------------------------------------------------------------------------

    def _recall(self, key: Hashable, engine: Engine) -> Turn | None:
        with self._lock:
            turn = self._memory.get(key)
            if turn is None:
                return None
            fresh = self._clock() - turn.at <= self.ttl
            known = all(r.doc in engine.documents for r in turn.answer.references)
            if not (fresh and known):
                del self._memory[key]
                return None
            return turn

    def _remember(self, key: Hashable, turn: Turn) -> None:
        with self._lock:
            self._memory[key] = turn
            self._memory.move_to_end(key)
            while len(self._memory) > MEMORY_KEYS:
                self._memory.popitem(last=False)


def _asks(text: str) -> bool:
    """Does the text hold a question word (多少, 谁, 哪里 …)? Then it is a question of its own."""
    return any(pattern.search(text) for name, pattern in QTYPES if name not in ("summary", "list"))


def _named_report(engine: Engine, subject: str, last: Turn) -> str | None:
    """The report a follow-up's subject names by its year (2023年) or by a place or issuer its title
    holds (南昌), when that tells reports apart; of several, the one most like the last answered."""
    year = _YEAR.fullmatch(engine.absolute_years(subject))  # 那去年的呢 as 2022年 beside a 2023 report
    if year:
        named = [d for d, y in engine.doc_year.items() if y == int(year.group(1))]
    elif len(subject) >= 2:
        named = [d for d, t in engine.documents.items() if subject in fold(f"{t} {engine.doc_about.get(d, '')}")]
    else:
        return None
    if not named or len(named) == len(engine.documents):  # names none, or every report: a subject
        return None
    refs = last.answer.references
    like = engine.documents.get(refs[0].doc, "") if refs else ""
    return max(named, key=lambda d: (fuzz.ratio(engine.documents[d], like), engine.doc_year.get(d, 0)))


def _rewrites(engine: Engine, question: str, subject: str) -> list[str]:
    """The last question with one span of its words (not its question words) replaced by the
    subject, the span most like the subject first (组长 for 副组长, 合同外资 for 实际利用外资);
    then the subject in front of the whole question (那南昌呢)."""
    match = fold(question).rstrip("？?。！!．. ")
    words = engine.analyzer.token_spans(match)
    spans = []
    for i in range(len(words)):
        for j in range(i, min(i + 3, len(words))):
            start, end = words[i][0], words[j][1]
            span = match[start:end]
            if _NOISE.sub("", span) == span and not _asks(span) and span != subject:
                spans.append((fuzz.ratio(span, subject), end - start, start, end))
    spans.sort(key=lambda s: (-s[0], -s[1]))
    rewritten = [match[:s] + subject + match[e:] for _, _, s, e in spans[:REWRITE_TRIES]]
    return list(dict.fromkeys([*rewritten, subject + match]))


def example_questions(engine: Engine, limit: int = 3) -> list[str]:
    """A few questions the current knowledge answers, made from its section titles and checked."""
    examples: list[str] = []
    for section in engine.outline():
        title = section.title or ""
        if len(section.path) < 2 or not 2 <= len(title) <= 16:
            continue
        question = f"{title}有哪些做法？"
        try:
            if engine.ask(question).answered:
                examples.append(question)
        except Exception:  # an example is a nicety; never let it stop the bot
            log.exception("example question from section %s failed", ".".join(map(str, section.path)))
        if len(examples) >= limit:
            break
    return examples
