"""A report file → its text, whatever the format: `.txt`/`.md` (UTF-8, UTF-16 with its mark,
GB18030/GBK as Chinese Excel and WPS save, or Big5), Word `.docx` (python-docx) and `.pdf` with a text layer
(pdfminer.six). Word and PDF come out as paragraphs separated by blank lines; tables become one
statement per row that keeps the header row (`项目：引进外资，金额：35亿美元。`).

A file that cannot be read (an old `.doc`, a scan without text, a password, damage) is a
KnowledgeError that names it and says what to send instead.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import statistics
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..curated import KnowledgeError, decode_text
from .numbering import INLINE, STRUCTURAL, match_marker, styled_marker

TEXT_SUFFIXES = (".txt", ".md")
REPORT_SUFFIXES = (*TEXT_SUFFIXES, ".docx", ".pdf")
# Formats people send that no library here reads: found by the scan so the build can say what to do.
REFUSED_SUFFIXES = {
    ".doc": "is an old Word .doc file; open it in Word or WPS, 另存为 .docx and put that in its place",
    ".wps": "is a WPS .wps file; open it in WPS, 另存为 .docx and put that in its place",
    ".rtf": "is an RTF file; open it in Word or WPS, 另存为 .docx and put that in its place",
}
SEND_INSTEAD = "send it as .docx (另存为 .docx) or as a PDF with text (exported from Word or WPS, not scanned)"
# pdfminer warns of font details (a missing FontBBox) that say nothing to an admin.
logging.getLogger("pdfminer").setLevel(logging.ERROR)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Office files, and password-protected new ones
_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_SPACE_IN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t\xa0]+(?=[{_CJK}])")
_UNMAPPED = re.compile(r"\(cid:\d+\)")
_PAGE_COUNTER = re.compile(r"^[-—–\s]*(?:第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+|\d{1,4}|"
                           r"[Pp]age\s*\d+(?:\s*of\s*\d+)?)[-—–\s]*$")


@dataclass(frozen=True)
class ReportText:
    text: str
    encoding: str  # how the text was stored: utf-8, utf-16, gb18030, big5, docx, pdf


def is_report(name: str) -> bool:
    return name.lower().endswith(REPORT_SUFFIXES + tuple(REFUSED_SUFFIXES))


def check_report(path: Path, data: bytes) -> None:
    """The cheap check the scan makes of every report on every start: text is decoded in full,
    Word and PDF only recognised (they are read when the store is built)."""
    suffix = path.suffix.lower()
    if suffix in REFUSED_SUFFIXES:
        raise KnowledgeError(path, REFUSED_SUFFIXES[suffix])
    if suffix == ".docx":
        _refuse_non_docx(path, data)
    elif suffix == ".pdf":
        if b"%PDF-" not in data[:1024]:
            raise KnowledgeError(path, f"is not a PDF file (it does not start like one); {SEND_INSTEAD}")
    else:
        decode_report(path, data)


def read_report(path: Path, data: bytes | None = None) -> ReportText:
    """The text of one report file, or a KnowledgeError saying why it cannot be read."""
    data = path.read_bytes() if data is None else data
    check_report(path, data)
    suffix = path.suffix.lower()
    if suffix == ".docx":
        text, encoding = docx_text(path, data), "docx"
    elif suffix == ".pdf":
        text, encoding = pdf_text(path, data), "pdf"
    else:
        text, encoding = decode_report(path, data)
        if suffix == ".md":
            text = markdown_text(text)
    if not text.strip():
        raise KnowledgeError(path, "has no text; put the report's text in it or remove it")
    return ReportText(text, encoding)


def decode_report(path: Path, data: bytes) -> tuple[str, str]:
    """(text, encoding) of a text report: UTF-8, UTF-16 with its byte-order mark (Notepad's
    "Unicode"), GB18030 (which includes GBK and GB2312) or Big5; else a KnowledgeError with the line."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise KnowledgeError(path, "is damaged UTF-16 text; re-save it as UTF-8") from exc
    elif b"\x00" in data[:8192]:
        raise KnowledgeError(path, "looks like a binary file, not a text report; remove it or save it as UTF-8 text")
    else:
        text, encoding = decode_text(path, data, "; re-save it as UTF-8")
    if not text.strip():
        raise KnowledgeError(path, "is empty; put the report's text in it or remove it")
    return text, encoding


