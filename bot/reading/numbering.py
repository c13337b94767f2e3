"""Numbering of Chinese official documents: `第一部分` › `一、` › `（一）` › `1.`/`1、` › `（1）` as
headings that open a line, and the inline points `一是…二是…`, `第一，…第二，…`, `①…②…`."""

from __future__ import annotations

import re

CN_DIGITS = "零一二三四五六七八九十百"
CN_NUM = f"[{CN_DIGITS}]{{1,4}}"

# Structural markers open a paragraph (or, in a flattened text, follow a sentence end).
STRUCTURAL = [
    ("part", re.compile(rf"(?P<m>第(?P<n>{CN_NUM})(?:部分|章|节)[、，,：:　 ]*)")),
    ("cn", re.compile(rf"(?P<m>(?P<n>{CN_NUM})、)")),
    ("paren_cn", re.compile(rf"(?P<m>[（(](?P<n>{CN_NUM})[）)])")),
    ("arabic", re.compile(r"(?P<m>(?P<n>\d{1,2})[.、．](?!\d))")),
    ("paren_arabic", re.compile(r"(?P<m>[（(](?P<n>\d{1,2})[）)])")),
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
            return style, cn_to_int(m.group("n")), m.group("m")
    return None
