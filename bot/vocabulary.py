"""The reports' vocabulary: how much a word says, sound-alike typos, and what picks candidates.

Built from the store's `vocab` table (every indexed term with the number of facts holding it and
its pinyin); used by the matcher on every question.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jieba

from .analyzer import QUESTION_WORDS, Analyzer, char_pinyin

FUNCTION_CHARS = frozenset("是的了在有和与及也都就还又被把对为给吗呢吧啊呀么")
COMMON_SHARE, COMMON_MIN = 0.005, 200  # a term in more facts than this does not pick candidates alone
PAIR_TERMS = 4  # statements holding two of the question's four rarest words are candidates first


@dataclass(frozen=True)
class TermWeighting:
    """How much a question's word says: the reports' own IDF blended with general Chinese.

    One report is a small sample: most of its words occur once, so by its own statistics 现在 or
    位置 weigh as much as 赤字率. The background is jieba's IDF table of general Chinese (its
    `analyse/idf.txt`), a prior whose share shrinks as the store grows and its own statistics
    become reliable:

        weight = ((1 - share) * report_idf / max_report_idf + share * general_idf / max_general_idf)
                 * (single_char if the word is one character)
        share  = background_floor + (1 - background_floor) * prior_facts / (prior_facts + facts)
    """

    background_floor: float = 0.2  # the background's share in an archive far larger than prior_facts
    prior_facts: int = 30  # a store of this many statements is weighed half by its own statistics
    unseen_in_reports: float = 0.7  # report-IDF share of a word no statement holds
    single_char: float = 0.5  # one character says less than the words it is part of
    floor: float = 0.02  # no word weighs nothing
    telling_from: float = 7.0  # general IDF from which a piece of an unknown word stands for it (赛事 9.3, 工作 4.2)

    def background_share(self, facts: int) -> float:
        return self.background_floor + (1 - self.background_floor) * self.prior_facts / (self.prior_facts + facts)


# Words at least this rare in general Chinese all weigh as rare (jieba gives unknown words the
# median, 11.95); keeping only the commoner ones keeps the table small in memory.
GENERAL_RARE_FROM = 11.0


@lru_cache(maxsize=1)
def general_idf() -> tuple[dict[str, float], float, float]:
    """jieba's general-Chinese IDF for the commoner words, the value for all others, the largest."""
    table: dict[str, float] = {}
    values = []
    path = Path(jieba.__file__).parent / "analyse" / "idf.txt"
    with path.open(encoding="utf-8") as f:
        for line in f:
            word, _, value = line.rstrip().partition(" ")
            idf = float(value)
            values.append(idf)
            if idf < GENERAL_RARE_FROM:
                table[word] = idf
    values.sort()
    return table, values[len(values) // 2], values[-1]


class Vocabulary:
    """Document frequencies and pinyin of every term the reports use."""

    def __init__(self, db: sqlite3.Connection, analyzer: Analyzer, n_facts: int,
                 weighting: TermWeighting = TermWeighting()):
        self.analyzer = analyzer
        self.n_facts = n_facts
        self.weighting = weighting
        self.general, self.general_unknown, self.general_max = general_idf()
        self.share = weighting.background_share(n_facts)
        self.df: dict[str, int] = dict(db.execute("select term, df from vocab"))
        self.by_pinyin: dict[str, list[str]] = {}
        for term, py in db.execute("select term, pinyin from vocab where pinyin is not null"):
            self.by_pinyin.setdefault(py, []).append(term)
        self.max_idf = math.log((n_facts + 1) / 0.5)

    def __contains__(self, term: str) -> bool:
        return term in self.df

    def weight(self, term: str) -> float:
        """0–1: how much finding the word in a statement says (see TermWeighting)."""
        w = self.weighting
        df = self.df.get(term)
        # A word no statement holds: a concept the reports lack, or a fragment of one of their words.
        own = w.unseen_in_reports if df is None else max(math.log((self.n_facts + 1) / (df + 0.5)), 0.0) / self.max_idf
        general = self.general.get(term, self.general_unknown) / self.general_max
        blended = (1 - self.share) * own + self.share * general
        return max(blended * (w.single_char if len(term) == 1 else 1.0), w.floor)

    def is_telling(self, piece: str) -> bool:
        """A piece of a word that says something in general Chinese (赛事 of 体育赛事, not 工作 of 工作人员)."""
        return self.general.get(piece, self.general_unknown) >= self.weighting.telling_from

    def repair_typos(self, match: str) -> str:
        """Replace a character that makes a report word sound-alike but not itself (华桥 → 华侨).

        Only characters no report word covers may change, and the repair that explains the most
        uncovered characters wins (捐增 → 捐赠, not 侨捐 → 侨眷).
        """
        chars = list(match)
        covered = [False] * len(chars)
        for n in range(2, 7):
            for i in range(len(chars) - n + 1):
                span = match[i : i + n]
                if span in self.df or span in QUESTION_WORDS:
                    covered[i : i + n] = [True] * n
        if all(covered):
            return match
        pys = [char_pinyin(c) if "\u3400" <= c <= "\u9fff" else None for c in chars]
        words = self.analyzer.word_spans(match)
        tokens = set(self.analyzer.token_spans(match))
        candidates = []
        for start in range(len(chars)):
            for n in (2, 3, 4, 5):
                window = pys[start : start + n]
                span = match[start : start + n]
                if (len(window) < n or None in window or all(covered[start : start + n])
                        or FUNCTION_CHARS.intersection(span) or self.analyzer.is_common_word(span)
                        or any(a < start < b or a < start + n < b for a, b in words)):
                    continue  # a real word (收到), a phrase with 是/的 (月是), or one cutting a word (放|大侨) is no typo
                for word in self.by_pinyin.get(" ".join(window), ()):  # type: ignore[arg-type]
                    diff = [k for k in range(n) if word[k] != chars[start + k]]
                    if len(diff) == 1 and not covered[start + diff[0]]:
                        # Uncovered characters explained, and a bonus when jieba cut the typo out whole (专板).
                        gain = n - sum(covered[start : start + n]) + ((start, start + n) in tokens)
                        candidates.append((gain, n, start, word))
        taken = [False] * len(chars)
        for _gain, n, start, word in sorted(candidates, reverse=True):
            if not any(taken[start : start + n]):
                chars[start : start + n] = list(word)
                taken[start : start + n] = [True] * n
        return "".join(chars)

    def expand(self, terms: list[str]) -> list[str]:
        """Split a word the reports do not use into report words it contains (困难户 → 困难 + 户)."""
        out: list[str] = []
        for t in terms:
            if t not in self.df and not self.analyzer.is_common_word(t):
                # jieba glued a question word to a content character (拿多少钱来 → 钱来): keep the content.
                t = t.strip("".join(w for w in QUESTION_WORDS if len(w) == 1)) or t
            if t in self.df or len(t) < 2 or not t.isalpha() or t.isascii():
                out.append(t)
                continue
            parts, i = [], 0
            while i < len(t):
                for j in range(len(t), i + 1, -1):
                    if t[i:j] in self.df:
                        parts.append(t[i:j])
                        i = j
                        break
                else:
                    parts.append(t[i])
                    i += 1
            # Only when report words make up most of it: 工作人员 is not 工作 + 员.
            found = sum(len(p) for p in parts if len(p) > 1) * 3 >= len(t) * 2
            out.extend(p for p in parts if p not in QUESTION_WORDS) if found else out.append(t)
        return list(dict.fromkeys(out))

    def candidate_queries(self, terms: list[str]) -> list[tuple[list[str], int]]:
        """What picks the candidates, best first: each a list of report terms and how many of them a
        statement must hold — two of the question's most telling words, then any of its rare words."""
        query_terms = set(terms)
        for t in terms:
            if t not in self.df and len(t) >= 2:
                query_terms.update(t[i : i + 2] for i in range(len(t) - 1))
        known = [t for t in query_terms if self.df.get(t)]
        by_rarity = sorted(known, key=lambda t: (self.df[t], t))
        telling = by_rarity[:PAIR_TERMS]
        queries = [(telling, 2)] if len(telling) >= 2 else []
        # Rare terms find the rest; a common one (华侨, 发展) would rank a large part of the archive
        # for every question. The scorer still weighs every term.
        common_from = max(self.n_facts * COMMON_SHARE, COMMON_MIN)
        rare = [t for t in by_rarity if self.df[t] <= common_from] or (by_rarity[:1] if not queries else [])
        if rare:
            queries.append((rare, 1))
        return queries
