"""The matcher's word lists as data: units, titles, surnames (bot/lexicons/*.txt).

One item a line, `#` starts a comment; a list that is empty or holds an item with a space is
refused with its file and line. Part of the matching policy, shipped with the code, so every
knowledge folder gets them.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from .curated import KnowledgeError

LEXICONS = Path(__file__).resolve().parent / "lexicons"


def read_items(path: Path) -> list[str]:
    """The items of one list file, in order, without comments and blank lines."""
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(path, f"cannot be read ({exc})") from exc
    for n, raw in enumerate(lines, 1):
        item = raw.split("#", 1)[0].strip()
        if not item:
            continue
        if any(ch.isspace() for ch in item):
            raise KnowledgeError(path, f"holds {item!r}: one item a line, no spaces inside", n)
        items.append(item)
    if not items:
        raise KnowledgeError(path, "lists nothing")
    return items


@cache
def items(name: str) -> tuple[str, ...]:
    return tuple(read_items(LEXICONS / f"{name}.txt"))


def alternation(name: str) -> str:
    """A regex alternation of a list, longest first, so 万美元 is tried before 美元."""


    return "|".join(re.escape(i) for i in sorted(items(name), key=len, reverse=True))
