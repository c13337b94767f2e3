"""Parse a report's text into a section tree and facts, repairing what conversion and chunking broke.

The numbering (`bot.reading.numbering`) makes the tree: levels nest in the order they first appear,
so a report that starts at `（一）` (the seed) has `（一）` as its top level; a heading that opens a
line may start at any number, restart or skip (the report's warnings say so). Statements are cut by
`bot.reading.sentences`; what stands around the text (front matter, signature) is set apart by
`bot.reading.frontmatter`. A section path is a tuple of ints; text before the first heading is (0,).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .normalize import Replacer, balance_quotes, display_punctuation, strip_control
from .reading.formats import read_report
from .reading.frontmatter import report_issuer, report_year, strip_surroundings, title_line
from .reading.numbering import HEADING_STYLES, INLINE, PAREN_CN, STRUCTURAL, match_marker, styled_level
from .reading.numbering import cn_to_int as cn_to_int  # where the matcher and the tests find it
from .reading.sentences import CLAUSE_END, CLOSERS, SENTENCE_END, repair_entities, split_units

_FOOTER = r"第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?"
_LICENCE_START = re.compile(r"^(本作品(?:是|在|来自)|注：中文维基文库|Public domain$|This work)", re.M)
_FULLWIDTH_ALNUM = re.compile(r"[０-９Ａ-Ｚａ-ｚ．％]")
# The longest statement in the reports is 360 characters; a longer one (a text without sentence
# ends) would make one huge fact, a huge answer and a slow, memory-hungry build.
MAX_FACT_CHARS = 500
# How much longer than its corrected statement an original may be (corrections delete words).
JOIN_SLACK = 200
# Titles run long: 温州市鹿城区归国华侨联合会2023年工作总结及2024年工作思路 is 32 characters.
TITLE_CHARS = 50
UNMARKED = "unmarked "  # the style of a heading without a marker, before the style of the points it follows


@dataclass
class Section:
    doc: str
    path: tuple[int, ...]
    marker: str  # "（一）", "一是", "" for the preamble
    title: str  # heading text after the marker, display form
    parent_label: str = ""
    body: list[str] = field(default_factory=list)  # display sentences, heading excluded
    openings: list[str] = field(default_factory=list)  # the first sentence of each paragraph: its topic
    sentence: str = ""  # a heading written as a whole sentence (1.走访归侨侨眷386户。): a statement if nothing follows

    @property
    def heading(self) -> str:
        if self.path == (0,):
            return "前言"
        space = " " if self.marker.endswith(("部分", "章", "节")) and self.title else ""  # 第一部分 2023年工作回顾
        return f"{self.marker}{space}{self.title}"

    @property
    def label(self) -> str:
        return f"{self.parent_label} › {self.heading}" if self.parent_label else self.heading


@dataclass
class Fact:
    doc: str
    path: tuple[int, ...]
    seq: int
    text: str  # corrected, display form
    original: str  # as the report has it (after structural repair), for quoting


@dataclass
class ParsedReport:
    doc: str
    title: str
    sections: list[Section]
    facts: list[Fact]
    chars: int
    encoding: str = "utf-8"  # how the file stored its text: utf-8, utf-16, gb18030, big5, docx, pdf
    year: int | None = None  # the year the report is about, where it says
    issuer: str = ""  # the office that issued it (某市侨办, 某区侨联), where it says
    warnings: list[str] = field(default_factory=list)  # what an admin should check in the outline


def strip_licence(text: str) -> str:
    """Cut a trailing licence notice (Wikisource) that is not content; only in the last fifth."""
    for m in _LICENCE_START.finditer(text):
        if m.start() > len(text) * 0.8:
            return text[: m.start()]
    return text


def join_chunks(text: str) -> str:
    """Undo chunking: lines led by consecutive `1、` `2、` … that break mid-word are one text."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    numbered = [re.match(r"^\s*(\d{1,3})、", ln) for ln in lines]
    if len(lines) < 2 or not all(numbered):
        return text
    numbers = [int(m.group(1)) for m in numbered]  # type: ignore[union-attr]
    broken = sum(1 for ln in lines[:-1] if ln.rstrip()[-1:] not in SENTENCE_END + CLOSERS)
    if numbers != list(range(numbers[0], numbers[0] + len(numbers))) or broken < (len(lines) - 1) / 2:
        return text
    return "".join(ln[m.end():].rstrip("\n") for ln, m in zip(lines, numbered, strict=True))  # type: ignore[union-attr]


