"""Text normalisation shared by the parser (building) and the matcher (asking).

Two forms of every text exist: the *display* form a user reads (correct modern Chinese with
full-width punctuation) and the *match* form both sides are compared in (NFKC, Simplified,
lower case, synonyms folded to one canonical word).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import opencc


def _t2s_table() -> dict[int, str]:
    """Traditional → Simplified, character by character, from OpenCC's own dictionary.

    Matching needs no phrase-level conversion, and str.translate runs at C speed: the whole
    archive is folded at build time (OpenCC's pure-Python converter was a fifth of the build)."""
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        trad, _, simp = line.partition("\t")
        if len(trad) == 1 and simp:
            table[ord(trad)] = simp.split()[0]
    return table


_T2S = _t2s_table()

CJK = r"\u3400-\u9fff"
# Half-width punctuation next to Chinese text is a conversion artifact; readers expect full width.
_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
_HALF_PUNCT_NEAR_CJK = re.compile(rf"(?<=[{CJK}“”）)])\s*([,;:?!])\s*|\s*([,;:?!])\s*(?=[{CJK}“（(])")
_PAREN_AROUND_CJK = re.compile(rf"\(([^()]*[{CJK}][^()]*)\)")
_SPACES = re.compile(r"[\s\u3000]+")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def strip_control(text: str) -> str:
    """Remove control, zero-width and bidi-override characters (they carry no meaning here)."""
    return _CONTROL.sub("", text)


def to_simplified(text: str) -> str:
    return text.translate(_T2S)


def fold(text: str) -> str:
    """The match form before synonyms: NFKC, Simplified, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", strip_control(text))
    text = to_simplified(text).lower()
    return _SPACES.sub(" ", text).strip()


def display_punctuation(text: str) -> str:
    """Full-width punctuation inside Chinese text; half-width stays inside Latin text and numbers."""
    text = _PAREN_AROUND_CJK.sub(r"（\1）", text)
    return _HALF_PUNCT_NEAR_CJK.sub(lambda m: _HALF_TO_FULL[m.group(1) or m.group(2)], text)


_QUOTE_ENDS = "”，。；：！？、,;:!?"
_OPENERS, _CLOSERS = "“〝", "”〞"
_QUOTE_MARKS = re.compile("[“〝”〞]")


def balance_quotes(text: str) -> str:
    """Repair quotes the seed left open; a quote that is closed (” or 〞) is left as it is.

    An opening quote followed by another opening before any closing is dropped when nothing stands
    between them (we cannot know where it ended); one left open closes before the next punctuation.
    """
    marks = [m.start() for m in _QUOTE_MARKS.finditer(text)]
    if not marks:  # most sentences: nothing to repair
        return text
    closed = {i: j for i, j in zip(marks, marks[1:], strict=False) if text[i] in _OPENERS and text[j] in _CLOSERS}
    opens = [i for i in marks if text[i] in _OPENERS and i not in closed]
    drop = {i for i, j in zip(opens, opens[1:], strict=False) if not any(c in _QUOTE_ENDS for c in text[i:j])}
    out: list[str] = []
    open_quote = ""  # the closing mark owed, if a quote is open
    i = 0
    while i < len(text):
        ch = text[i]
        if i in closed:  # balanced: copied as it stands
            out.append(text[i:closed[i] + 1])
            open_quote, i = "", closed[i] + 1
            continue
        if ch in _OPENERS and i not in drop:
            open_quote = _CLOSERS[_OPENERS.index(ch)]
        elif ch in _CLOSERS:
            open_quote = ""
        elif open_quote and ch in _QUOTE_ENDS[1:]:
            out.append(open_quote)
            open_quote = ""
        if i not in drop:
            out.append(ch)
        i += 1
    if open_quote:
        out.append(open_quote)
    return "".join(out)


class Replacer:
    """Longest-first replacement of many phrases in one pass (corrections, synonyms)."""

    def __init__(self, mapping: Mapping[str, str]):
        self.mapping = {k: v for k, v in mapping.items() if k and k != v}
        keys = sorted(self.mapping, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, keys))) if keys else None

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self.mapping[m.group(0)], text)

    def __bool__(self) -> bool:
        return self._pattern is not None


def synonym_map(groups: Iterable[tuple[str, Iterable[str]]]) -> dict[str, str]:
    """variant → canonical for every (canonical, variants) group, in match form."""
    mapping: dict[str, str] = {}
    for canonical, variants in groups:
        canon = fold(canonical)
        for variant in variants:
            mapping[fold(variant)] = canon
    return mapping


@lru_cache(maxsize=4096)
def _is_cjk_char(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


def cjk_count(text: str) -> int:
    return sum(1 for ch in text if _is_cjk_char(ch))
