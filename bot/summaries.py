"""Summaries at the level asked: 整体情况/概括一下/总体讲了什么 → the report's outline (its top-level
parts); 第三部分讲了什么 / （三）讲了什么 / a heading's words with 这部分/讲了什么 → that part;
有哪几个方面 (of the report or of a part) → its points' titles.

`summary_answer` is asked early by `Engine.ask`; it answers only a question that asks for a summary
and names nothing else (no figure, no subject outside the headings), so every other question goes on
to the statements.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import reply
from .answer import Answer
from .reading.numbering import cn_to_int

if TYPE_CHECKING:
    from .matcher import Engine, SectionRow

# The whole report: 整体情况, 概括一下, 总体讲了什么, 主要内容, 有哪几个部分.
WHOLE = re.compile(r"整体|总体|总的|概括|概述|概要|大概|大致|梗概|简要|全文|通篇|主要内容|主要讲|大纲|提纲|目录|"
                   r"哪几个?部分|几个部分|分几部分")
# A part by its number: 第三部分, 第三章, (三), 三、 (in match form: brackets are half-width).
PART = re.compile(r"第(?P<a>[一二三四五六七八九十\d]{1,3})(?P<unit>部分|章|节|块|大块|方面)|\((?P<b>[一二三四五六七八九十\d]{1,3})\)|"
                  r"^(?P<c>[一二三四五六七八九十]{1,3})、")
# Its points: 有哪几个方面, 有哪些方面, 分哪几点, 包括哪几块.
ASPECTS = re.compile(r"哪(?:几|些)(?:个)?(?:方面|点|块|项|条)|几个方面|几方面|几点")
# What asks for a summary at all; without one of these a heading's words go to the statements.
ASKS = re.compile(r"讲了?(?:些)?(?:什么|啥)|说了?(?:些)?(?:什么|啥)|写了?(?:些)?(?:什么|啥)|的?内容|这(?:一)?部分|"
                  r"那(?:一)?部分|情况|介绍|怎么样|如何|呢$")
# What asks about a part named by its heading's words (联谊这部分讲了什么, 请进来联谊都有哪些内容).
PART_WORDS = re.compile(r"部分|讲了?(?:些)?(?:什么|啥)|说了?(?:些)?(?:什么|啥)|内容")
# Words that only say "summary" or "the report" and name nothing.
GENERIC = frozenset("报告 总结 工作总结 文件 材料 内容 部分 这份 这个 本 一下 概括 概述 简要 介绍 整体 总体 主要 大概 大致 "
                    "情况 讲 说 写 方面 几个 哪几 哪些 包括 分为 分 一共 共 有 都 呢 目录 提纲 大纲 全文".split())
MAX_REPORTS = 5  # reports listed when several are stored and the question names none
HEADING_REPORTS = 20  # reports whose headings a question may name without naming its report


def summary_answer(engine: Engine, question: str, match: str) -> Answer | None:
    """The outline, a part, or a part's points, when the question asks for that; else None."""
    bare = re.sub(r"[\s，,。.！!？?~～…：:]+", "", match)
    part, whole, aspects = PART.search(bare), WHOLE.search(bare), ASPECTS.search(bare)
    names_a_part = PART_WORDS.search(bare)
    if not (part or whole or aspects or names_a_part):  # most questions: nothing to look up
        return None
    rest = bare
    for found in (part, whole, aspects, *ASKS.finditer(bare)):
        if found:
            rest = rest.replace(found.group(0), " ")
    docs, rest_terms = _named_reports(engine, rest)
    if part:
        doc = docs[0] if len(docs) == 1 else None
        section = _numbered(engine, doc, part) if doc and not rest_terms else None
    elif rest_terms:
        # Headings are looked through in a few reports; in a large archive the statements decide
        # (a look through every heading would cost more than answering).
        if len(docs) > HEADING_REPORTS or not (aspects or names_a_part):
            return None
        section = _named_heading(engine, docs, rest, bool(aspects))
        if section is None:
            return None
    elif whole or aspects:
        if len(docs) != 1:
            return _reports_outline(engine, question, docs)
        return _points(engine, question, docs[0], ())
    else:
        return None
    if section is None:
        return None
    if aspects:
        return _points(engine, question, section.doc, section.path)
    return engine.show_section(section.doc, section.path, question)


