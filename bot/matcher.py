"""Answering: question → Answer, from a built store. Knows nothing of any channel.

normalise → repair typos (homophones) → segment → weigh terms (the reports' IDF blended with
general Chinese, see vocabulary.TermWeighting) → candidates from the impact postings (the rows with
the largest summed BM25 weights of the question's terms) → score by weighted coverage (exact, then
rapidfuzz near-misses) → check the question's type against what the fact holds → the probability the
statement answers right (bot.calibration) → answer, suggest, or decline.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from . import calibration, features, reply, store, summaries
from .analyzer import Analyzer, alias_words
from .answer import Answer, Reference
from .curated import KnowledgeError
from .normalize import cjk_count, fold
from .vocabulary import Vocabulary

ANSWER_AT = 0.60  # weighted coverage needed to answer
CLEAR_AT, CLEAR_MARGIN = 0.52, 0.20  # a lower coverage answers when nothing elsewhere comes close
SUGGEST_AT = 0.45  # below this: decline without suggestions
FAQ_AT = 88  # rapidfuzz score (0–100) for an FAQ question to answer directly
MAX_QUESTION_CHARS = 120
MISS_PENALTY = 0.3
TITLE_CREDIT = 1.0  # of a word's weight when the report's title holds it: every statement is about its subject
PREVIOUS_CREDIT = 0.5  # when the sentence before holds it
PART_CREDIT = 0.3  # of a word the reports never use, for the share a telling piece covers (赛事 of 体育赛事)
ALIAS_CREDIT = 0.9  # of a word's weight when the text holds another name of it (aliases.csv)
TELLING_AT = 0.40  # a question none of whose words weighs this much (政府 工作) cannot pick a statement
TITLE_WORDS = frozenset("会长 主任 主席 部长 市长 组长 司长 局长 书记 理事长 秘书长 校长 院长 董事长".split())
CANDIDATES = 80
SUMMARY_FACTS = 4  # statements shown for a point without points of its own
OPENING_FACTS = 2  # statements of a part's own shown above its points
MIN_OPENINGS = 3  # paragraphs a section needs before their first sentences stand for it
POSTINGS_CACHED = 1024  # terms whose postings stay in memory (a common term's: a few hundred KB at 3,000 reports)

QTYPES: list[tuple[str, re.Pattern[str]]] = [
    ("contact", re.compile(r"地址|电话|联系方式|邮箱|网址|传真|微信号|二维码|办公时间|上班时间")),
    ("howto", re.compile(r"(?:怎么|怎样|如何|咋)(?:申请|办理|认定|报名|参加|加入|申报|领取|联系|办|去|找)|流程|手续|"
                         r"要(?:准备|提供|带)?(?:什么|哪些)(?:材料|证件|资料)|什么条件|要求是什么")),
    ("distinction", re.compile(r"特别之处|特别的地方|有什么特别|有啥特别|特殊|特色|独特|亮点|头一个|头一部|首个|首部|第一个|第一部|开创")),
    ("date", re.compile(r"哪天|哪一天|何时|什么时候|什么时间|几月|几号|哪一年|哪年|哪个月|日期|时间|哪一日")),
    ("partner", re.compile(r"[跟和与同]谁|哪家|哪个单位|哪些单位|哪个部门|什么机构|哪个机构")),
    ("person", re.compile(r"谁|哪位|哪些人|什么人|何人|哪几位|(?:人|侨商|港胞|华人|老师|领导|会长|主任)(?:叫什么|的名字|姓什么)")),
    ("place", re.compile(r"哪里|在哪|何地|什么地方|哪些地方|哪个地方|哪儿|地点|地址|哪个城市|哪个国家|去了哪")),
    ("number", re.compile(r"多少|(?<!哪)几[个次家位名所项届批人年万千百件笔场期]?|多大|多高|多长|多重|比例|数量|规模|金额|总额")),
    ("summary", re.compile(r"方面|做法|举措|措施|成效|成绩|亮点|哪些工作|做了什么|做了哪些|有哪些|干了什么|概况|介绍|"
                           r"什么安排|什么部署|什么打算|什么进展|什么成果|讲了?(?:些)?(?:啥|什么)|主要讲|部分|这一?块|"
                           r"做得怎么样|情况如何|情况怎么样|整体情况|总体情况|总的情况|说说")),
    ("list", re.compile(r"哪些|什么活动|什么荣誉|哪几")),
]
SUMMARY_WORDS = frozenset(
    "方面 做法 举措 措施 成效 成绩 亮点 概况 介绍 工作 情况 有何 开展 发展 安排 部署 打算 规划 重点 任务 进展 成果 收获 效果".split()
)
FEATURE_FOR = {"number": "numbers", "date": "dates", "person": "people", "place": "places", "partner": "partners"}
WHAT_IS_MISSING = {"number": "具体数字", "date": "具体日期", "person": "具体人名", "place": "具体地点",
                   "partner": "具体单位"}
# A figure for 多少: a number with its unit, not an ordinal (第二届 does not say how many took part).
CARDINAL = re.compile(rf"(?<!第)(?<![\d.]){features.NUMBER.pattern}")
PLACE_IN_CLAUSE = re.compile(r"[\u4e00-\u9fff](?:省|市|区|县|镇|乡|村|街道|大学|公园|广场|国|州|岛)|[赴到去在往]")
ANAPHOR = re.compile(r"(?:这|那|该|此|其|他|她|它|上述|前者|后者|同年|当年|随后|此后|两(?:校|国|人|者|家|队))")
FIRSTS = re.compile(r"第一[部个次家]|首[个部次家]|率先|唯一|首创|先河|之最|最[早先大长高]")
RELATIVE_YEARS = {"今年": 0, "本年": 0, "去年": 1, "上年": 1, "前年": 2, "明年": -1}  # years back
RELATIVE_YEAR = re.compile("|".join(RELATIVE_YEARS))
ORGANISATION = re.compile(r"(?:会|所|局|办|院|中心|协会|广场|公司|集团|大学|学校|基金|政府|部门|报|网|团)")


@dataclass
class SectionRow:
    doc: str
    path: tuple[int, ...]
    heading: str
    title: str
    label: str
    match_text: str
    body: list[str]
    openings: list[str] = field(default_factory=list)  # each paragraph's first sentence


@dataclass
class FactRow:
    rowid: int
    doc: str
    path: tuple[int, ...]
    text: str
    match_text: str
    stored_features: str  # JSON, decoded on first use: most candidates are scored and dropped unread
    previous: str = ""  # the sentence before, in the same section: 分别给予了报道 reports on what it told

    @cached_property
    def features(self) -> dict[str, list[str]]:
        return json.loads(self.stored_features)


@dataclass
class FaqRow:
    question: str
    answer: str
    doc: str
    path: tuple[int, ...]
    phrasings: list[str] = field(default_factory=list)
    line: int = 0


@dataclass
class Scored:
    score: float
    fact: FactRow | None = None
    section: SectionRow | None = None
    rank: int = 0  # position among the full-text index's candidates


def parse_section_ref(text: str) -> tuple[int, ...]:
    """'5.2', '5-2', '[5,2]', '（五）二是', '(五)2' → (5, 2); '' → ()."""
    from .parser import cn_to_int

    parts = re.findall(r"\d+|[零一二三四五六七八九十百]+", text)
    return tuple(cn_to_int(p) for p in parts)


_NO_ROWS = np.zeros(0, dtype=np.int32)
_NO_IMPACTS = np.zeros(0, dtype=np.float32)


class Engine:
    """Answers questions from one built store. Thread-safe for reading."""

    def __init__(self, store_file: Path, calibrated: bool = True):
        self.store_file = store_file
        self._hold = store.hold(store_file)  # pruning after a later reload must not delete what serves
        self._local = threading.local()
        db = self._db()
        aliases = list(db.execute("select alias, full from aliases")) if _has(db, "aliases") else []
        self.analyzer = Analyzer(
            {w: r for w, r in db.execute("select wrong, right from corrections")} if _has(db, "corrections") else {},
            _synonym_groups(db), _words(db) + alias_words(aliases),
        )
        # Either name of a thing stands for the other (GDP, 国内生产总值), both ways.
        self.aliases: dict[str, list[str]] = {}
        for alias, full in aliases:
            a, f = self.analyzer.match_form(alias), self.analyzer.match_form(full)
            self.aliases.setdefault(a, []).append(f)
            self.aliases.setdefault(f, []).append(a)
        documents = db.execute("select doc, title, facts, year, issuer from documents").fetchall()
        self.documents = {d: t for d, t, _, _, _ in documents}
        self.doc_facts = {d: n for d, _, n, _, _ in documents}
        self.doc_year = {d: y or 0 for d, _, _, y, _ in documents}
        self.doc_about = {d: a for d, t, _, y, issuer in documents if (a := _about(t, y, issuer))}
        # The report's subject: its title and its issuer (南昌市侨办 where the text says 我市).
        self.doc_match = {d: self.analyzer.match_form(f"{t} {self.doc_about.get(d, '')}") for d, t in self.documents.items()}
        self.n_facts = db.execute("select count(*) from facts").fetchone()[0]
        self.sections: dict[tuple[str, tuple[int, ...]], SectionRow] = {}
        self.section_at: dict[int, tuple[str, tuple[int, ...]]] = {}  # rowid → key: what retrieval finds
        for rowid, doc, path, heading, title, label, match_text, body, openings in db.execute(
            "select rowid, doc, path, heading, title, label, match_text, body, openings from sections"
        ):
            key = (doc, tuple(json.loads(path)))
            self.section_at[rowid] = key
            self.sections[key] = SectionRow(doc, key[1], heading, title, label, match_text,
                                            body.split("\n") if body else [], openings.split("\n") if openings else [])
        self.children: dict[tuple[str, tuple[int, ...]], list[SectionRow]] = {}
        for (doc, path), section in self.sections.items():
            if path != (0,):
                self.children.setdefault((doc, path[:-1]), []).append(section)
        self.heading_context = {
            (doc, path): " ".join(self.sections[(doc, path[:i])].match_text for i in range(1, len(path) + 1)
                                  if (doc, path[:i]) in self.sections)
            for doc, path in self.sections
        }
        self.vocab = Vocabulary(db, self.analyzer, self.n_facts)
        self.faq = self._load_faq(db)
        self._faq_strings = [p for f in self.faq for p in f.phrasings]
        self._faq_owner = [f for f in self.faq for _ in f.phrasings]
        # A question's terms recur across questions: their postings are read from the store once.
        self._cached_postings = lru_cache(maxsize=POSTINGS_CACHED)(self._postings)
        # Not calibrated: answer by coverage alone, as the calibration benchmark does to collect evidence.
        self.calibration: calibration.Model | None = _model() if calibrated else None

    # ---- loading -------------------------------------------------------------------------------

    @classmethod
    def open(cls, knowledge_dir: Path, data_dir: Path, progress: Callable[[str], None] = lambda _m: None,
             calibrated: bool = True) -> Engine:
        """Build the store if the knowledge changed, load it, and check it answers its own FAQ."""
        engine = cls(store.build(Path(knowledge_dir), Path(data_dir), progress), calibrated)
        engine.validate(Path(knowledge_dir))
        return engine

    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.store_file}?mode=ro", uri=True, check_same_thread=False)
            self._local.conn = conn
        return conn

    def _load_faq(self, db: sqlite3.Connection) -> list[FaqRow]:
        if not _has(db, "faq"):
            return []
        only_doc = next(iter(self.documents)) if len(self.documents) == 1 else ""
        rows = []
        for q, alternates, answer, doc, section, line in db.execute(
            "select question, alternates, answer, doc, section, line from faq"
        ):
            # Read as questions are: 今年 in an entry is the year a question's 今年 becomes.
            phrasings = [self.absolute_years(self.analyzer.match_form(p)) for p in [q, *json.loads(alternates)]]
            rows.append(FaqRow(q, answer, doc or only_doc, parse_section_ref(section), phrasings, line))
        return rows

    def validate(self, knowledge_dir: Path) -> None:
        """A store is served only if it has facts and every FAQ entry answers its own question."""
        if self.n_facts == 0:
            raise KnowledgeError(knowledge_dir, "has no report with any text to answer from")
        for f in self.faq:
            faq_file = knowledge_dir / "faq.csv"
            if f.doc and f.doc not in self.documents:
                raise KnowledgeError(faq_file, f"names the report {f.doc!r}, which is not there", f.line)
            if f.path and (f.doc, f.path) not in self.sections:
                raise KnowledgeError(faq_file, f"the section {'.'.join(map(str, f.path))} of {f.doc} does not "
                                     f"exist (question {f.question!r})", f.line)
            got = self.ask(f.question)
            if not got.answered or got.text.find(f.answer[:20]) < 0:
                raise KnowledgeError(faq_file, f"the entry {f.question!r} does not answer its own question; "
                                     "make it more specific", f.line)

    def counts(self) -> dict[str, int]:
        return {"documents": len(self.documents), "sections": len(self.sections), "facts": self.n_facts,
                "faq": len(self.faq)}

    # ---- the outline ----------------------------------------------------------------------------

    def outline(self) -> list[SectionRow]:
        return [s for s in self.sections.values() if s.path != (0,) or s.body]

    def reference(self, doc: str, path: tuple[int, ...]) -> Reference:
        section = self.sections.get((doc, path))
        label = section.label if section else ""
        return Reference(doc, self.documents.get(doc, doc), path, label, self.doc_about.get(doc, ""))

    def show_section(self, doc: str, path: tuple[int, ...], question: str = "", terms: list[str] | None = None) -> Answer:
        """A section's summary: its points' titles and key facts, or for a point without points its
        statements — those naming what was asked first (对外开放方面… shows the 对外开放 ones)."""
        section = self.sections.get((doc, tuple(path)))
        if section is None:
            return self._decline(question, "没有这个章节。发送 /sections 查看目录。")
        children = self.children.get((doc, tuple(path)), [])
        # Paragraphs open with their topic (gov reports): those sum a long section up best.
        statements = section.openings if len(section.openings) >= MIN_OPENINGS else section.body
        if children:  # its own opening statements, then each point with its key fact
            lines = [(None, b) for b in self._telling(statements, terms, OPENING_FACTS)]
            lines += [(c.heading, _key_fact(c.body)) for c in children]
        else:
            lines = [(None, b) for b in self._telling(statements, terms)]
        ref = self.reference(doc, section.path)
        text = reply.section_text(section.heading, lines, ref)
        facts = [b for _, b in lines if b]
        return Answer(question or section.heading, True, text, [ref], 1.0, [], facts)

    def _telling(self, body: list[str], terms: list[str] | None, limit: int = SUMMARY_FACTS) -> list[str]:
        """Up to `limit` statements of a section, in their order, preferring those holding the terms."""
        if not terms or len(body) <= limit:
            return body[:limit]
        hits = [sum(t in self.analyzer.match_form(b) for t in terms) for b in body]
        keep = sorted(range(len(body)), key=lambda i: (-hits[i], i))[:limit]
        return [body[i] for i in sorted(keep)]

    # ---- asking ---------------------------------------------------------------------------------

    def ask(self, question: str, doc: str | None = None) -> Answer:
        """The answer to one question; with `doc`, from that report only (那2023年的呢 in a conversation)."""
        question = question if isinstance(question, str) else ""
        # Folding can only shorten by so much: 100 KB is measured as it came, at no cost.
        q = fold(question) if len(question) <= MAX_QUESTION_CHARS * 4 else question
        if not q:
            return self._decline(question, "请输入一个问题，例如：合同外资引进了多少？")
        if len(q) > MAX_QUESTION_CHARS:
            return self._decline(question, f"问题太长了（{len(q)}字）。请用一句话提问，例如：困难归侨补助发了多少？")
        if cjk_count(q) == 0:
            return self._decline(question, "请用中文提问，例如：接待了多少海外华侨华人？")
        match = self.absolute_years(self.vocab.repair_typos(self.analyzer.match_form(question)))
        qtype = question_type(match)
        terms = self.vocab.expand(self.analyzer.terms(match))
        terms = [t for t in terms if t not in SUMMARY_WORDS or qtype != "summary"]
        faq = self.match_faq(match)
        if faq is not None and (doc is None or faq.doc == doc):
            return self._faq_answer(question, faq)
        if (summary := summaries.summary_answer(self, question, match)) is not None:  # outline, part, points
            return summary
        if not terms:
            return self._decline(question, "这份报告里没有找到相关内容。")
        alts = {t: forms for t in terms if (forms := [f for f in self.aliases.get(t, ()) if f in self.vocab])}
        # A word the reports never use weighs as the name they use for it (GDP as 国内生产总值).
        weights = {t: self.vocab.weight(alts[t][0] if t in alts and t not in self.vocab else t) for t in terms}
        # A place the reports never name (无锡市), or a Latin name or abbreviation they never use
        # (PPP): the question is about something else, whatever else matches.
        elsewhere = [t for t in terms if t not in self.vocab and t not in alts and len(t) >= 2
                     and (t.isascii() or self._names_a_place(t, match))]
        for t in elsewhere:
            weights[t] = 2.0  # twice the most a word can weigh
        if max(weights.values()) < TELLING_AT:  # only everyday words (政府 工作 作): nothing says which statement
            return self._decline(question, "问题里没有能确定内容的词，请说得具体一些。")
        queries = self.vocab.candidate_queries(terms + [f for forms in alts.values() for f in forms])
        facts = self._score_facts(terms, weights, queries, alts)
        sections = self._score_sections(terms, weights, queries, alts)
        if doc is not None:
            facts = [s for s in facts if s.fact and s.fact.doc == doc]
            sections = [s for s in sections if s.section and s.section.doc == doc]
        asked = terms + [f for forms in alts.values() for f in forms]  # what stands for what was asked
        return self._decide(question, qtype, asked, facts, sections, strict=bool(elsewhere),
                            evidence=(terms, weights, alts))

    def absolute_years(self, match: str) -> str:
        """今年/去年/前年/明年 as years: the newest report's year is this year, as the knowledge knows
        it (a year-end report reviews its own year); each report's own 今年 is read by `_dated`."""
        years = {y for y in self.doc_year.values() if y}
        if not years:
            return match
        return RELATIVE_YEAR.sub(lambda m: f"{max(years) - RELATIVE_YEARS[m.group(0)]}年", match)

    def _dated(self, text: str, doc: str) -> str:
        """A report's 今年/去年/明年 with the year each means in it (今年 → 今年2023年 in a 2023 report),
        so a question naming a year finds the statements about that year."""
        year = self.doc_year.get(doc)
        if not year:
            return text
        return RELATIVE_YEAR.sub(lambda m: f"{m.group(0)}{year - RELATIVE_YEARS[m.group(0)]}年", text)

    def match_faq(self, match: str) -> FaqRow | None:
        """The FAQ entry a question (in match form) asks, if one is close enough to answer it."""
        if not self._faq_strings:
            return None
        match = self.absolute_years(match)  # as the phrasings were read (idempotent for a question's)
        hit = process.extractOne(match, self._faq_strings, scorer=fuzz.ratio, score_cutoff=FAQ_AT)
        return self._faq_owner[hit[2]] if hit else None

    def _faq_answer(self, question: str, faq: FaqRow) -> Answer:
        ref = self.reference(faq.doc, faq.path) if faq.doc else None
        text = reply.fact_text([faq.answer], [ref] if ref else [])
        return Answer(question, True, text, [ref] if ref else [], 1.0, [], [faq.answer])

    def _names_a_place(self, term: str, match: str) -> bool:
        """杭州, 南京市, 无锡 市: a place by the word list (tag ns) or by its suffix."""
        tags = self.analyzer.word_tags
        if tags.get(term) == "ns" or re.search(re.escape(term) + "[省市县州]", match):
            return True
        named = term[:-1] in self.vocab  # 苏州市 where the reports say 苏州
        return term[-1] in "省市县州" and not named and (tags.get(term[:-1]) == "ns" or len(term) >= 3)

    def _postings(self, table: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The rows of facts or sections holding a term (one per wording, ascending) and its BM25
        weight in each, as the build wrote them (store._postings)."""
        row = self._db().execute(f"select rowids, impacts from {table}_postings where term = ?", (term,)).fetchone()
        if row is None:
            return _NO_ROWS, _NO_IMPACTS
        return np.frombuffer(row[0], dtype=np.int32), np.frombuffer(row[1], dtype=np.float32)

    def _search(self, table: str, queries: list[tuple[list[str], int]]) -> list[int]:
        """Rowids of the facts or sections the queries find, best first, each at most once: per
        query, the CANDIDATES holding at least that many of its terms with the largest summed BM25
        weight of them (what `match … order by rank` gave), ties by position in the archive."""
        found: dict[int, None] = {}
        for terms, at_least in queries:
            lists = [p for t in terms if (p := self._cached_postings(table, t))[0].size]
            if len(lists) < at_least:
                continue
            rows = np.concatenate([r for r, _ in lists])
            impacts = np.concatenate([i for _, i in lists])
            if len(lists) > 1:  # a row holding several of the terms: their weights summed
                rows, where, held = np.unique(rows, return_inverse=True, return_counts=True)
                impacts = np.bincount(where, weights=impacts)
                if at_least > 1:
                    rows, impacts = rows[held >= at_least], impacts[held >= at_least]
            if rows.size > CANDIDATES:
                best = np.argpartition(-impacts, CANDIDATES - 1)[:CANDIDATES]
                rows, impacts = rows[best], impacts[best]
            for r in rows[np.lexsort((rows, -impacts))].tolist():
                found.setdefault(r)
        return list(found)

    def _candidates(self, queries: list[tuple[list[str], int]]) -> list[FactRow]:
        rowids = self._search("facts", queries)
        if not rowids:
            return []
        marks = ", ".join("?" * len(rowids))
        got = {r[0]: r for r in self._db().execute(
            "select t.rowid, t.doc, t.path, t.text, t.match_text, t.features, (select p.match_text from facts p "
            f"where p.rowid = t.rowid - 1 and p.doc = t.doc and p.path = t.path) from facts t where t.rowid in ({marks})",
            rowids)}
        rows = [got[r] for r in rowids]
        return [FactRow(r[0], r[1], _path(r[2]), r[3], r[4], r[5], r[6] or "") for r in rows]

    def _coverage(self, terms: list[str], weights: dict[str, float], text: str, context: str = "",
                  background: str = "", title: str = "", alts: dict[str, list[str]] | None = None) -> float:
        """Share of the question's weight found in the text (exact, then near-miss), plus a small
        bonus for neighbouring terms that stand together, so 机制创新 beats 机制…创新."""
        total = sum(weights.values()) or 1.0
        got = own = 0.0  # own: found in the text or its headings, not only in the title or the sentence before
        worst_miss = 0.0  # the largest report word the text lacks: then it is about something else
        for t in terms:
            if t in text and not _only_deputy(t, text):
                got += weights[t]
            elif alts and any(a in text for a in alts.get(t, ())):  # another name of it (GDP: 国内生产总值)
                got += weights[t] * ALIAS_CREDIT
            elif context and t in context:
                # A year in a heading (2009年工作回顾) scopes everything under it; other words count half.
                got += weights[t] * (0.9 if t.isdigit() else 0.5)
            elif title and t in title:
                # The report's subject is what every statement is about; a year in its title is not:
                # a report reviews one year and plans the next.
                got += weights[t] * (PREVIOUS_CREDIT if t.isdigit() else TITLE_CREDIT)
                continue
            elif background and t in background:  # the sentence before
                got += weights[t] * PREVIOUS_CREDIT
                continue
            elif len(t) >= 3 and fuzz.partial_ratio(t, text, score_cutoff=80):
                got += weights[t] * 0.6
            elif PART_CREDIT and t not in self.vocab and (part := _longest_part(t, text, self.vocab.is_telling)):
                # A word the reports never use (妻子, 体育赛事): the longest part of it the text holds (妻, 赛事).
                got += weights[t] * PART_CREDIT * part / len(t)
                continue
            else:
                if len(t) > 1 and (t in self.vocab or (alts and t in alts)):
                    worst_miss = max(worst_miss, weights[t] / total)
                continue
            own += weights[t]
        if not own:  # only the report's subject or the sentence before: the statement says nothing asked
            return 0.0
        pairs = [a + b for a, b in zip(terms, terms[1:], strict=False)]
        together = sum(1 for p in pairs if p in text) / len(pairs) if pairs else 0.0
        return got / total + 0.05 * together - MISS_PENALTY * worst_miss

    def _score_facts(self, terms: list[str], weights: dict[str, float], queries: list[tuple[list[str], int]],
                     alts: dict[str, list[str]]) -> list[Scored]:
        scored = []
        for rank, f in enumerate(self._candidates(queries)):
            # The headings above a fact and the report's title say what it is about: 机制创新方面… / 2009年…
            context = self._dated(self.heading_context.get((f.doc, f.path), ""), f.doc)
            scored.append(Scored(self._coverage(terms, weights, self._dated(f.match_text, f.doc), context, f.previous,
                                                self.doc_match.get(f.doc, ""), alts), fact=f, rank=rank))
        # Equally good statements from several reports: the report most about the question comes
        # first — the one where matching statements are the largest share of what it says.
        matching: Counter[str] = Counter(s.fact.doc for s in scored if s.fact and s.score >= SUGGEST_AT)
        salience = {doc: n / max(self.doc_facts.get(doc, 1), 1) for doc, n in matching.items()}
        # When nothing else decides, the newest report speaks first.
        scored.sort(key=lambda s: (-round(s.score, 2), -salience.get(s.fact.doc, 0.0) if s.fact else 0.0,
                                   -self.doc_year.get(s.fact.doc, 0) if s.fact else 0))
        return scored

    def _score_sections(self, terms: list[str], weights: dict[str, float],
                        queries: list[tuple[list[str], int]], alts: dict[str, list[str]]) -> list[Scored]:
        candidates = [self.sections[self.section_at[r]] for r in self._search("sections", queries)]
        scored = [Scored(self._coverage(terms, weights, s.match_text, self.heading_context.get((s.doc, s.path[:-1]), ""),
                                        title=self.doc_match.get(s.doc, ""), alts=alts), section=s)
                  for s in candidates if s.path != (0,)]
        scored.sort(key=lambda s: (-s.score, len(s.section.path) if s.section else 0))
        return [s for s in scored if s.score > 0]

    def _distinction(self, top: FactRow, question: str, score: float) -> Answer | None:
        """The statement of the top fact's section that tells a first or an only (第一部, 率先)."""
        section = self.sections.get((top.doc, top.path))
        first = next((b for b in (section.body if section else []) if FIRSTS.search(b)), None)
        if first is None:
            return None
        ref = self.reference(top.doc, top.path)
        return Answer(question, True, reply.fact_text([first], [ref]), [ref], score, [], [first])

    def _stands_out(self, facts: list[Scored]) -> bool:
        return self._lead(facts) >= CLEAR_MARGIN

    def _lead(self, facts: list[Scored]) -> float:
        """How far the best statement leads every statement elsewhere: in another part of the report
        or, in a report without parts, any other statement."""
        top = facts[0].fact
        assert top is not None
        whole = (top.doc, ()) not in self.children or len(self.children[(top.doc, ())]) <= 1
        rest = [s.score for s in facts[1:] if s.fact and (whole or (s.fact.doc, s.fact.path) != (top.doc, top.path))]
        return facts[0].score - max(rest, default=0.0)

    def _fits(self, fact: FactRow, qtype: str, terms: list[str], asked: str, ordinal: bool = False) -> bool:
        """Does the fact hold what the question type asks for? A figure (or a place) must stand in a
        clause that names something asked about, so 起征点提高到多少 is not answered with 设立6项扣除."""
        feature = FEATURE_FOR.get(qtype)
        if not feature:
            return True
        if qtype == "partner":  # 跟谁/哪家: a person or an organisation
            return bool(fact.features.get("people")) or bool(ORGANISATION.search(fact.text))
        # Names the tagger finds and the question does not hold: 谁 is answered by a person or an
        # organisation, 哪里 by a place, with or without a title before the name.
        found = [w for w, tag in self.analyzer.names(fact.match_text) if w not in asked and len(w) > 1
                 and (tag.startswith("ns") if qtype == "place" else not tag.startswith("ns"))]
        if not fact.features.get(feature) and not (found and qtype in ("person", "place")):
            return False
        if qtype == "person":  # 会长是谁 where only a 副会长 is named: the one asked about is not there
            return not any(_only_deputy(t, fact.match_text) for t in terms if t in TITLE_WORDS)
        if qtype not in ("number", "place"):
            return True
        words = [t for t in terms if len(t) > 1] or terms
        holds = PLACE_IN_CLAUSE if qtype == "place" else features.ORDINAL if ordinal else CARDINAL
        clauses = re.split(r"[，,；;。]", fact.match_text)
        return any((holds.search(c) or (qtype == "place" and any(w in c for w in found))) and any(t in c for t in words)
                   for c in clauses)

    def _decide(self, question: str, qtype: str, terms: list[str], facts: list[Scored],
                sections: list[Scored], strict: bool = False,
                evidence: tuple[list[str], dict[str, float], dict[str, list[str]]] | None = None) -> Answer:
        if qtype == "howto":  # reports say what was done, never how to apply for something
            return self._decline(question, "工作报告只总结做了哪些工作，没有写办理方法或流程；请咨询当地侨办。",
                                 self._suggestions(facts, sections))
        if qtype == "contact":
            return self._decline(question, "工作报告里没有地址、电话等联系方式；请咨询当地侨办。",
                                 self._suggestions(facts, sections))
        best_fact = facts[0].score if facts else 0.0
        best_section = sections[0].score if sections else 0.0
        if sections and best_section >= ANSWER_AT and qtype in ("summary", "list", "") and (
            best_section >= best_fact or qtype == "summary"
        ):
            top = sections[0].section
            assert top is not None
            answer = self.show_section(top.doc, top.path, question, terms)
            answer.score = best_section
            return answer
        if best_fact >= ANSWER_AT or (not strict and best_fact >= CLEAR_AT and self._stands_out(facts)):
            answer = self._answer_from_facts(question, qtype, terms, facts, sections)
            return self._calibrated(answer, qtype, facts, sections, strict, evidence) if answer.answered else answer
        if max(best_fact, best_section) >= SUGGEST_AT:
            return self._decline(question, "报告里没有直接回答这个问题的内容。", self._suggestions(facts, sections),
                                 score=max(best_fact, best_section))
        return self._decline(question, "这份报告没有提到这方面的内容。")

    def _calibrated(self, answer: Answer, qtype: str, facts: list[Scored], sections: list[Scored], strict: bool,
                    evidence: tuple[list[str], dict[str, float], dict[str, list[str]]] | None) -> Answer:
        """A statement answers when the model says it is right often enough; its score is that
        probability. Without a model (collecting evidence to fit one) the answer stands as it is."""
        terms, weights, alts = evidence or (answer.facts, {}, {})
        chosen = next((s for s in facts if s.fact and s.fact.text in answer.facts), facts[0])
        fact = chosen.fact
        assert fact is not None
        best = facts[0].score
        answer.evidence = calibration.evidence(
            question=fold(answer.question), coverage=best, margin=self._lead(facts), close=sum(1 for s in facts[1:] if s.score >= best - 0.08),
            qtype=qtype, terms=terms, weights=weights, text=fact.match_text,
            context=self.heading_context.get((fact.doc, fact.path), ""), title=self.doc_match.get(fact.doc, ""),
            alts=alts, rank=chosen.rank, fit_top=chosen is facts[0], span=answer.span, strict=strict)
        if self.calibration is None:
            return answer
        p = self.calibration.probability(answer.evidence)
        if p >= self.calibration.answer_at:
            answer.score = p
            return answer
        if p >= self.calibration.suggest_at:
            return self._decline(answer.question, "报告里没有直接回答这个问题的内容。",
                                 self._suggestions(facts, sections), score=p)
        return self._decline(answer.question, "这份报告没有提到这方面的内容。", score=p)

    def _answer_from_facts(self, question: str, qtype: str, terms: list[str], facts: list[Scored],
                           sections: list[Scored]) -> Answer:
        """The best statements that hold what was asked, or a decline naming what is missing."""
        best = facts[0].score
        ordinal = "第几" in question
        asked = self.analyzer.match_form(question)
        close = [s for s in facts if s.score >= best - 0.08]
        fitting = [s for s in close if s.fact and self._fits(s.fact, qtype, terms, asked, ordinal)]
        if not fitting and qtype in FEATURE_FOR:  # the figure asked for may stand a little lower
            fitting = [s for s in facts if s.score >= max(ANSWER_AT, best - 0.25)
                       and s.fact and self._fits(s.fact, qtype, terms, asked, ordinal)][:1]
        if qtype == "distinction" and facts[0].fact:  # 有什么特别: a first, a best, an only, where the top is
            first = self._distinction(facts[0].fact, question, best)
            if first:
                return first
        if fitting:
            return self._fact_answer(question, qtype, fitting, best, terms)
        top = facts[0].fact
        assert top is not None
        return self._decline(question, f"报告提到了相关内容，但没有写明{WHAT_IS_MISSING[qtype]}：\n{top.text}",
                             self._suggestions(facts, sections))

    def _fact_answer(self, question: str, qtype: str, fitting: list[Scored], score: float,
                     terms: list[str]) -> Answer:
        if qtype in ("list", "person", "summary"):
            chosen = fitting[:3]
        elif qtype == "":  # bare keywords: every statement that matches as well, up to two
            chosen = [s for s in fitting if s.score >= fitting[0].score - 0.02][:2]
        else:
            chosen = fitting[:1]
        facts = [s.fact for s in chosen if s.fact]
        refs = list(dict.fromkeys(self.reference(f.doc, f.path) for f in facts))
        texts = [f.text for f in facts]
        top = facts[0]
        # A statement that reads only with its neighbour: one opening with a pronoun (这一群…, 其…)
        # is shown after the sentence it points back to; one ending in a colon, before what it announces.
        if ANAPHOR.match(top.match_text) and (before := self._neighbour(top, -1)):
            texts.insert(0, before)
        if top.text.rstrip().endswith(("：", ":")) and (after := self._neighbour(top, 1)):
            texts.insert(texts.index(top.text) + 1, after)
        text = reply.fact_text(texts, refs)
        others = self._other_reports(fitting, top) if len(chosen) == 1 else []
        if others:
            text += "\n" + reply.OTHERS + "、".join(f"《{self.documents[d]}》" for d in others)
        span = self._span(top, qtype, terms, self.analyzer.match_form(question), "第几" in question)
        suggestions = [f"{self.documents[d]} {question}" for d in others]  # a button each: asked of that report
        return Answer(question, True, text, refs, score, suggestions, texts, span)

    def _other_reports(self, fitting: list[Scored], top: FactRow) -> list[str]:
        """Other reports that answer as well with something else (another year's figure): named
        under the answer, so a reader knows the one quoted is not the only one."""
        others: list[str] = []
        for s in fitting:
            f = s.fact
            if f and f.doc != top.doc and f.doc not in others and f.match_text != top.match_text:
                others.append(f.doc)
        return others[:3]

    def _neighbour(self, fact: FactRow, step: int) -> str | None:
        """The statement just before (-1) or after (1) a fact in its section, or None."""
        row = self._db().execute("select text from facts where rowid = ? and doc = ? and path = ?",
                                 (fact.rowid + step, fact.doc, json.dumps(list(fact.path)))).fetchone()
        return row[0] if row else None

    def _span(self, fact: FactRow, qtype: str, terms: list[str], asked: str, ordinal: bool) -> str | None:
        """The item asked for as the statement writes it: the figure in the clause naming what was
        asked, the first name, date or place the question does not already hold; None otherwise."""
        if qtype == "number":
            holds = features.ORDINAL if ordinal else CARDINAL
            words = [t for t in terms if len(t) > 1] or terms
            # The clause naming most of what was asked holds the figure: 发放困难补助39.2万元, not 走访456人次.
            clauses = [c for c in re.split(r"[，,；;。]", fact.text) if holds.search(c)]
            clauses.sort(key=lambda c: -sum(len(t) for t in words if t in self.analyzer.match_form(c)))
            found = [m.group(0) for c in clauses[:1] for m in holds.finditer(c)]
        elif qtype == "date":  # a written date before 去年, 年底
            found = sorted(features.dates(fact.text), key=lambda d: not re.search(r"\d", d))
        elif qtype in ("person", "partner", "place"):
            tagged = [w for w, tag in self.analyzer.names(fact.match_text) if tag.startswith("ns") == (qtype == "place")]
            known = fact.features.get("places" if qtype == "place" else "people", [])
            found = [w for w in [*known, *tagged] if len(w) > 1]
        else:
            return None
        return next((f for f in found if f in fact.text and fold(f) not in asked), None)

    def _suggestions(self, facts: list[Scored], sections: list[Scored]) -> list[str]:
        """Headings near the question: pressing one shows that section, which always answers."""
        out: list[str] = []
        for s in facts[:6]:
            sec = self.sections.get((s.fact.doc, s.fact.path)) if s.fact else None
            if sec and sec.path != (0,) and sec.heading not in out:
                out.append(sec.heading)
        for s in sections[:3]:
            if s.section and s.section.heading not in out:
                out.append(s.section.heading)
        return out[:3]

    def _decline(self, question: str, why: str, suggestions: list[str] | None = None, score: float = 0.0) -> Answer:
        suggestions = suggestions or []
        return Answer(question, False, reply.decline_text(why, suggestions), [], score, suggestions)


@functools.cache
def _model() -> calibration.Model:
    return calibration.load()


def _only_deputy(term: str, text: str) -> bool:
    """会长 asked, only 副会长 written: the report names the deputy, not the one asked about."""
    return term[0] != "副" and term in TITLE_WORDS and text.count(term) == text.count("副" + term)


def _longest_part(word: str, text: str, telling: Callable[[str], bool]) -> int:
    """Characters of the longest telling piece of a Chinese word standing in the text: two or more,
    or one of a two-character word (妻 of 妻子); 0 for a Latin word or when none is there."""
    if len(word) < 2 or word.isascii():
        return 0
    for n in range(len(word) - 1, 0, -1):
        if n == 1 and len(word) > 2:
            return 0
        if any(word[i : i + n] in text and telling(word[i : i + n]) for i in range(len(word) - n + 1)):
            return n
    return 0


@lru_cache(maxsize=4096)
def _path(stored: str) -> tuple[int, ...]:
    """A stored section path ('[5, 2]'): an archive has few distinct ones, read once each."""
    return tuple(json.loads(stored))


def question_type(match: str) -> str:
    for name, pattern in QTYPES:
        if pattern.search(match):
            return name
    return ""


def _key_fact(body: list[str]) -> str:
    """The statement that best sums up a point: the first with a figure, else the first."""
    for b in body:
        if re.search(r"\d", b):
            return b
    return body[0] if body else ""


def _about(title: str, year: int | None, issuer: str | None) -> str:
    """A report's year and issuer, as far as its title does not already say them."""
    parts = []
    if year and str(year) not in title:
        parts.append(f"{year}年")
    if issuer and issuer not in title:
        parts.append(issuer)
    return "，".join(parts)


def _has(db: sqlite3.Connection, table: str) -> bool:
    return db.execute("select 1 from sqlite_master where name = ?", (table,)).fetchone() is not None


def _synonym_groups(db: sqlite3.Connection) -> list[tuple[str, tuple[str, ...]]]:
    if not _has(db, "synonyms"):
        return []
    groups: dict[str, list[str]] = {}
    for canonical, variant in db.execute("select canonical, variant from synonyms"):
        groups.setdefault(canonical, []).append(variant)
    return [(c, tuple(v)) for c, v in groups.items()]


def _words(db: sqlite3.Connection) -> list[tuple[str, int | None, str | None]]:
    return list(db.execute("select word, freq, tag from words")) if _has(db, "words") else []
