"""Where a paragraph is cut into statements: after sentence and clause ends, never inside a URL, a
short quotation or a list a colon introduces; HTML-entity debris is repaired first."""

from __future__ import annotations

import bisect
import html
import re

from .numbering import CN_NUM

SENTENCE_END = "。！？!?"
CLAUSE_END = "；;"
CLOSERS = "”’」』）)"
# Where a numbered point follows (after a colon: 主要工作是：一是…).
MARKER_AHEAD = rf"[{CLOSERS}]?\s*(?:{CN_NUM}是|第{CN_NUM}[，,、]|[（(](?:{CN_NUM}|\d{{1,2}})[）)]|{CN_NUM}、|\d{{1,2}}[.、．](?!\d)|[①-⑳])"

# Where a statement ends: after a sentence or clause end, and after a colon only where numbered
# points follow (a lead-in such as 主要团组有：… stays with its items, 10:30 and http: are no end).
# Half-width ! and ? end nothing inside Latin text (a URL's ?id=3); ; ends a clause once entity
# debris (&#8226;, X8226;) is repaired.
_BOUNDARY = re.compile(rf"(?:(?<=[。！？；;])|(?<=[!?])(?![A-Za-z0-9/=&#])|(?<=[：:])(?={MARKER_AHEAD}))"
                       rf"[{CLOSERS}]?\s*")
_URL = re.compile(r"(?:https?://|www\.)[\x21-\x7e]+")
# A quotation whose closing mark comes soon is one thing said: not cut at a 。 or ； inside it.
_QUOTED = re.compile(r"[“〝「][^“”〝〞「」\n]{0,80}?[。！？；;][^“”〝〞「」\n]{0,80}?[”〞」]")
# A colon lead-in and the list it introduces, up to the sentence end, are one statement: each item
# keeps what it is (主要预期目标是：增长6%；新增就业1100万人。). Not when numbered points follow the colon.
_LISTED = re.compile(rf"[：:](?!{MARKER_AHEAD})[^。！？!?：:]{{1,200}}[。！？!?]")
# HTML entities, whole (&#8226; &nbsp;) or left without their & by a copy from a web page (X8226;).
_ENTITY = re.compile(r"&(?:#\d{2,6}|#x[0-9a-fA-F]{2,5}|[a-zA-Z]{2,8});|(?<![A-Za-z0-9])[Xx#]\d{4,5};")


def split_units(paragraph: str) -> list[str]:
    """Sentences, each also split on ；: the smallest statements that can answer a question. Never
    inside a URL, a short quotation or a colon-introduced list."""
    kept = _kept_spans(paragraph)
    starts = [a for a, _ in kept]
    units, start = [], 0
    for m in _BOUNDARY.finditer(paragraph):
        i = bisect.bisect_left(starts, m.start()) - 1  # the span starting last before the boundary
        if m.start() > start and not (i >= 0 and m.start() < kept[i][1]):
            units.append(paragraph[start:m.start()])
            start = m.end()
    units.append(paragraph[start:])
    return [u for u in units if u.strip()]


def _kept_spans(paragraph: str) -> list[tuple[int, int]]:
    """Disjoint, sorted spans no statement may end inside."""
    spans = sorted((m.start(), m.end()) for pattern in (_URL, _QUOTED, _LISTED) for m in pattern.finditer(paragraph))
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def repair_entities(text: str) -> str:
    """`&#8226;` and its debris `X8226;` → •, `&nbsp;` → a space: what a copy from a web page left."""
    def char(m: re.Match[str]) -> str:
        entity = m.group(0)
        if entity[0] in "Xx#":
            return chr(int(entity[1:-1]))
        plain = html.unescape(entity)
        return " " if plain == "\xa0" else plain
    return _ENTITY.sub(char, text)