def remove_footers(text: str, title: str) -> str:
    """Page footers/headers (`侨务系统年终工作总结第2页`, `第7页 共7页`), also mid-sentence."""
    prefix = f"(?:{re.escape(title)}\\s*)?" if title else ""
    return re.sub(rf"\s*{prefix}{_FOOTER}\s*", "", text)


def paragraphs(text: str) -> list[str]:
    """Paragraphs: blank lines separate; a line not ending a sentence continues (Wikisource breaks)."""
    paras: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip(" \t\u3000\xa0")
        if not line:
            if current:
                paras.append(current)
            current = ""
            continue
        starts_block = any(p.match(line) for _, p in STRUCTURAL) or raw[:1] in "\u3000\t "
        if current and (current[-1] in SENTENCE_END + "：:" + CLOSERS or starts_block or _heading_line(current)):
            paras.append(current)
            current = line
        else:
            current += line
    if current:
        paras.append(current)
    return paras


def _heading_line(text: str) -> bool:
    """A short numbered line without a sentence end is a heading standing on its own line."""
    return len(text) <= 40 and not re.search(r"[。！？；]", text) and any(p.match(text) for _, p in STRUCTURAL)


def _display(text: str) -> str:
    text = _FULLWIDTH_ALNUM.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)
    return balance_quotes(display_punctuation(text.strip()))


def find_title(doc: str, first_para: str) -> tuple[str, str]:
    """(title, rest of the first paragraph): a short first line/phrase is the title, else the stem."""
    if any(p.match(first_para) for _, p in STRUCTURAL):
        return doc, first_para  # the report opens with its first heading: no title line
    head, _, rest = first_para.partition(" ")
    if 2 <= len(head) <= 30 and not re.search(r"[，。：；,:;！？!?、]", head):
        return head, rest.strip()
    if 2 <= len(first_para) <= TITLE_CHARS and not re.search(r"[。：:；;，,！!？?]", first_para[-1:]):
        return first_para, ""
    return doc, first_para


