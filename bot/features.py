"""What a fact can answer: figures, dates, people, places — found by patterns, cheaply at build."""

from __future__ import annotations

import re
from functools import lru_cache

from . import lexicon

CN = "零一二三四五六七八九十百千两"
UNITS = lexicon.alternation("units")
NUMBER = re.compile(
    rf"(?:近|约|超过|逾)?(?:\d+(?:\.\d+)?|[{CN}]+)(?:多|余)?(?:{UNITS})(?:多|余)?(?:[（(][^）)]{{1,3}}[）)])?"
)
ORDINAL = re.compile(rf"第[\d{CN}]+(?:次|届|批|部|个|名|位|期)?")
DATE = re.compile(
    rf"(?:\d{{4}}|[{CN}〇]{{4}})年(?:\d{{1,2}}月)?|\d{{1,2}}月(?:\d{{1,2}}[日号])?|[{CN}]{{1,3}}月(?:[{CN}]{{1,3}}[日号])?"
    r"|年初|年中|年底|年末|上半年|下半年|春节|清明|中秋|国庆|元旦|去年|今年|明年"
)
TITLES = lexicon.alternation("titles")
SURNAMES = "".join(lexicon.items("surnames"))
# A name is a surname and one or two characters; a third is dropped when it is a common verb/particle.
NOT_NAME_END = set("举办参到带出任向捐荣获等为同亲率在对与和及的是也专讲赴来去主")
PERSON = re.compile(rf"(?:{TITLES})([{SURNAMES}][\u4e00-\u9fff]{{1,2}})")
TITLE_CHARS = 16  # of titles kept before a name
TITLE_END = re.compile(rf"(?:{TITLES}|常委|委员)$")
PERSON_SUFFIX = re.compile(r"([\u4e00-\u9fff]{2,3})(?:同志|先生|女士|老师)")
PLACE = re.compile(r"[\u4e00-\u9fff]{1,6}(?:省|市|区|县|镇|乡|村|街道|大学|公园|广场|中心|国|州)(?![\u4e00-\u9fff]{0,1}长)")


@lru_cache(maxsize=8)
def _alternation(words: frozenset[str]) -> re.Pattern[str] | None:
    """One pattern for a whole word list: a fact is searched once, not once per word."""
    return re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True)))) if words else None


def _known_in(text: str, words: frozenset[str]) -> list[str]:
    pattern = _alternation(words)
    return pattern.findall(text) if pattern else []


def numbers(text: str) -> list[str]:
    found = [m.group(0) for m in NUMBER.finditer(text)]
    return [n for n in found if not re.fullmatch(rf"[{CN}](?:个|次|人|项|国|省|市|县|年)", n)]


def dates(text: str) -> list[str]:
    return [m.group(0) for m in DATE.finditer(text) if not m.group(0).startswith("xx")]


def _trim_name(name: str) -> str:
    return name[:2] if len(name) == 3 and name[2] in NOT_NAME_END else name


def people(text: str, known: frozenset[str] = frozenset()) -> list[str]:
    names = [_trim_name(m.group(1)) for m in PERSON.finditer(text)]
    names += [m.group(1) for m in PERSON_SUFFIX.finditer(text)]
    names += _known_in(text, known)
    return list(dict.fromkeys(names))


def people_with_titles(text: str, names: list[str]) -> list[str]:
    """Each name with the titles written before it in its clause (市委常委、统战部部长周向群)."""
    out = []
    for name in names:
        spots = [m.start() for m in re.finditer(re.escape(name), text)]
        at = next((i for i in spots if TITLE_END.search(text[:i])), spots[0] if spots else 0)
        clause = re.split(r"[，,。；;：:（(“]", text[:at])[-1]
        clause = re.split(r"协助|邀请|陪同|指导|组织|接待|走访|约见|带领|由|向|为|对|与|和|及|请", clause)[-1]
        kept: list[str] = []  # 市委常委、统战部部长: every title in the list, not the names before them
        for part in reversed(clause.split("、")):
            if kept and not TITLE_END.search(part):
                break
            kept.insert(0, part)
        out.append("、".join(kept)[-TITLE_CHARS:] + name)
    return out


def places(text: str, known: frozenset[str] = frozenset()) -> list[str]:
    return list(dict.fromkeys([m.group(0) for m in PLACE.finditer(text)] + _known_in(text, known)))


def extract(text: str, known_people: frozenset[str] = frozenset(),
            known_places: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """All features of one fact's display text."""
    return {
        "numbers": numbers(text) + [m.group(0) for m in ORDINAL.finditer(text)],
        "dates": dates(text),
        "people": (found := people(text, known_people)),
        "titled_people": people_with_titles(text, found),
        "places": places(text, known_places),
    }