# ---- Word ---------------------------------------------------------------------------------------


def _refuse_non_docx(path: Path, data: bytes) -> None:
    if data.startswith(_OLE):
        raise KnowledgeError(path, "is an old Word file or a password-protected one; remove the password, "
                                   "另存为 .docx and put that in its place")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if "word/document.xml" not in z.namelist():
                raise KnowledgeError(path, f"is not a Word document; {SEND_INSTEAD}")
    except zipfile.BadZipFile as exc:
        raise KnowledgeError(path, f"is not a Word .docx file that can be opened (damaged?); {SEND_INSTEAD}") from exc


def docx_text(path: Path, data: bytes) -> str:
    """Body paragraphs and tables in document order, one block each (headers and footers of the
    pages are not part of the body, so they never reach the text)."""
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors… on a damaged file
        raise KnowledgeError(path, f"is a Word file that cannot be read (damaged?); {SEND_INSTEAD}") from exc
    numbers = _ListNumbers(document)
    items = [item for item in document.iter_inner_content() if isinstance(item, Table) or item.text.strip()]
    levels = [None if isinstance(item, Table) else heading_level(item) for item in items]
    if levels and levels[0] is not None and levels.count(levels[0]) == 1:
        levels[0] = None  # the title set in a heading style of its own (标题 1 over 标题 2 parts)
    blocks: list[str] = []
    for item, level in zip(items, levels, strict=True):
        if isinstance(item, Table):
            blocks += table_statements([[cell.text for cell in row.cells] for row in item.rows])
            continue
        text = numbers.label(item) + item.text.strip()
        if level is not None and not match_marker(text, STRUCTURAL + INLINE):
            text = styled_marker(level) + text  # a heading Word marks by its style alone: keep its level
        blocks.append(text)
    return "\n\n".join(b.strip() for b in blocks if b.strip())


_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)


def heading_level(paragraph) -> int | None:
    """1 for a paragraph in 标题 1 / Heading 1 (or a style based on it), 2 for 标题 2…; also Word's
    outline level (大纲级别) set on the paragraph or its style; None for body text."""
    from docx.oxml.ns import qn

    style = paragraph.style
    elements = [paragraph._p]
    while style is not None:
        if m := _HEADING_STYLE.match(style.name or ""):
            return int(m.group(1)) or None
        elements.append(style.element)
        style = style.base_style
    for element in elements:
        outline = element.find(f"{qn('w:pPr')}/{qn('w:outlineLvl')}")
        if outline is not None:
            level = int(outline.get(qn("w:val"), "9"))
            return level + 1 if level < 9 else None  # 9 is body text
    return None


_CN_DIGITS = "零一二三四五六七八九"


