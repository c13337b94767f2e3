"""The reports' vocabulary: how much a word says, sound-alike typos, and full-text queries.

Built from the store's `vocab` table (every indexed term with the number of facts holding it and
its pinyin); used by the matcher on every question.
"""

from __future__ import annotations

import math
import sqlite3

from .analyzer import QUESTION_WORDS, Analyzer, char_pinyin

EVERYDAY_FREQ = 10000  # in jieba's dictionary (问题 55563, 解决 14468; 电话 8354, 出生 1979)
OOV_WEIGHT = 0.7  # of the largest IDF: a word the reports never use
FUNCTION_CHARS = frozenset("是的了在有和与及也都就还又被把对为给吗呢吧啊呀么")
COMMON_SHARE, COMMON_MIN = 0.005, 200  # a term in more facts than this does not pick candidates alone
PAIR_TERMS = 4  # statements holding two of the question's four rarest words are candidates first


class Vocabulary:
    """Document frequencies and pinyin of every term the reports use."""

    def __init__(self, db: sqlite3.Connection, analyzer: Analyzer, n_facts: int):
        self.analyzer = analyzer
        self.n_facts = n_facts
        self.df: dict[str, int] = dict(db.execute("select term, df from vocab"))
        self.by_pinyin: dict[str, list[str]] = {}
        for term, py in db.execute("select term, pinyin from vocab where pinyin is not null"):
            self.by_pinyin.setdefault(py, []).append(term)
        self.max_idf = math.log((n_facts + 1) / 0.5)

    def __contains__(self, term: str) -> bool:
        return term in self.df

    def weight(self, term: str) -> float:
        df = self.df.get(term)
        if df is None:
            # Not a word of the reports: a concept they do not contain, or a fragment of one of
            # their words. Single characters mean little; longer words weigh like rare ones.
            if len(term) == 1:
                return 0.3
            # 问题, 解决: too everyday to mean the question is about something the reports lack.
            everyday = self.analyzer.general_frequency(term) >= EVERYDAY_FREQ
            return self.max_idf * OOV_WEIGHT * (0.5 if everyday else 1.0)
        idf = math.log((self.n_facts + 1) / (df + 0.5))
        return max(idf, 0.2) * (0.5 if len(term) == 1 else 1.0)

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

    def fts_queries(self, terms: list[str]) -> list[tuple[str, int]]:
        """Full-text queries for candidates, best first, each with an estimate of how many statements
        it matches: statements holding two of the question's most telling words, then statements
        holding any of its rare words."""
        query_terms = set(terms)
        for t in terms:
            if t not in self.df and len(t) >= 2:
                query_terms.update(t[i : i + 2] for i in range(len(t) - 1))
        known = [t for t in query_terms if t.strip('"') and self.df.get(t)]
        by_rarity = sorted(known, key=lambda t: (self.df[t], t))
        telling = by_rarity[:PAIR_TERMS]
        pairs = [(a, b) for i, a in enumerate(telling) for b in telling[i + 1 :]]
        queries = []
        if pairs:
            queries.append((" OR ".join(f"({_quote(a)} AND {_quote(b)})" for a, b in pairs),
                            sum(min(self.df[a], self.df[b]) for a, b in pairs)))
        # Rare terms find the rest; a common one (华侨, 发展) would make the index rank a large part
        # of the archive for every question. The scorer still weighs every term.
        common_from = max(self.n_facts * COMMON_SHARE, COMMON_MIN)
        rare = [t for t in by_rarity if self.df[t] <= common_from] or (by_rarity[:1] if not pairs else [])
        if rare:
            queries.append((" OR ".join(map(_quote, rare)), sum(self.df[t] for t in rare)))
        return queries


def _quote(term: str) -> str:
    return '"' + term.replace('"', "") + '"'
