"""Word and PDF reports written by the tests (never committed as binaries), laid out as offices
send them: Word paragraphs and tables; PDFs with running headers, footers and page numbers, body
lines filled to the margin with a two-character first-line indent (reportlab's built-in CID font
STSong-Light writes Chinese without font files)."""

from __future__ import annotations

from pathlib import Path

import docx
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

PAGE_W, PAGE_H = 595, 842  # A4 in points
LEFT, RIGHT, TOP, BOTTOM = 72, 523, 760, 90
SIZE, LEADING = 12, 20


def write_docx(path: Path, blocks: list[str | list[list[str]]]) -> Path:
    """A Word document: a string is a paragraph, a list of rows a table (first row the header)."""
    document = docx.Document()
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block)
        else:
            table = document.add_table(rows=len(block), cols=len(block[0]))
            for r, row in enumerate(block):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
    document.save(path)
    return path


def wrap(text: str, width: float, indent: float) -> list[str]:
    """Fill lines to the text width, as a word processor does (Chinese breaks between any two characters)."""
    lines, current, limit = [], "", width - indent
    for ch in text:
        if pdfmetrics.stringWidth(current + ch, FONT, SIZE) > limit:
            lines.append(current)
            current, limit = "", width
        current += ch
    return [*lines, current]


def write_pdf(path: Path, title: str, paragraphs: list[str], header: str = "", lines_per_page: int = 30,
              char_space: float = 0.0, password: str | None = None) -> list[str]:
    """A text PDF: the title centred on page one, then paragraphs (a heading is a paragraph that
    starts with a numbering marker and is not indented; a title with a line break is set on two lines), `第N页 共M页` and a page number at the foot
    of every page, `header` at the head of every page. Returns the last body line of each page."""
    width = RIGHT - LEFT
    lines: list[tuple[float, str]] = [(-1, part) for part in title.split("\n")]  # a long title: two lines
    for para in paragraphs:
        heading = para[:1] in "一二三四五六七八九十（" and len(para) <= 30
        indent = 0 if heading else 2 * SIZE
        for i, line in enumerate(wrap(para, width, indent)):
            lines.append((LEFT + (indent if i == 0 else 0), line))
    pages = [lines[i:i + lines_per_page] for i in range(0, len(lines), lines_per_page)]
    c = canvas.Canvas(str(path), pagesize=(PAGE_W, PAGE_H), encrypt=password)
    for number, page in enumerate(pages, 1):
        if header:
            c.setFont(FONT, 9)
            c.drawCentredString(PAGE_W / 2, PAGE_H - 50, header)
        y = TOP
        for x, line in page:
            c.setFont(FONT, 16 if x < 0 else SIZE)
            if x < 0:
                c.drawCentredString(PAGE_W / 2, y, line)
            else:
                text = c.beginText(x, y)
                text.setFont(FONT, SIZE)
                text.setCharSpace(char_space)
                text.textOut(line)
                c.drawText(text)
            y -= LEADING
        c.setFont(FONT, 9)
        c.drawCentredString(PAGE_W / 2, 50, f"第{number}页 共{len(pages)}页")
        c.drawRightString(RIGHT, 36, str(number))
        c.showPage()
    c.save()
    return [page[-1][1] for page in pages]


def write_scanned_pdf(path: Path) -> Path:
    """What a scanner makes: pages of marks and no text layer."""
    c = canvas.Canvas(str(path), pagesize=(PAGE_W, PAGE_H))
    for _ in range(2):
        for row in range(30):
            for col in range(20):
                if (row * 7 + col * 3) % 5:
                    c.rect(LEFT + col * 22, TOP - row * 20, 14, 12, fill=1, stroke=0)
        c.showPage()
    c.save()
    return path


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# Word's automatic numbering as Chinese offices set it up: 一、 › （一） › 1.
_ABSTRACT = f"""<w:abstractNum xmlns:w="{_W}" w:abstractNumId="90">
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>
  <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>
  <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%3."/></w:lvl>
</w:abstractNum>"""


def write_numbered_docx(path: Path, items: list[tuple[int | None, str]]) -> Path:
    """A Word document whose headings are numbered by Word (level 0 一、, 1 （一）, 2 1.), not typed;
    level None is a plain paragraph."""
    from docx.oxml import parse_xml

    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(_ABSTRACT))
    numbering.append(parse_xml(f'<w:num xmlns:w="{_W}" w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    for level, text in items:
        paragraph = document.add_paragraph(text)
        if level is not None:
            num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
            num_pr.get_or_add_ilvl().val = level
            num_pr.get_or_add_numId().val = 90
    document.save(path)
    return path


def write_unmapped_pdf(path: Path) -> Path:
    """A text layer in a font without a character map: the text comes out as (cid:1)(cid:2)…"""
    glyphs = "".join(f"{i:04x}" for i in range(1, 60))
    content = f"BT /F1 12 Tf 72 700 Td <{glyphs}> Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Custom /Encoding /Identity-H /DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Custom "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path