def _chinese(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 23 → 二十三 (list numbers stay below a hundred)."""
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return f"{_CN_DIGITS[tens] if tens > 1 else ''}十{_CN_DIGITS[ones] if ones else ''}"


_NUMBER_FORMATS = {
    "decimal": str, "decimalZero": lambda n: f"{n:02d}", "chineseCounting": _chinese,
    "chineseCountingThousand": _chinese, "japaneseCounting": _chinese, "taiwaneseCounting": _chinese,
    "ideographDigital": _chinese, "decimalEnclosedCircle": lambda n: chr(0x2460 + n - 1) if n <= 20 else str(n),
    "decimalEnclosedCircleChinese": lambda n: chr(0x2460 + n - 1) if n <= 20 else str(n),
}


class _ListNumbers:
    """Word's automatic numbering (一、 （一） 1.) is not part of a paragraph's text: it is rendered here
    as Word shows it, so numbered headings keep their markers. Bullets and unknown formats give ""."""

    def __init__(self, document) -> None:
        from docx.oxml.ns import qn

        self.qn = qn
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # numId → level → (format, text, start)
        self.counts: dict[str, dict[int, int]] = {}
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError):  # a document without lists
            return
        abstract = {a.get(qn("w:abstractNumId")): self._levels(a) for a in numbering.findall(qn("w:abstractNum"))}
        for num in numbering.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            if ref is not None:
                self.levels[num.get(qn("w:numId"))] = abstract.get(ref.get(qn("w:val")), {})

    def _levels(self, abstract) -> dict[int, tuple[str, str, int]]:
        qn, out = self.qn, {}
        for lvl in abstract.findall(qn("w:lvl")):
            fmt, text, start = (lvl.find(qn(f"w:{tag}")) for tag in ("numFmt", "lvlText", "start"))
            out[int(lvl.get(qn("w:ilvl"), "0"))] = (
                fmt.get(qn("w:val")) if fmt is not None else "decimal",
                text.get(qn("w:val"), "") if text is not None else "",
                int(start.get(qn("w:val"), "1")) if start is not None else 1)
        return out

    def _num_pr(self, paragraph) -> tuple[str, int] | None:
        """(numId, level) from the paragraph, else from its style or the styles it is based on."""
        qn, style = self.qn, paragraph.style
        elements = [paragraph._p]
        while style is not None:
            elements.append(style.element)
            style = style.base_style
        for element in elements:
            num_pr = element.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
            if num_pr is not None:
                num_id, ilvl = num_pr.find(qn("w:numId")), num_pr.find(qn("w:ilvl"))
                if num_id is None or num_id.get(qn("w:val")) == "0":
                    return None
                return num_id.get(qn("w:val")), int(ilvl.get(qn("w:val"))) if ilvl is not None else 0
        return None

    def label(self, paragraph) -> str:
        found = self._num_pr(paragraph)
        levels = self.levels.get(found[0], {}) if found else {}
        if not found or found[1] not in levels:
            return ""
        num_id, level = found
        counts = self.counts.setdefault(num_id, {})
        counts[level] = counts.get(level, levels[level][2] - 1) + 1
        for deeper in [k for k in counts if k > level]:
            del counts[deeper]
        fmt, text, _ = levels[level]
        if fmt not in _NUMBER_FORMATS:
            return ""

        def number(m: re.Match[str]) -> str:
            k = int(m.group(1)) - 1
            k_fmt, _, k_start = levels.get(k, ("decimal", "", 1))
            return _NUMBER_FORMATS.get(k_fmt, str)(counts.get(k, k_start))
        return re.sub(r"%(\d)", number, text)


def table_statements(rows: list[list[str]]) -> list[str]:
    """One statement per row that names each value by its column (`金额：35亿美元`), so a figure
    that stands only in a cell keeps what it counts. A table of one row or one column (a layout
    table) is read as plain paragraphs."""
    rows = [_dedupe_merged([" ".join(c.split()) for c in row]) for row in rows]
    rows = [r for r in rows if any(r)]
    if len(rows) < 2 or max(len(r) for r in rows) < 2:
        return [c for r in rows for c in r if c]
    header, statements = rows[0], []
    for row in rows[1:]:
        parts = [f"{h}：{v}" if h and h != v else v for h, v in zip(header, row, strict=False) if v]
        if parts:
            statement = "，".join(parts)
            statements.append(statement if statement[-1] in "。！？" else statement + "。")
    return statements


def _dedupe_merged(cells: list[str]) -> list[str]:
    """A merged cell is repeated once per grid column it spans: keep it once."""
    return [c for i, c in enumerate(cells) if i == 0 or c != cells[i - 1] or not c]


# ---- PDF ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    text: str
    x0: float
    x1: float
    top: float
    height: float


def pdf_text(path: Path, data: bytes) -> str:
    """The text layer as paragraphs: page headers, footers and numbers removed, lines (also across
    pages) joined without spaces between Chinese characters, a paragraph break where a line is
    indented or the line before it stops short."""
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        pages = _pdf_lines(data)
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise KnowledgeError(path, "is protected by a password; save a copy without the password, "
                                   f"or {SEND_INSTEAD}") from exc
    except Exception as exc:  # pdfminer raises many kinds (PSEOF, KeyError, TypeError…) on a damaged file
        raise KnowledgeError(path, f"is a PDF that cannot be read (damaged?); {SEND_INSTEAD}") from exc
    body = _without_page_furniture(pages)
    if not any(line.text for page in body for line in page):
        raise KnowledgeError(path, f"has no text layer (a scanned PDF?); {SEND_INSTEAD}")
    text = _paragraphs([line for page in body for line in page])
    # A font without a character map comes out as (cid:123): unreadable, not text to answer from.
    unmapped = sum(len(m) for m in _UNMAPPED.findall(text))
    if unmapped > len(text) / 10:
        raise KnowledgeError(path, f"has text whose characters cannot be decoded (fonts without a character map); "
                                   f"{SEND_INSTEAD}")
    return _UNMAPPED.sub("", text)


def _pdf_lines(data: bytes) -> list[list[_Line]]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextContainer, LTTextLine

    pages = []
    # word_margin: letter-spaced (justified) lines have gaps between characters that are not spaces;
    # real spaces are characters of the text layer and come through anyway.
    for page in extract_pages(io.BytesIO(data), laparams=LAParams(word_margin=0.5)):
        lines = []
        for box in page:
            if not isinstance(box, LTTextContainer):
                continue
            for line in box:
                text = _SPACE_IN_CJK.sub("", line.get_text().strip()) if isinstance(line, LTTextLine) else ""
                if text:
                    lines.append(_Line(text, line.x0, line.x1, page.height - line.y1, line.height))
        pages.append(sorted(lines, key=lambda ln: (round(ln.top), ln.x0)))
    return pages


def _band(page: list[_Line]) -> list[_Line]:
    """Where headers, footers and page numbers stand: the two top and two bottom lines."""
    return page[:2] + page[-2:]


def _furniture_key(line: _Line) -> tuple[str, int]:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line.text)), round(line.top / 6)


def _without_page_furniture(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Drop page counters in the top or bottom band, and lines that stand at the same place with the
    same text (numbers aside) on at least two pages and half of them: running headers and footers."""
    seen = Counter(k for page in pages for k in {_furniture_key(ln) for ln in _band(page)})
    repeated = {k for k, n in seen.items() if n >= 2 and n * 2 >= len(pages)}
    return [[ln for ln in page if not (ln in _band(page) and
                                       (_PAGE_COUNTER.match(ln.text) or _furniture_key(ln) in repeated))]
            for page in pages]


def _paragraphs(lines: list[_Line]) -> str:
    if not lines:
        return ""
    em = statistics.median(ln.height for ln in lines)  # a Chinese character is about one line high
    left = min(ln.x0 for ln in lines)
    right = sorted(ln.x1 for ln in lines)[int(len(lines) * 0.9)]
    paragraphs: list[str] = []
    previous: _Line | None = None
    for line in lines:
        centred_pair = previous is not None and _centred(previous, left, right, em) and _centred(line, left, right, em)
        if centred_pair and previous.text[-1:] not in "。！？：；":  # a title set on two lines
            paragraphs[-1] += line.text
        elif previous is None or _starts_paragraph(line, previous, left, right, em):
            paragraphs.append(line.text)
        else:
            glue = " " if re.match(r"[A-Za-z0-9]", line.text) and re.search(r"[A-Za-z]$", paragraphs[-1]) else ""
            paragraphs[-1] += glue + line.text
        previous = line
    return "\n\n".join(paragraphs)


def _centred(line: _Line, left: float, right: float, em: float) -> bool:
    gap_left, gap_right = line.x0 - left, right - line.x1
    return gap_left > em * 2 and abs(gap_left - gap_right) < em * 1.5


def _starts_paragraph(line: _Line, previous: _Line, left: float, right: float, em: float) -> bool:
    """An indented line opens a paragraph, and so does a line after one that stops short of the right
    margin (a paragraph's end, a heading, the title), or a numbered line after a sentence end; a line
    after a full one continues it, also across a page break."""
    if line.x0 > left + em * 0.8 or previous.x1 < right - em * 1.5:
        return True
    return previous.text[-1:] in "。！？；：" and bool(match_marker(line.text, STRUCTURAL + INLINE))


# ---- Markdown -----------------------------------------------------------------------------------

_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def markdown_text(text: str) -> str:
    """Markdown → plain report text: heading marks, emphasis, link targets and list bullets go;
    a table becomes one statement per row, as in Word."""
    out: list[str] = []
    table: list[list[str]] = []
    for line in text.splitlines():
        if line.lstrip().startswith("|"):
            if not _MD_TABLE_RULE.match(line):
                table.append([c.strip() for c in line.strip().strip("|").split("|")])
            continue
        if table:
            out += ["", *table_statements(table), ""]
            table = []
        line = re.sub(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+)", "", line)
        line = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", line)
        out.append(re.sub(r"(\*\*|__|`)", "", line))
    if table:
        out += ["", *table_statements(table)]
    return "\n".join(out)
