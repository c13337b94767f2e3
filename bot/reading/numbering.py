"""Numbering of Chinese official documents: `第一部分` › `一、` › `（一）` › `1.`/`1、` › `（1）` as
headings that open a line, and the inline points `一是…二是…`, `第一，…第二，…`, `①…②…`; and the
headings Word marks by style (标题 1, Heading 2) without any number, which reading a `.docx` leads with
a private-use character naming the level (`styled_marker`), shown as nothing."""

from __future__ import annotations

import re

CN_DIGITS = "零一二三四五六七八九十百"
CN_NUM = f"[{CN_DIGITS}]{{1,4}}"

# A Word heading without a number: U+E001 … U+E009 for levels 1–9, characters no report has.
STYLED_LEVELS = 9
_STYLED_BASE = 0xE000


def styled_marker(level: int) -> str:
    """The marker that leads a Word heading of `level` (1 = 标题 1) that has no number of its own."""
    return chr(_STYLED_BASE + min(max(level, 1), STYLED_LEVELS))


def styled_level(style: str) -> int | None:
    """The heading level of a styled marker's style ("styled2" → 2), else None."""
    return int(style[6:]) if style.startswith("styled") else None


STYLED = [(f"styled{k}", re.compile(f"(?P<m>{styled_marker(k)})(?P<n>)")) for k in range(1, STYLED_LEVELS + 1)]
# Structural markers open a paragraph (or, in a flattened text, follow a sentence end).
STRUCTURAL = [
    ("part", re.compile(rf"(?P<m>第(?P<n>{CN_NUM})(?:部分|章|节)[、，,：:　 ]*)")),
    ("cn", re.compile(rf"(?P<m>(?P<n>{CN_NUM})、)")),
    ("paren_cn", re.compile(rf"(?P<m>[（(](?P<n>{CN_NUM})[）)])")),
    ("arabic", re.compile(r"(?P<m>(?P<n>\d{1,2})[.、．](?!\d))")),
    ("paren_arabic", re.compile(r"(?P<m>[（(](?P<n>\d{1,2})[）)])")),
    *STYLED,
]
PAREN_CN = next(p for p in STRUCTURAL if p[0] == "paren_cn")
# Inline enumerations follow a sentence or clause end inside a paragraph.
INLINE = [
    ("shi", re.compile(rf"(?P<m>(?P<n>{CN_NUM})是)")),
    ("di", re.compile(rf"(?P<m>第(?P<n>{CN_NUM})[，,、])")),
    ("circled", re.compile(r"(?P<m>(?P<n>[①-⑳]))")),
]
HEADING_STYLES = {style for style, _ in STRUCTURAL}  # numbering that heads lines, not inline points


def cn_to_int(text: str) -> int:
    """一 → 1, 十二 → 12, 二十三 → 23, 一百零五 → 105; Arabic digits pass through."""
    if "①" <= text <= "⑳":  # before isdigit(), which they pass
        return ord(text) - ord("①") + 1
    if text.isdigit():
        return int(text)
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = digits[ch]
    return total + current


def match_marker(unit: str, patterns: list[tuple[str, re.Pattern[str]]]) -> tuple[str, int, str] | None:
    for style, pattern in patterns:
        m = pattern.match(unit)
        if m:
            return style, cn_to_int(m.group("n")) if m.group("n") else 0, m.group("m")
    return None