def _named_reports(engine: Engine, rest: str) -> tuple[list[str], list[str]]:
    """(reports the question names, or all of them; the telling words it has besides)."""
    terms = [t for t in engine.analyzer.terms(rest) if t not in GENERIC and len(t.strip()) and not t.isdigit()]
    named = [d for d, subject in engine.doc_match.items() if terms and any(t in subject for t in terms)]
    if named:
        subject_words = {t for t in terms if any(t in engine.doc_match[d] for d in named)}
        return named, [t for t in terms if t not in subject_words]
    return list(engine.documents), terms


def _numbered(engine: Engine, doc: str, part: re.Match[str]) -> SectionRow | None:
    """第三部分 → the part numbered three at the top (else the third one); （三） → the one section
    marked （三）, else the top-level part three."""
    number = cn_to_int(part.group("a") or part.group("b") or part.group("c"))
    top = engine.children.get((doc, ()), [])
    if part.group("b"):
        marked = [s for s in _sections_of(engine, doc) if s.heading.startswith(f"（{_cn(number)}）")]
        if len(marked) == 1:
            return marked[0]
    by_number = engine.sections.get((doc, (number,)))
    return by_number or (top[number - 1] if 0 < number <= len(top) else None)


def _sections_of(engine: Engine, doc: str) -> list[SectionRow]:
    """One report's sections below its preamble, parts before their points (only its own: an
    archive of thousands is not looked through)."""
    out, level = [], engine.children.get((doc, ()), [])
    while level:
        out += level
        level = [c for s in level for c in engine.children.get((doc, s.path), [])]
    return out


def _cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return f"{digits[tens] if tens > 1 else ''}十{digits[ones] if ones else ''}"


def _named_heading(engine: Engine, docs: list[str], rest: str, aspects: bool) -> SectionRow | None:
    """The section whose heading holds every telling word left of the question (联谊这部分讲了什么);
    for 有哪几个方面 one with points first; the shallower, then the newer report's, then the shorter
    heading of two; None when no heading holds them all (the statements decide then)."""
    terms = [t for t in engine.analyzer.terms(rest) if t not in GENERIC]
    if not terms:
        return None
    holding = [s for doc in docs for s in _sections_of(engine, doc) if all(t in s.match_text for t in terms)]
    if not holding:
        return None
    return min(holding, key=lambda s: (aspects and (s.doc, s.path) not in engine.children, len(s.path),
                                       -engine.doc_year.get(s.doc, 0), len(s.heading)))


def _points(engine: Engine, question: str, doc: str, path: tuple[int, ...]) -> Answer:
    """The titles of a report's parts (path ()) or of a part's points; a point without points shows
    its statements."""
    children = engine.children.get((doc, path), [])
    if not children:
        return engine.show_section(doc, path, question)
    ref = engine.reference(doc, path)
    heading = engine.sections[(doc, path)].heading if path else engine.documents.get(doc, doc)
    lines: list[tuple[str | None, str]] = [(c.heading, "") for c in children]
    return Answer(question, True, reply.section_text(heading, lines, ref), [ref], 1.0, [],
                  [c.heading for c in children])


def _reports_outline(engine: Engine, question: str, docs: list[str]) -> Answer:
    """Several reports and the question names none: each report's title with its parts."""
    rows, refs = [], []
    for doc in sorted(docs, key=lambda d: -engine.doc_year.get(d, 0))[:MAX_REPORTS]:
        ref = engine.reference(doc, ())
        refs.append(ref)
        parts = "；".join(c.heading for c in engine.children.get((doc, ()), []))
        rows.append(f"《{engine.documents.get(doc, doc)}》" + (f"：{parts}" if parts else ""))
    text = "\n".join(f"• {r}" for r in rows) + "\n\n请说明想了解哪一份报告的哪一部分。"
    return Answer(question, True, text, refs, 1.0, [], rows)
