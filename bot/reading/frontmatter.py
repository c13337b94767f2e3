"""What stands around a report's text without being part of it: a web page's breadcrumbs, bylines
(作者：… 来源：… 发布时间：…), dates, URLs and page counters at the top; the issuing office and the date
that sign it at the end. They are kept out of the statements; the year and the issuing office they
(or the title) state become the report's metadata.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .numbering import cn_to_int

_BREADCRUMB = re.compile(r"^(?:当前位置|您的位置|你的位置|所在位置|您现在的位置)\s*[:：]|^(?:首页|网站首页|主页)\s*[>＞»›/]")
_BYLINE = re.compile(r"^[【\[]?(?:作者|来源|文章来源|信息来源|发布时间|发布日期|发布者|发布机构|日期|时间|浏览次数|浏览量|"
                     r"浏览|点击数|点击量|阅读次数|阅读量|责任编辑|编辑|字号|字体|打印|关闭|分享到|签发人|索引号|"
                     r"主题分类|文号)\s*[:：】\]]")
# An official document's number (鹿侨〔2024〕3号), its attachment label and its release note.
# A web page's byline may lead with the date: 2023-01-16 来源：南昌市外侨办
_BYLINE_ANYWHERE = re.compile(r"(?:来源|作者|发布时间|发布日期|浏览次数|点击数|责任编辑)\s*[:：]")
_DOCUMENT_NUMBER = re.compile(r"^(?:\S{1,12}[〔\[［(（]\d{4}[〕\]］)）]\s*\d+\s*号|附件\s*\d*|[（(]此件\S{2,6}[）)])$")
_TITLE_LABEL = re.compile(r"^(?:标题|题目|文章标题)\s*[:：]\s*")
_DATE = re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_URL = re.compile(r"^(?:网址\s*[:：]\s*)?(?:https?://|www\.)\S+$")
_COUNTER = re.compile(r"^(?:第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|共\s*\d+\s*页|-\s*\d+\s*-)$")
# The issuing office: a place (省/市/区/县…, or 某/XX standing for one) and its 侨办, 外侨办 or 侨联.
ISSUER = re.compile(r"(?:[\u4e00-\u9fffXx]{1,10}?(?:省|市|区|县|州|旗|盟))?(?:人民政府)?"
                    r"(?:外事侨务办公室|外事办公室|侨务办公室|外侨办|侨办|归国华侨联合会|侨联)")
_PLACED = re.compile(r"[\u4e00-\u9fffXx]{1,10}?(?:省|市|区|县|州|旗|盟)")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
# The date that signs a report: 2023年12月20日, 2023年12月, 2023-12-20, 二〇二三年十二月.
_CN_YEAR = "[〇零一二三四五六七八九]{4}"
_SIGN_DATE = (rf"(?:\d{{4}}|{_CN_YEAR})\s*[-/.年]\s*(?:\d{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*月?"
              rf"(?:\s*(?:\d{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*日?)?")
# A signature on one line, often in brackets: （温州市鹿城区侨联 2023年12月）, 鹿城区侨办 2023年12月20日.
_SIGNATURE = re.compile(rf"^[（(]?\s*(?:(?P<issuer>{ISSUER.pattern})\s*[,，]?\s*)?(?P<date>{_SIGN_DATE})?\s*[）)]?$")
_SIGNED_YEAR = re.compile(rf"^[（(]?\s*(?:{ISSUER.pattern})?\s*[,，]?\s*(?P<year>\d{{4}}|{_CN_YEAR})\s*[-/.年]"
                          rf"\s*(?P<month>\d{{1,2}}|[一二三四五六七八九十]{{1,3}})")
_NUMBERED = re.compile(r"[（(]?(?:第?[一二三四五六七八九十]{1,3}(?:部分|章|节)|[一二三四五六七八九十\d①-⑳]{1,3}[、.．）)是])")
TOP_LINES = 8  # front matter stands before the body: within the first non-empty lines of the text
END_LINES = 3  # a signature: the last lines


@dataclass
class Surroundings:
    text: str  # the report without what stands around it
    dropped: list[str] = field(default_factory=list)  # front matter, for the build's warnings
    signature: list[str] = field(default_factory=list)  # the closing office and date


def _is_front_matter(line: str, at_top: bool) -> bool:
    if _URL.match(line) or _COUNTER.match(line):
        return True
    return at_top and bool(_BREADCRUMB.match(line) or _BYLINE.match(line) or _DATE.match(line)
                           or _DOCUMENT_NUMBER.match(line) or (len(line) <= 80 and _BYLINE_ANYWHERE.search(line)))


def _is_signature(line: str) -> bool:
    m = _SIGNATURE.match(line)
    return bool(_DATE.match(line) or (m and (m.group("issuer") or m.group("date"))))


def strip_surroundings(text: str) -> Surroundings:
    """Drop front matter lines (at the top; URLs and page counters anywhere) and a closing signature."""
    lines = text.split("\n")
    out = Surroundings("")
    kept: list[str] = []
    body_lines = seen = 0
    # What follows the last line that could not sign the report is its signature, never front matter
    # (a short report's closing date would otherwise be within the top lines).
    end = max((i for i, line in enumerate(lines) if (s := line.strip(" \t\u3000\xa0")) and not _is_signature(s)),
              default=len(lines))
    for i, line in enumerate(lines):
        s = line.strip(" \t\u3000\xa0")
        seen += bool(s)
        at_top = body_lines < 2 and seen <= TOP_LINES and i < end
        if s and _is_front_matter(s, at_top):
            out.dropped.append(s)
            continue
        if at_top and _TITLE_LABEL.match(s):  # 标题：某市侨办2023年工作总结
            line = s = _TITLE_LABEL.sub("", s)
        kept.append(line)
        body_lines += bool(s) and not _title_like(s)
    tail = [i for i, line in enumerate(kept) if line.strip()][-END_LINES:]
    for i in reversed(tail):
        if not _is_signature(kept[i].strip(" \t\u3000\xa0")):
            break
        out.signature.insert(0, kept[i].strip(" \t\u3000\xa0"))
        kept[i] = ""
    out.text = "\n".join(kept)
    return out


def _title_like(line: str) -> bool:
    return len(line) <= 50 and not re.search(r"[。！？；;，,：:]", line)


def title_line(text: str) -> str:
    """Put a blank line after a title-like first line, so a body that follows at once is not glued on;
    a title set on two lines (温州市鹿城区归国华侨联合会 / 2023年工作总结) becomes one line."""
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or first + 1 >= len(lines) or not lines[first + 1].strip():
        return text
    line, second = (lines[i].strip(" \t\u3000\xa0") for i in (first, first + 1))
    if len(line) < 4 or not _title_like(line) or _NUMBERED.match(line):
        return text
    rest = lines[first + 1:]
    after = rest[1].strip() if len(rest) > 1 else ""
    if _title_like(second) and not _NUMBERED.match(second) and _title_like(line + second) and not _title_like(after):
        line, rest = line + second, rest[1:]
    return "\n".join([*lines[:first], line, "", *rest])


def report_year(title: str, first_paragraph: str, signature: Sequence[str] = ()) -> int | None:
    """The year the report is about: from its title, else from a first sentence that opens with it,
    else from the date that signs it (a year-end report signed in January or February is about the
    year before: 2024年1月10日 → 2023)."""
    m = _YEAR.search(title) or _YEAR.match(first_paragraph)
    if m:
        return int(m.group(1))
    for line in reversed(signature):
        if d := _SIGNED_YEAR.match(line):
            year, month = cn_to_int(_arabic(d.group("year"))), cn_to_int(d.group("month"))
            return year - 1 if month <= 2 else year
    return None


def _arabic(digits: str) -> str:
    """二〇二三 → 2023 (a year is written digit by digit)."""
    return digits.translate(str.maketrans("〇零一二三四五六七八九", "00123456789"))


def report_issuer(title: str, surroundings: list[str]) -> str:
    """The issuing office named in the title, else in a byline or the signature; one that names
    its place wins over one that does not (温州市鹿城区归国华侨联合会 in the signature over 侨联 in
    the title)."""
    found = [m.group(0) for text in (title, *surroundings) if (m := ISSUER.search(text))]
    placed = [f for f in found if _PLACED.match(f)]
    return (placed or found or [""])[0]