class _Tree:
    """Builds sections while markers are met in order; tracks the numbering stack."""

    def __init__(self, doc: str):
        self.doc = doc
        self.root = Section(doc, (0,), "", "")
        self.sections = [self.root]
        self.stack: list[tuple[str, int, Section]] = []
        self.current = self.root
        self.facts: list[Fact] = []
        self.paragraph_starts = True  # the next sentence opens a paragraph (or follows a heading)
        self.last_child: dict[tuple[int, ...], int] = {}  # the highest path number used under each parent
        self.restarted: set[str] = set()  # styles whose numbering began again
        self.warnings: list[str] = []

    def accepts(self, style: str, number: int, line_start: bool = False) -> bool:
        """The next number of a sequence, or the first of a new one. A heading that opens a line may
        also start a report at any number (七、, a forwarded part), restart right after a heading of
        its own style that has said nothing yet (一、2023年工作总结 then 一、固本强基…), skip a
        number or two at the top level, or go back after such a restart; below the top level it may
        go back at any time (5. then 2.: a new list under a later heading that has no marker); the
        build warns of each."""
        if styled_level(style):  # a Word heading style: no number to follow, always a heading
            return line_start
        current = next(((n, sec) for s, n, sec in self.stack if s == style), None)
        if current is None:
            under_unmarked = bool(self.stack) and self.stack[-1][0].startswith(UNMARKED) and not self.current.body
            return number == 1 or (line_start and (not self.stack or under_unmarked) and style in HEADING_STYLES)
        n, section = current
        if number == n + 1:
            return True
        if not line_start or style not in HEADING_STYLES:
            return False
        top = self.stack[0][0] == style
        if number > n + 1:
            return top and number <= n + 3
        if not top:  # a new list under a later heading that has no marker of its own (5. then 1. or 2.)
            return True
        if number == 1:
            return self.current is section and not section.body
        return style in self.restarted

    def _numbering_warning(self, style: str, number: int, marker: str) -> None:
        if styled_level(style):
            return
        previous = next((n for s, n, _ in self.stack if s == style), None)
        if previous is None and number != 1:
            self.warnings.append(f"numbering starts at {marker}")
        elif previous is not None and number == 1:
            self.warnings.append(f"numbering restarts at {marker}")
            self.restarted.add(style)
        elif previous is not None and number > previous + 1:
            self.warnings.append(f"numbering skips to {marker} after {previous}")
        elif previous is not None and number <= previous:
            self.warnings.append(f"numbering goes back to {marker} after {previous}")

    def open(self, style: str, number: int, marker: str, title: str) -> None:
        self._numbering_warning(style, number, _display(marker))
        depth = self._depth(style)
        del self.stack[depth:]
        parent = self.stack[-1][2] if self.stack else None
        parent_path = parent.path if parent else ()
        # A restarted sequence goes on after its siblings: every path names one section.
        number_in_path = max(number, self.last_child.get(parent_path, 0) + 1)
        self.last_child[parent_path] = number_in_path
        path = parent_path + (number_in_path,)
        section = Section(self.doc, path, "" if styled_level(style) else _display(marker),
                          _display(title).rstrip("。；;，,"),
                          parent.label if parent else "")
        if re.search(r"[。！？!?]$", title.strip()):
            section.sentence = _display(title)
        self.stack.append((style, number, section))
        self.sections.append(section)
        self.current = section
        self.paragraph_starts = True

    def _depth(self, style: str) -> int:
        """Where a heading of `style` goes in the stack: in place of its own style, or deeper. A Word
        heading level also takes the place of a deeper Word level (a 标题 1 after a 标题 2 that opened
        the report is not under it)."""
        level = styled_level(style)
        for i, (s, _, _) in enumerate(self.stack):
            if s in (style, style.removeprefix(UNMARKED)) or (level and (styled_level(s) or 0) >= level):
                return i
        return len(self.stack)

    def unmarked_heading(self, line: str, following: str) -> bool:
        """A short line without a sentence end, between points and a list whose numbering goes back
        (5.… 保障措施 1.…): a heading without a marker, in the place of the points it follows, with
        the new list under it (a list glued into point 5 could not answer for what it is)."""
        hit = match_marker(following, STRUCTURAL)
        if (len(line) > 20 or re.search(r"[。！？；;，,：:!?]", line) or match_marker(line, STRUCTURAL + INLINE)
                or not hit or hit[0] not in HEADING_STYLES):
            return False
        current = next((n for s, n, _ in self.stack[1:] if s == hit[0]), None)
        return current is not None and hit[1] <= current

    def open_unmarked(self, title: str, style: str) -> None:
        self.warnings.append(f"a heading without a marker: {title}")
        self.open(UNMARKED + style, 1, "", title)

    def add_sentence(self, original: str, corrected: str) -> None:
        corrected = corrected.lstrip("•●▪·")  # a list bullet (often &#8226; debris) is no part of it
        if not re.search(r"[\w\u3400-\u9fff]", corrected):
            return
        if len(corrected) > MAX_FACT_CHARS:  # a text without sentence ends: answer in pieces
            for piece in _pieces(corrected):
                self.add_sentence(piece, piece)
            return
        text = _display(corrected)
        self.current.body.append(text)
        if self.paragraph_starts:
            self.current.openings.append(text)
            self.paragraph_starts = False
        self.facts.append(Fact(self.doc, self.current.path, len(self.facts), text, original.strip()))

    def keep_sentence_headings(self) -> None:
        """A point written as one sentence with nothing under it says something: its sentence is
        its statement, or what it says could never answer."""
        parents = {s.path[:-1] for s in self.sections}
        for section in self.sections[1:]:
            if section.sentence and not section.body and section.path not in parents:
                self.current, self.paragraph_starts = section, True
                self.add_sentence(section.sentence, section.sentence)


