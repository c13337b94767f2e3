"""Reports as offices send them: Word (paragraphs, tables), PDF with a text layer, Markdown, text in
GB18030; and the files that cannot be read, refused with their name and what to send instead."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import docx
import pytest

from bot.curated import KnowledgeError
from bot.parser import parse_file
from bot.reading.formats import read_report, table_statements
from tests.report_files import (
    LEFT,
    RIGHT,
    SIZE,
    wrap,
    write_docx,
    write_numbered_docx,
    write_pdf,
    write_scanned_pdf,
    write_unmapped_pdf,
)

REPO = Path(__file__).resolve().parent.parent

DOCX_TITLE = "某区侨联2023年工作总结"
DOCX_BLOCKS: list = [
    DOCX_TITLE,
    "2023年，区侨联在区委的领导下，紧扣中心大局，扎实推进各项工作。",
    "一、引资引智",
    "全年组织侨商考察活动六次，主要成果见下表。",
    [["项目", "金额", "备注"], ["引进侨资", "3.6亿元", "签约项目12个"], ["侨捐公益", "860万元", ""]],
    "二、为侨服务",
    "走访慰问困难归侨侨眷一百二十户。",
]
PDF_TITLE = "某市侨务办公室2023年工作总结"
PDF_PARAGRAPHS = [
    "2023年，市侨办坚持以侨为桥、为侨服务，围绕全市发展大局，推动侨务工作取得新进展，现将有关情况报告如下。",
    "一、凝聚侨心侨力",
    "全年走访慰问困难归侨侨眷三百二十户，发放慰问金四十八万元，帮助解决就医、就学等实际困难五十余件，"
    "归侨侨眷的获得感进一步增强。组织开展“侨法宣传月”活动，举办讲座十二场，受众二千余人次。",
    "二、服务经济发展",
    "牵线搭桥引进侨资项目二十三个，协议投资额十八亿元，其中超亿元项目七个。举办海外侨商恳谈会两场，"
    "邀请来自十一个国家和地区的侨商九十余人参会，现场签约项目九个，推动一批合作项目落地见效。",
    "三、加强海外联谊",
    "接待海外侨团来访四十一批次、五百八十人次，组团出访东南亚三国，拜会侨团侨领六十余位，"
    "举办华裔青少年夏令营一期，营员来自八个国家。",
]


def normalised(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ---- Word --------------------------------------------------------------------------------------


def test_docx_paragraphs_in_order_and_table_rows_keep_their_header(tmp_path):
    path = write_docx(tmp_path / "district.docx", DOCX_BLOCKS)
    blocks = read_report(path).text.split("\n\n")
    assert blocks[:4] == DOCX_BLOCKS[:4]
    assert blocks[4:6] == ["项目：引进侨资，金额：3.6亿元，备注：签约项目12个。", "项目：侨捐公益，金额：860万元。"]
    assert blocks[6:] == DOCX_BLOCKS[5:]


def test_docx_report_parses_with_title_sections_and_the_table_figure(tmp_path):
    report = parse_file(write_docx(tmp_path / "district.docx", DOCX_BLOCKS))
    assert report.doc == "district" and report.title == DOCX_TITLE and report.encoding == "docx"
    assert [s.heading for s in report.sections] == ["前言", "一、引资引智", "二、为侨服务"]
    row = next(f for f in report.facts if "3.6亿元" in f.text)
    assert row.path == (1,) and "引进侨资" in row.text and "金额" in row.text


@pytest.mark.parametrize(("rows", "statements"), [
    ([["单位", "人数"], ["侨联", "12"], ["侨办", "8"]], ["单位：侨联，人数：12。", "单位：侨办，人数：8。"]),
    ([["只有一列"], ["第二行"]], ["只有一列", "第二行"]),  # a layout table: plain paragraphs
    ([["合并", "合并"], ["甲", "乙"]], ["合并：甲。"]),  # a merged header cell once (its second column empty)
    ([["项目", "说明"], ["", ""], ["培训", "共5期。"]], ["项目：培训，说明：共5期。"]),
])
def test_table_statements(rows, statements):
    assert table_statements(rows) == statements


# ---- PDF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("char_space", [0.0, 1.5])  # 1.5: letter-spaced (justified) lines
def test_pdf_text_drops_page_furniture_and_rejoins_lines_across_pages(tmp_path, char_space):
    page_ends = write_pdf(tmp_path / "city.pdf", PDF_TITLE, PDF_PARAGRAPHS, header=PDF_TITLE, lines_per_page=5,
                          char_space=char_space)
    assert any(len(end) > 20 and not end.endswith("。") for end in page_ends[:-1]), page_ends  # a sentence spans pages
    blocks = read_report(tmp_path / "city.pdf").text.split("\n\n")
    assert blocks == [PDF_TITLE, *PDF_PARAGRAPHS]  # headers, footers, page numbers gone; no space invented


def test_pdf_report_parses_into_its_sections(tmp_path):
    write_pdf(tmp_path / "city.pdf", PDF_TITLE, PDF_PARAGRAPHS, header=PDF_TITLE, lines_per_page=5)
    report = parse_file(tmp_path / "city.pdf")
    assert report.title == PDF_TITLE and report.encoding == "pdf"
    assert [s.heading for s in report.sections] == ["前言", "一、凝聚侨心侨力", "二、服务经济发展", "三、加强海外联谊"]
    texts = [f.text for f in report.facts]
    assert "牵线搭桥引进侨资项目二十三个，协议投资额十八亿元，其中超亿元项目七个。" in texts
    assert not any("第" in t and "页" in t for t in texts)


# ---- files that cannot be read -----------------------------------------------------------------


def scanned(folder: Path) -> Path:
    return write_scanned_pdf(folder / "scan.pdf")


def random_pdf(folder: Path) -> Path:
    path = folder / "noise.pdf"
    path.write_bytes(os.urandom(4096))
    return path


def damaged_pdf(folder: Path) -> Path:
    write_pdf(folder / "cut.pdf", PDF_TITLE, PDF_PARAGRAPHS)
    (folder / "cut.pdf").write_bytes((folder / "cut.pdf").read_bytes()[:1500])
    return folder / "cut.pdf"


def password_pdf(folder: Path) -> Path:
    write_pdf(folder / "locked.pdf", PDF_TITLE, PDF_PARAGRAPHS, password="secret")
    return folder / "locked.pdf"


def old_doc(folder: Path) -> Path:
    path = folder / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    return path


def rtf(folder: Path) -> Path:
    path = folder / "notes.rtf"
    path.write_text("{\\rtf1\\ansi 侨务工作}", encoding="utf-8")
    return path


def ole_docx(folder: Path) -> Path:  # a password-protected .docx is an OLE container, not a zip
    path = folder / "protected.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    return path


def random_docx(folder: Path) -> Path:
    path = folder / "broken.docx"
    path.write_bytes(os.urandom(2048))
    return path


def unmapped_pdf(folder: Path) -> Path:
    return write_unmapped_pdf(folder / "glyphs.pdf")


UNREADABLE = [
    (scanned, "no text layer", ".docx"),
    (unmapped_pdf, "cannot be decoded", ".docx"),
    (random_pdf, "not a PDF", ".docx"),
    (damaged_pdf, "cannot be read", ".docx"),
    (password_pdf, "password", "without the password"),
    (old_doc, "old Word .doc", "另存为 .docx"),
    (rtf, "RTF file", "另存为 .docx"),
    (ole_docx, "password-protected", "另存为 .docx"),
    (random_docx, "can be opened (damaged?)", ".docx"),
]


@pytest.mark.parametrize(("make", "problem", "instead"), UNREADABLE, ids=[u[0].__name__ for u in UNREADABLE])
def test_unreadable_file_is_refused_naming_it_and_what_to_send(tmp_path, make, problem, instead):
    path = make(tmp_path)
    with pytest.raises(KnowledgeError) as refused:
        read_report(path)
    message = str(refused.value)
    assert message.startswith(f"{path.name}: ") and problem in message and instead in message, message


# ---- Markdown and encodings --------------------------------------------------------------------


def test_markdown_marks_and_tables_are_read_as_text(tmp_path):
    (tmp_path / "notes.md").write_text(
        "# 侨联工作简报\n\n## 一、联谊工作\n\n- 举办**侨界**龙舟赛三场，详见[通知](http://example.org/a)。\n\n"
        "| 活动 | 人数 |\n| --- | ---: |\n| 龙舟赛 | 300 |\n", encoding="utf-8")
    report = parse_file(tmp_path / "notes.md")
    assert report.title == "侨联工作简报"
    assert [s.heading for s in report.sections] == ["前言", "一、联谊工作"]
    assert [f.text for f in report.facts] == ["举办侨界龙舟赛三场，详见通知。", "活动：龙舟赛，人数：300。"]


COUNTY = "某县侨务工作总结\n\n一、接待工作\n今年接待海外侨胞三百人次。\n"
COUNTY_TRADITIONAL = "某縣僑務工作總結\n\n一、接待工作\n今年接待海外僑胞三百人次。\n"


@pytest.mark.parametrize(("text", "saved_as", "read_as"), [
    (COUNTY, "gb18030", "gb18030"), (COUNTY, "gbk", "gb18030"), (COUNTY, "gb2312", "gb18030"),
    (COUNTY_TRADITIONAL, "gbk", "gb18030"), (COUNTY_TRADITIONAL, "big5", "big5"),
])
def test_text_saved_by_chinese_excel_or_wps_is_read(tmp_path, text, saved_as, read_as):
    (tmp_path / "county.txt").write_bytes(text.encode(saved_as))
    report = parse_file(tmp_path / "county.txt")
    assert report.encoding == read_as and report.title == text.split("\n")[0]
    assert [f.text for f in report.facts] == [text.split("\n")[3]]


# ---- black box: the command line answers from every format -------------------------------------

GB_TITLE = "某县侨办2023年工作情况"
GB_TEXT = f"{GB_TITLE}\n\n一、华文教育\n今年举办华文教师培训班三期，培训海外华文教师一百五十名。\n"


@pytest.fixture(scope="module")
def mixed_knowledge(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("mixed") / "knowledge"
    shutil.copytree(REPO / "knowledge", folder)
    write_docx(folder / "district-2023.docx", DOCX_BLOCKS)
    write_pdf(folder / "city-2023.pdf", PDF_TITLE, PDF_PARAGRAPHS, header=PDF_TITLE, lines_per_page=5)
    (folder / "county-2023.txt").write_bytes(GB_TEXT.encode("gb18030"))
    return folder


def qiaobot(folder: Path, data: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "BOT_DATA_DIR": str(data), "PYTHONPATH": str(REPO), "TELEGRAM_BOT_TOKEN": ""}
    return subprocess.run([sys.executable, "-m", "bot", *args, "--knowledge", str(folder)], input=stdin,
                          capture_output=True, text=True, env=env, timeout=120, cwd=REPO)


def test_ask_jsonl_answers_from_word_pdf_and_gb18030_reports(mixed_knowledge, tmp_path):
    questions = [("侨捐公益金额是多少", "district-2023", DOCX_TITLE, "860万元"),
                 ("引进侨资项目多少个", "city-2023", PDF_TITLE, "二十三个"),
                 ("华文教师培训班办了几期", "county-2023", GB_TITLE, "三期"),
                 ("合同外资引进了多少", "qiaowu-year-end-summary", "侨务系统年终工作总结", "35亿美元")]
    out = qiaobot(mixed_knowledge, tmp_path, "ask", "--jsonl", stdin="".join(q + "\n" for q, *_ in questions))
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    for (question, doc, title, figure), row in zip(questions, rows, strict=True):
        assert row["answered"], (question, row["answer"])
        assert row["references"][0]["doc"] == doc and row["references"][0]["title"] == title, row["references"]
        assert figure in row["answer"]


def test_build_says_which_file_was_read_as_gb18030(mixed_knowledge, tmp_path):
    out = qiaobot(mixed_knowledge, tmp_path, "build")
    assert out.returncode == 0, out.stderr
    assert "county-2023.txt" in out.stdout + out.stderr and "GB18030" in out.stdout + out.stderr


@pytest.mark.parametrize("make", [scanned, random_pdf, old_doc], ids=["scanned-pdf", "random-bytes-pdf", "old-doc"])
def test_build_exits_1_naming_the_unreadable_file(tmp_path, make):
    folder = tmp_path / "knowledge"
    shutil.copytree(REPO / "knowledge", folder)
    path = make(folder)
    out = qiaobot(folder, tmp_path / "data", "build")
    assert out.returncode == 1, out.stdout + out.stderr
    assert out.stderr.startswith(f"qiaobot: {path.name}: ") and "Traceback" not in out.stderr


def test_docx_automatic_numbering_keeps_the_markers(tmp_path):
    path = write_numbered_docx(tmp_path / "numbered.docx", [
        (None, "某市侨联2023年工作总结"), (0, "联谊工作"), (1, "海外联谊"), (None, "接待海外侨团二十批次。"),
        (1, "国内联谊"), (2, "走访侨界代表"), (None, "走访侨界代表人士五十人。"), (0, "为侨服务"),
        (1, "帮扶解困"), (None, "发放慰问金十万元。")])
    report = parse_file(path)
    assert {s.path: s.heading for s in report.sections} == {
        (0,): "前言", (1,): "一、联谊工作", (1, 1): "（一）海外联谊", (1, 2): "（二）国内联谊",
        (1, 2, 1): "1.走访侨界代表", (2,): "二、为侨服务", (2, 1): "（一）帮扶解困"}
    assert read_report(tmp_path / "numbered.docx").text.split("\n\n")[1] == "一、联谊工作"


def test_docx_list_style_numbers_and_bullets(tmp_path):
    document = docx.Document()
    for text, style in [("侨联简报", None), ("举办讲座三场。", "List Number"), ("走访侨户十户。", "List Number"),
                        ("另有活动若干。", "List Bullet")]:
        document.add_paragraph(text, style=style)
    document.save(tmp_path / "styled.docx")
    assert read_report(tmp_path / "styled.docx").text.split("\n\n") == [
        "侨联简报", "1.举办讲座三场。", "2.走访侨户十户。", "另有活动若干。"]


def test_unreadable_pdf_found_by_a_parallel_build_is_reported_whole(tmp_path):
    """From PARALLEL_FROM reports on, reports are read in worker processes: the error still names the file."""
    from bot import store
    from bot.matcher import Engine

    folder = tmp_path / "knowledge"
    shutil.copytree(REPO / "knowledge", folder)
    for i in range(store.PARALLEL_FROM):
        (folder / f"county-{i}.txt").write_text(f"某县侨办工作简报{i}\n\n今年接待侨胞{i + 1}百人次。\n", encoding="utf-8")
    scanned(folder)
    with pytest.raises(KnowledgeError, match=r"^scan\.pdf: has no text layer"):
        Engine.open(folder, tmp_path / "data")


def test_pdf_heading_flush_left_after_a_full_line_opens_a_paragraph(tmp_path):
    """Headings not indented, after a paragraph whose last line runs to the margin."""
    body = ("全年走访慰问困难归侨侨眷三百二十户，发放慰问金四十八万元，帮助解决就医、就学、就业实际困难五十余件，"
            "归侨侨眷的获得感、幸福感和安全感进一步增强。")
    assert [len(line) for line in wrap(body, RIGHT - LEFT, 2 * SIZE)] == [35, 37]  # the last line is full
    write_pdf(tmp_path / "flush.pdf", PDF_TITLE, [body, "二、服务经济发展", "引进侨资项目二十三个。"], lines_per_page=30)
    blocks = read_report(tmp_path / "flush.pdf").text.split("\n\n")
    assert blocks[1:] == [body, "二、服务经济发展", "引进侨资项目二十三个。"], blocks


def test_pdf_title_set_on_two_centred_lines_is_one_title(tmp_path):
    write_pdf(tmp_path / "long.pdf", "温州市鹿城区归国华侨联合会\n2023年工作总结及2024年工作思路", PDF_PARAGRAPHS[:3])
    report = parse_file(tmp_path / "long.pdf")
    assert report.title == "温州市鹿城区归国华侨联合会2023年工作总结及2024年工作思路"
    assert [f.text for f in report.facts if f.path == (0,)] == [PDF_PARAGRAPHS[0]]


def _styled_docx(path: Path, blocks: list[tuple[str | None, str]], custom: bool = False) -> Path:
    """A Word document whose headings are marked by style alone (no number typed or automatic);
    `custom`: the styles are named 标题 1/标题 2 as a Chinese WPS or Word template names its own."""
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    for style, text in blocks:
        if custom and style and style not in [s.name for s in document.styles]:
            document.styles.add_style(style, WD_STYLE_TYPE.PARAGRAPH)
        document.add_paragraph(text, style=style)
    document.save(path)
    return path


@pytest.mark.parametrize(("blocks", "custom", "title", "tree"), [
    ([("Title", "某区侨联2023年工作总结"), (None, "2023年，区侨联扎实推进各项工作。"), ("Heading 1", "联谊工作"),
      ("Heading 2", "海外联谊"), (None, "接待海外侨团二十批次。"), ("Heading 2", "国内联谊"),
      (None, "走访侨界代表人士五十人。"), ("Heading 1", "为侨服务"), (None, "发放慰问金十万元。")], False,
     "某区侨联2023年工作总结",
     {(0,): "前言", (1,): "联谊工作", (1, 1): "联谊工作 › 海外联谊", (1, 2): "联谊工作 › 国内联谊", (2,): "为侨服务"}),
    # The title in 标题 1 of its own, parts in 标题 2, points in 标题 3.
    ([("标题 1", "某县侨联2023年工作总结"), ("标题 2", "思想引领"), ("标题 3", "理论学习"), (None, "组织专题学习十二次。"),
      ("标题 3", "宣传阵地"), (None, "新建宣传栏六处。"), ("标题 2", "服务水平"), (None, "走访困难侨户八十户。")], True,
     "某县侨联2023年工作总结",
     {(0,): "前言", (1,): "思想引领", (1, 1): "思想引领 › 理论学习", (1, 2): "思想引领 › 宣传阵地",
      (2,): "服务水平"}),
])
def test_docx_heading_styles_without_numbers_are_sections(tmp_path, blocks, custom, title, tree):
    report = parse_file(_styled_docx(tmp_path / "styled.docx", blocks, custom))
    assert report.title == title
    assert {s.path: s.label for s in report.sections} == tree
    assert not report.warnings
    statements = [f.text for f in report.facts]
    assert all(not any("\ue000" <= ch <= "\uf8ff" for ch in f.text + f.original) for f in report.facts)
    assert [b for _, b in blocks if b in statements] == [b for s, b in blocks if s is None]