def _pieces(text: str) -> list[str]:
    """An overlong statement cut after the last comma or space before MAX_FACT_CHARS, else hard."""
    pieces, start = [], 0
    while len(text) - start > MAX_FACT_CHARS:  # offsets, not slices of the rest: linear in the length
        end = start + MAX_FACT_CHARS
        cut = max(text.rfind(c, start + MAX_FACT_CHARS // 2, end) for c in "，,、； ") + 1 or end
        pieces.append(text[start:cut])
        start = cut
    return [*pieces, text[start:]]


def _heading_split(body: str) -> tuple[str, str]:
    """A heading's title runs to its first 。 (gov headings run straight into their body)."""
    m = re.search(r"[。！？!?]", body)
    if m and m.start() <= 80:
        return body[: m.start() + 1], body[m.end():]
    if not m and len(body) <= 80:
        return body, ""
    cut = re.search(r"[，,；;：:]", body)
    if cut and cut.start() <= 80:
        return body[: cut.start()], body[cut.start():]
    return body[:80], body[80:]


def _feed_units(tree: _Tree, units: list[tuple[str, str]]) -> None:
    for original, corrected in units:
        tree.add_sentence(original, corrected)


def _paired_units(original: str, replace: Replacer) -> list[tuple[str, str]]:
    """(original, corrected) per unit. A correction may join units (创业中华。创新江苏 → ·), so
    original units are merged until their correction equals the corrected unit."""
    old = split_units(original)
    pairs, j = [], 0
    for unit in split_units(replace(original)):
        acc, k, target = "", j, _squash(unit)
        # Only as much original as could correct to this unit: a correction that cuts a long unit
        # into many (adds sentence ends) would otherwise retry the whole rest of the paragraph for
        # every piece, quadratic in the paragraph's length.
        while k < len(old) and len(acc) + len(old[k]) <= 2 * len(unit) + JOIN_SLACK:
            acc += old[k]
            k += 1
            if _squash(replace(acc)) == target:
                pairs.append((acc, unit))
                j = k
                break
        else:
            pairs.append((unit, unit))
    return pairs


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _feed_paragraph(tree: _Tree, original: str, replace: Replacer) -> None:
    tree.paragraph_starts = True
    units = _paired_units(original, replace)
    for i, (orig, unit) in enumerate(units):
        # A flattened text (the seed) carries （一） after a sentence end, not at a line start.
        patterns = STRUCTURAL + INLINE if i == 0 else [PAREN_CN] + INLINE
        hit = match_marker(unit, patterns)
        if hit and tree.accepts(hit[0], hit[1], line_start=i == 0):
            style, number, marker = hit
            title, rest = _heading_split(unit[len(marker):])
            alone = not rest.strip() and (i + 1 == len(units) or match_marker(units[i + 1][1], STRUCTURAL + INLINE))
            point = _is_point(style, title, bool(alone))
            tree.open(style, number, marker, _first_clause(title) if point and len(title) > 30 else title)
            if point:  # a point written as a paragraph: its first sentence is a statement too
                orig_title = _heading_split(orig[len(marker):])[0] if orig.startswith(marker) else title
                tree.add_sentence(orig_title, title)
            orig_rest = _heading_split(orig[len(marker):])[1] if orig.startswith(marker) else rest
            _feed_units(tree, _paired_units(orig_rest, replace) if _squash(replace(orig_rest)) == _squash(rest)
                        else [(u, u) for u in split_units(rest)])
        else:
            tree.add_sentence(orig, unit)


def _is_point(style: str, title: str, alone: bool) -> bool:
    """A numbered sentence that says something (一是加强宣传，新建宣传栏六处。; ①编印杂志四期；) rather
    than names a part (一是搭建平台招才引智。 followed by its body; 1.外事接待 on its own line; a
    heading of a report's parts, （一）发挥侨务优势，服务发展大局的能力得到新提高。). `alone`: no body
    follows it in its paragraph."""
    if len(title) > 40:
        return True
    if style not in ("shi", "di", "circled"):
        return False
    ends = title.rstrip(CLOSERS)[-1:] in SENTENCE_END + CLAUSE_END
    return (len(title) > 20 and bool(re.search(r"[，,]", title))) or (ends and alone)


def _first_clause(title: str) -> str:
    """A point's title: its first clause, or its first 30 characters."""
    m = re.search(r"[，,；;：:。！？!?]", title)
    return title[: m.start()] if m and m.start() >= 2 else title[:30]


def parse_text(doc: str, text: str, corrections: dict[str, str] | None = None) -> ParsedReport:
    """Parse one report's text (already decoded) into sections and facts."""
    text = strip_licence(strip_control(repair_entities(text.replace("\r\n", "\n").replace("\r", "\n"))))
    around = strip_surroundings(join_chunks(text))
    text = join_listed_items(title_line(around.text))
    paras = paragraphs(text)
    title, first_rest = find_title(doc, paras[0]) if paras else (doc, "")
    if paras:
        paras = ([first_rest] if first_rest else []) + paras[1:]
    flat = [remove_footers(p, title) for p in paras]
    tree = _Tree(doc)
    replace = Replacer(corrections or {})
    for k, para in enumerate(flat):
        following = flat[k + 1].strip() if k + 1 < len(flat) else ""
        if tree.unmarked_heading(para.strip(), following):
            tree.open_unmarked(_display(para), match_marker(following, STRUCTURAL)[0])  # type: ignore[index]
        elif para.strip() and para.strip() not in {"false", "true"}:
            _feed_paragraph(tree, para, replace)
    tree.keep_sentence_headings()
    warnings = [f"dropped as front matter: {line[:60]}" for line in around.dropped] + tree.warnings
    with_facts = {f.path for f in tree.facts}
    parents = {s.path[:-1] for s in tree.sections}
    warnings += [f"{s.heading[:40]} has no statements" for s in tree.sections[1:]
                 if s.path not in with_facts and s.path not in parents]
    return ParsedReport(doc, title, tree.sections, tree.facts, len(text), year=report_year(title, flat[0] if flat else "", around.signature),
                        issuer=report_issuer(title, around.dropped + around.signature), warnings=warnings)


_LIST_ITEM = re.compile(r"^\s*(?:\d{1,2}[.、．](?!\d)|[（(]\d{1,2}[）)]|[①-⑳]|[-•·●▪]\s*)")


def join_listed_items(text: str) -> str:
    """A lead-in ending in a colon and the short items listed under it, one per line (主要团组有：
    1.赴泰国侨团访问团 2.…), are one statement: the items keep what they are."""
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        out.append(lines[i])
        items, j = [], i + 1
        if lines[i].rstrip().endswith(("：", ":")):
            while j < len(lines) and (m := _LIST_ITEM.match(lines[j])) and _short_item(lines[j][m.end():]):
                items.append(lines[j][m.end():].strip().rstrip("。；;，,、"))
                j += 1
        if len(items) >= 2:
            out[-1] = lines[i].rstrip() + "、".join(items) + "。"
            i = j
        else:
            i += 1
    return "\n".join(out)


def _short_item(item: str) -> bool:
    item = item.strip()
    return 0 < len(item) <= 50 and not re.search(r"[。！？]", item[:-1])


def parse_file(path: Path, corrections: dict[str, str] | None = None) -> ParsedReport:
    """Read a report file of any format (see `bot.reading.formats`) and parse it; its id is the stem."""
    read = read_report(path)
    report = parse_text(path.stem, read.text, corrections)
    report.encoding = read.encoding
    return report
