"""Scaled knowledge for benchmarks, generated from real reports.

A knowledge directory of N reports = the shipped knowledge (the seed report verbatim, plus the
curated FAQ/synonym/word files, so the evaluation questions still apply) + N-1 generated reports.
Each generated report is a city's, county's or district's government work report rewritten from
one State Council report (benchmarks/data/gov/*.txt), sometimes with a section borrowed from
another year:

- the title block is replaced by the locality's own (title, meeting, speaker), the Wikisource
  licence lines are dropped, and wiki-link line breaks are joined back into paragraphs;
- sections, points and paragraphs are resampled (thinned, long paragraphs cut at a sentence end,
  neighbouring paragraphs swapped) and every heading renumbered so the official numbering
  (一、 › （一） › 第一， › 一是 › 1. › （1）) still counts up in order;
- national wording becomes local (全国 → 全市, 国务院 → 市政府, 国内生产总值 → 地区生产总值),
  provinces become the locality's districts and counties, the premier becomes the mayor,
  figures are scaled at random keeping their units and decimals, and years are shifted.

`--seed-variants F` makes a fraction F of the generated reports other cities' overseas-Chinese
affairs summaries rewritten from the seed. Off by default: their questions have the same words
and different answers, so the seed's evaluation set stops being answerable — use it to measure
how the matcher behaves among *related* reports, not for the "unrelated reports" quality figure.

Report i depends only on (seed, i): the 100-report corpus is a subset of the 1,000-report one.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHIPPED_KNOWLEDGE = REPO / "knowledge"
SEED_NAME = "qiaowu-year-end-summary.txt"
GOV_DIR = REPO / "benchmarks" / "data" / "gov"  # State Council reports, public domain (see its README)

MEAN_REPORT_CHARS = 10_000  # 3,000 reports ≈ 30 million characters


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# ---------------------------------------------------------------------------------------------
# Word lists. Localities avoid the seed's own places (苏州 and its counties) so a generated report
# never names what the evaluation questions ask about.

# name:romanisation (for the file stem):level
_LOCALITIES = """
    临沂:linyi:市 襄阳:xiangyang:市 赣州:ganzhou:市 绵阳:mianyang:市 洛阳:luoyang:市 湛江:zhanjiang:市
    柳州:liuzhou:市 宜昌:yichang:市 岳阳:yueyang:市 常德:changde:市 九江:jiujiang:市 漳州:zhangzhou:市
    泉州:quanzhou:市 江门:jiangmen:市 梅州:meizhou:市 潍坊:weifang:市 烟台:yantai:市 威海:weihai:市
    盐城:yancheng:市 温州:wenzhou:市 丽水:lishui:市 金华:jinhua:市 台州:taizhou:市 芜湖:wuhu:市
    安庆:anqing:市 南阳:nanyang:市 开封:kaifeng:市 大同:datong:市 包头:baotou:市 鞍山:anshan:市
    吉林:jilin:市 齐齐哈尔:qiqihar:市 宝鸡:baoji:市 天水:tianshui:市 遵义:zunyi:市 曲靖:qujing:市
    桂林:guilin:市 北海:beihai:市 三明:sanming:市 莆田:putian:市 文昌:wenchang:市 青田:qingtian:县
    台山:taishan:市 开平:kaiping:市 恩平:enping:市 鹤山:heshan:市 晋江:jinjiang:市 石狮:shishi:市
    南安:nanan:市 福清:fuqing:市 长乐:changle:区 瑞安:ruian:市 文成:wencheng:县 安溪:anxi:县
    永春:yongchun:县 德化:dehua:县 大埔:dabu:县 兴宁:xingning:市 潮安:chaoan:区 揭西:jiexi:县
    普宁:puning:市 澄海:chenghai:区 新会:xinhui:区 顺德:shunde:区 南海:nanhai:区 番禺:panyu:区
    中山:zhongshan:市 海宁:haining:市 义乌:yiwu:市 东阳:dongyang:市 仙居:xianju:县 龙泉:longquan:市
    婺源:wuyuan:县 黟县:yixian:县 凤阳:fengyang:县 曲阜:qufu:市 寿光:shouguang:市 荣成:rongcheng:市
    即墨:jimo:区 胶州:jiaozhou:市 宁海:ninghai:县 余姚:yuyao:市 慈溪:cixi:市 诸暨:zhuji:市
"""
LOCALITIES: tuple[tuple[str, str, str], ...] = tuple(
    (name, roman, level) for name, roman, level in (entry.split(":") for entry in _words(_LOCALITIES))
)

# Sub-units of a locality that stand in for the provinces and cities a national report names.
SUBUNIT_HEADS = "东西南北新河江湖山城沙石金玉桃柳梅竹兴安宁平清长高云龙凤"
SUBUNIT_TAILS = "湖山港桥塘岗川滨林坪阳溪浦洲源泉"
SUBUNIT_KINDS = ("区", "县", "镇", "街道", "开发区", "新区")

# Places named in the State Council reports that a local report would not name; 香港/澳门/台湾 stay
# (一国两制 text reads the same in a local report).
NATIONAL_PLACES = _words(
    """
    内蒙古 黑龙江 北京 上海 天津 重庆 四川 汶川 玉树 舟曲 西藏 新疆 深圳 珠海
    汕头 厦门 海南 浦东 雄安 武汉 湖北 广东 福建 江苏 浙江 山东 河北 河南
    湖南 江西 安徽 广西 云南 贵州 陕西 甘肃 青海 宁夏 辽宁 吉林 山西
    """
)
PREMIERS = _words(
    """
    周恩来 华国锋 赵紫阳 李鹏 朱镕基 温家宝 李克强 李强
    """
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马胡朱郭何罗高林郑梁谢宋唐韩冯邓曹彭曾萧田董潘袁蔡蒋余于"
    "杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金贾夏韦付方邹熊白孟秦邱侯江尹薛闫段雷龙"
    "黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文"
)
GIVEN_CHARS = (
    "建国志明华军平东海林伟红芳丽强敏静磊洋勇艳杰娟涛超秀英霞刚桂兰玉萍鹏辉波宁晨晓峰"
    "琳丹斌凯鑫亮俊文武立新春秋雪梅松柏云飞翔宇航思远若嘉慧佳欣怡瑞祥德胜利民安康永福"
)

# Interchangeable wording of official reports, "a/b": a report may use either, or swap them. Only
# pairs that are never part of a longer term (not 持续/不断: 可持续发展; not 保障/保证: 社会保障).
PARAPHRASES = _words(
    """
    推进/推动 加强/强化 加快/加速 着力/努力 完善/健全 提高/提升 明显/显著 切实/认真
    稳步/有序 实施/实行 取得/获得 支持/扶持 巩固/稳固
    """
)

# The seed's own people and places, replaced in seed variants (and never produced for other reports).
SEED_PEOPLE = _words(
    """
    任启亮 景建平 许兆然 谢鸣 庄荣文 钱兴荣 周向群 徐明 唐仲英 唐南珊
    王钦贤 宋云明 丁兆璋 丁兆庆 朱绮华 周乃翔 徐开信 徐昕 周忠继 方润华
    吕守政 周士心 朱恩馀 朱敏明 张海明 朱国来 杨建新
    """
)
SEED_PLACES = _words(
    """
    苏高新 张家港 苏州 昆山 常熟 太仓 吴江 吴中 姑苏 沧浪
    木渎 东山 虞山 沙溪 虎丘 永联村 暨阳湖 江苏
    """
)
SEED_FOREIGN = _words(
    """
    意大利米兰 芬兰 丹麦 加拿大 美国 澳州 秦皇岛 承德 锦州 连云港
    """
)
FOREIGN_POOL = _words(
    """
    新加坡 马来西亚 泰国 印度尼西亚 菲律宾 日本 韩国 澳大利亚 新西兰 英国
    法国 德国 荷兰 比利时 西班牙 葡萄牙 瑞典 挪威 巴西 阿根廷
    秘鲁 南非 毛里求斯
    """
)

# The few characters our inserted words need in a Traditional-script source (gov1954).
_S2T_PAIRS = (
    "县縣区區长長门門阳陽东東兴興宁寧凤鳳龙龍汉漢庆慶丰豐华華乡鄉泽澤陈陳刘劉张張杨楊"
    "黄黃赵趙吴吳郑鄭韩韓冯馮邓鄧许許苏蘇卢盧蒋蔣谢謝罗羅叶葉钟鍾顾顧萧蕭汤湯严嚴孙孫"
    "马馬吕呂谭譚陆陸贾賈韦韋邹鄒闫閆贺賀龚龔万萬钱錢乔喬赖賴军軍红紅丽麗静靜艳艷杰傑"
    "涛濤刚剛兰蘭鹏鵬辉輝晓曉凯凱远遠胜勝宝寶桥橋岗崗湾灣滨濱坝壩开開发發镇鎮会會议議"
    "届屆报報员員临臨赣贛绵綿浔潯潍濰烟煙盐鹽温溫芜蕪齐齊尔爾鸡雞乐樂顺順义義乌烏荣榮"
    "胶膠诸諸"
)
S2T = str.maketrans(_S2T_PAIRS[0::2], _S2T_PAIRS[1::2])

# ---------------------------------------------------------------------------------------------
# Numbering of Chinese official documents.

CN_DIGITS = "零一二三四五六七八九"
_CN_NUM = "[一二三四五六七八九十]{1,3}"
_AR_NUM = "[0-9０-９]{1,2}"
# (style, pattern) — the numeral is group "n"; everything around it is kept when renumbering.
MARKERS: tuple[tuple[str, re.Pattern], ...] = (
    ("cn", re.compile(rf"^(?P<n>{_CN_NUM})、")),
    ("paren-cn", re.compile(rf"^[（(](?P<n>{_CN_NUM})[）)]")),
    ("di-cn", re.compile(rf"^第(?P<n>{_CN_NUM})[，,、：:]")),
    ("shi", re.compile(rf"^(?P<n>{_CN_NUM})是")),
    ("arabic", re.compile(rf"^(?P<n>{_AR_NUM})[.、．](?![0-9０-９])")),
    ("paren-arabic", re.compile(rf"^[（(](?P<n>{_AR_NUM})[）)]")),
    ("bare-cn", re.compile(rf"^(?P<n>{_CN_NUM})$")),
)
_FULLWIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")
_TO_FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


def cn_to_int(text: str) -> int:
    """一 → 1, 十二 → 12, 二十 → 20, 二十三 → 23 (1–99)."""
    if "十" not in text:
        return CN_DIGITS.index(text[-1])
    tens, _, ones = text.partition("十")
    return (CN_DIGITS.index(tens) if tens else 1) * 10 + (CN_DIGITS.index(ones) if ones else 0)


def int_to_cn(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 23 → 二十三 (1–99)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def marker_of(paragraph: str) -> tuple[str, re.Match] | None:
    """The numbering marker a paragraph starts with, if any: (style, match)."""
    for style, pattern in MARKERS:
        m = pattern.match(paragraph)
        if m:
            return style, m
    return None


def renumber(paragraph: str, style: str, m: re.Match, n: int) -> str:
    """The paragraph with its marker's numeral replaced by n, in the marker's own script."""
    old = m.group("n")
    if style in ("arabic", "paren-arabic"):
        new = str(n).translate(_TO_FULLWIDTH) if old[0] in "０１２３４５６７８９" else str(n)
    else:
        new = int_to_cn(n)
    return paragraph[: m.start("n")] + new + paragraph[m.end("n") :]


# ---------------------------------------------------------------------------------------------
# Source reports as section trees.


@dataclass
class Node:
    """A numbered heading paragraph and what follows it: body paragraphs (str) and child nodes."""

    head: str
    style: str | None
    items: list[str | Node] = field(default_factory=list)
    size: int = 0

    def measure(self) -> int:
        self.size = len(self.head) + sum(len(i) if isinstance(i, str) else i.measure() for i in self.items)
        return self.size


@dataclass
class Source:
    """One State Council report, parsed once: preamble, body tree and closing paragraphs."""

    name: str
    year: int
    traditional: bool
    root: Node
    closing: list[str]


_BLOCK_SPLIT = re.compile(r"\n[ \t\u3000\u00a0]*\n")
_LINE_JOIN = re.compile(r"[ \t\u3000\u00a0]*\n[ \t\u3000\u00a0]*")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\ufeff]")
_CLAUSE_END = "。！？!?：:；;…）)”」』》"
_SENTENCE_END = re.compile(r"(?<=[。！？；])")


def paragraphs_of(text: str) -> list[str]:
    """Blank-line separated blocks with their wiki-link line breaks joined back."""
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n"))
    out: list[str] = []
    for block in _BLOCK_SPLIT.split(text):
        para = _LINE_JOIN.sub("", block).strip(" \t\u3000\u00a0\n")
        if not para:
            continue
        # a blank line inside a sentence (交出一份人 / 民满意): a long paragraph that stops mid-clause
        if out and len(out[-1]) > 40 and out[-1][-1] not in _CLAUSE_END and not marker_of(para):
            out[-1] += para
        else:
            out.append(para)
    return out


def parse_source(path: Path) -> Source:
    """Split a government work report into title block, body tree and closing."""
    paras = paragraphs_of(path.read_text(encoding="utf-8"))
    for i, p in enumerate(paras):  # the Wikisource licence and what follows
        if p.startswith("本作品是中华人民共和国"):
            paras = paras[:i]
            break
    for i, p in enumerate(paras[:8]):  # the original title block (title, date, speaker)
        if p.startswith("各位代表"):
            rest = re.sub(r"^各位代表[：:，,！!\s]*", "", p)
            paras = [rest, *paras[i + 1 :]] if rest else paras[i + 1 :]
            break
    closing: list[str] = []
    for i in range(len(paras) - 1, max(len(paras) - 5, 0), -1):
        if paras[i].startswith("各位代表"):
            start = i - 1 if i and paras[i - 1] == "结束语" else i
            closing, paras = paras[start:], paras[:start]
            break
    if not closing and paras:
        closing, paras = paras[-1:], paras[:-1]

    root = Node("", None)
    stack: list[Node] = [root]
    for p in paras:
        found = marker_of(p)
        if not found:
            stack[-1].items.append(p)
            continue
        style = found[0]
        styles = [n.style for n in stack]
        if style in styles:  # same level as an open heading: close it and everything below
            del stack[styles.index(style) :]
        node = Node(p, style)
        stack[-1].items.append(node)
        stack.append(node)
    root.measure()
    text = "".join(paras[:20])
    traditional = sum(map(text.count, "國們這個會發經濟")) > sum(map(text.count, "国们这个会发经济"))
    return Source(path.stem, int(re.sub(r"\D", "", path.stem) or 2000), traditional, root, closing)


# ---------------------------------------------------------------------------------------------
# Rewriting: resample the tree, renumber, localise, vary figures.


def _shorten(paragraph: str, ratio: float) -> str:
    """Keep the leading sentences of a long paragraph, about `ratio` of it."""
    sentences = [s for s in _SENTENCE_END.split(paragraph) if s]
    if len(sentences) < 3:
        return paragraph
    keep, total, goal = [], 0, max(len(paragraph) * ratio, 120)
    for s in sentences:
        keep.append(s)
        total += len(s)
        if total >= goal:
            break
    return "".join(keep)


def sample(node: Node, budget: float, rng: random.Random) -> Node:
    """A copy of node thinned to about `budget` characters, keeping its heading and structure."""
    if node.size <= budget:
        return node
    items = list(node.items)
    kept_size = node.size
    children = [i for i in items if isinstance(i, Node)]
    rng.shuffle(children)
    dropped = set()
    for child in children[:-1]:  # drop whole subsections while plenty is left to thin
        if kept_size - child.size >= 1.4 * budget and rng.random() < 0.5:
            dropped.add(id(child))
            kept_size -= child.size
    items = [i for i in items if id(i) not in dropped]
    ratio = min(1.0, budget / max(kept_size, 1))
    out: list[str | Node] = []
    first_text = True
    for item in items:
        if isinstance(item, Node):
            out.append(sample(item, item.size * ratio, rng))
        elif len(item) > 400 and ratio < 0.7:  # long: kept more often, but cut short
            if first_text or rng.random() < ratio**0.5:
                out.append(_shorten(item, ratio**0.5))
        elif first_text or rng.random() < ratio:
            out.append(item)
        first_text = False
    # neighbouring body paragraphs occasionally change places (never the lead paragraph)
    for k in range(1, len(out) - 1):
        if isinstance(out[k], str) and isinstance(out[k + 1], str) and rng.random() < 0.15:
            out[k], out[k + 1] = out[k + 1], out[k]
    copy = Node(node.head, node.style, out)
    copy.measure()
    return copy


def flatten(node: Node) -> list[str]:
    """Paragraphs in document order, headings renumbered so each level counts 1, 2, 3 … again."""
    out: list[str] = []
    counters: dict[str, int] = {}
    for item in node.items:
        if isinstance(item, str):
            out.append(item)
            continue
        m = MARKERS[[s for s, _ in MARKERS].index(item.style)][1].match(item.head)
        old = m.group("n")
        old_n = int(old.translate(_FULLWIDTH)) if item.style in ("arabic", "paren-arabic") else cn_to_int(old)
        n = 1 if old_n == 1 else counters.get(item.style, 0) + 1  # a list that restarts stays restarted
        counters[item.style] = n
        out.append(renumber(item.head, item.style, m, n))
        out.extend(flatten(item))
    return out


_NUMBER = re.compile(r"(?<![0-9０-９.．])([0-9０-９]+(?:[.．][0-9０-９]+)?)(?![0-9０-９])")
_YEAR_AFTER = ("年", "、", "—", "-", "～", "至", "")  # 1998年, 1998、1999年, 1998—2002年
_KEEP_AFTER = "月日号时点届次期号条款项章节"  # dates, ordinals, article numbers stay as they are


def _is_latin(char: str) -> bool:
    """Part of a model or standard name (C919, 5G, PM2.5): not a figure to vary."""
    return char.isascii() and char.isalpha()


class Localiser:
    """Per-report substitution: one compiled alternation for words, one pass for figures."""

    def __init__(self, rng: random.Random, place: str, level: str, year_shift: int, traditional: bool):
        self.rng, self.year_shift = rng, year_shift
        self.fig_scale = rng.uniform(0.6, 1.4)
        t = (lambda s: s.translate(S2T)) if traditional else (lambda s: s)
        gov = f"{level}政府"
        mayor = _person(rng)
        subunits = _subunits(rng, len(NATIONAL_PLACES))
        table = {
            "国务院总理": f"{place}{level}长",
            "國務院總理": t(f"{place}{level}長"),
            "国务院": gov,
            "國務院": t(gov),
            "全国人民代表大会": f"{place}{level}人民代表大会",
            "全國人民代表大會": t(f"{place}{level}人民代表大会"),
            "全国人大": f"{place}{level}人大",
            "全国政协": f"{place}{level}政协",
            "国内生产总值": "地区生产总值",
            "國內生產總值": "地區生產總值",
            "全国": f"全{level}",
            "全國": t(f"全{level}"),
            "我国": f"我{level}",
            "我國": t(f"我{level}"),
        }
        for premier in PREMIERS:
            name = mayor if premier in ("李克强", "李强", "周恩来") else _person(rng)
            table[premier + "总理"] = f"{name}{level}长"
            table[premier] = name
        for national, local in zip(NATIONAL_PLACES, subunits, strict=True):
            table[national] = t(local)
        if not traditional:  # each report words its verbs its own way: fewer identical sentences
            for pair in PARAPHRASES:
                if rng.random() < 0.5:
                    a, b = pair.split("/")
                    table[a], table[b] = (b, a) if rng.random() < 0.5 else (b, b)
        self.mayor = t(mayor)
        self.table = table

    def figure(self, m: re.Match) -> str:
        raw = m.group(1)
        after = m.string[m.end() : m.end() + 1]
        before = m.string[m.start() - 1 : m.start()] if m.start() else ""
        if (
            before == "第"
            or (after and after in _KEEP_AFTER)
            or (before and before in "（(" and after and after in "）)")  # inline (1) (2) numbering
            or _is_latin(before)
            or _is_latin(after)
        ):
            return raw
        full = raw[0] in "０１２３４５６７８９"
        value_s = raw.translate(_FULLWIDTH)
        value = float(value_s)
        if len(value_s) == 4 and "." not in value_s and 1900 <= value <= 2099 and after in _YEAR_AFTER:
            new = str(int(value) + self.year_shift)
        else:
            factor = self.fig_scale * self.rng.uniform(0.75, 1.25)
            if after in "%％":
                factor = self.rng.uniform(0.8, 1.2)
            decimals = len(value_s.split(".")[1]) if "." in value_s else 0
            scaled = round(value * factor, decimals)
            if scaled <= 0:
                return raw
            new = f"{scaled:.{decimals}f}" if decimals else str(int(scaled))
        return new.translate(_TO_FULLWIDTH) if full else new

    def __call__(self, text: str) -> str:
        found = marker_of(text)
        cut = found[1].end() if found else 0  # a heading's own number is not a figure
        text = _LOCAL_WORDS.sub(lambda m: self.table.get(m.group(0), m.group(0)), text)
        return text[:cut] + _NUMBER.sub(self.figure, text[cut:])


# Every word a Localiser may replace, compiled once (longest first); each report maps its own subset.
_NATIONAL_WORDS = _words(
    """
    国务院总理 國務院總理 国务院 國務院 全国人民代表大会 全國人民代表大會 全国人大 全国政协
    国内生产总值 國內生產總值 全国 全國 我国 我國
    """
)
_LOCAL_WORDS = re.compile(
    "|".join(
        re.escape(w)
        for w in sorted(
            {
                *_NATIONAL_WORDS,
                *(p + "总理" for p in PREMIERS),
                *PREMIERS,
                *NATIONAL_PLACES,
                *(w for pair in PARAPHRASES for w in pair.split("/")),
            },
            key=len,
            reverse=True,
        )
    )
)


def _person(rng: random.Random) -> str:
    given = rng.choice(GIVEN_CHARS) + (rng.choice(GIVEN_CHARS) if rng.random() < 0.75 else "")
    return rng.choice(SURNAMES) + given


def _subunits(rng: random.Random, n: int, kind: bool = True) -> list[str]:
    """n district/county/town names; without their kind (区, 镇 …) where the text supplies it."""
    return [
        rng.choice(SUBUNIT_HEADS) + rng.choice(SUBUNIT_TAILS) + (rng.choice(SUBUNIT_KINDS) if kind else "")
        for _ in range(n)
    ]


def gov_report(i: int, rng: random.Random, sources: list[Source], target: int) -> tuple[str, str]:
    """One generated government work report: (file stem, text)."""
    src = rng.choice(sources)
    place, roman, level = rng.choice(LOCALITIES)
    shift = rng.randint(-4, 4) if src.year < 2015 else rng.randint(-4, 2023 - src.year)
    year = src.year + shift
    loc = Localiser(rng, place, level, shift, src.traditional)
    t = (lambda s: s.translate(S2T)) if src.traditional else (lambda s: s)

    root = src.root
    borrowed: Node | None = None
    if rng.random() < 0.3:  # borrow one top-level section from a report of about the same years
        near = [s for s in sources if s is not src and abs(s.year - src.year) <= 8 and not s.traditional]
        tops = [n for s in near for n in s.root.items if isinstance(n, Node) and n.style == "cn"]
        if tops and any(isinstance(n, Node) and n.style == "cn" for n in root.items):
            borrowed = sample(rng.choice(tops), target * 0.25, rng)
    month, day, term, session = rng.randint(1, 3), rng.randint(1, 28), rng.randint(10, 18), rng.randint(1, 5)
    head = [
        t(f"{place}{level}{year}年政府工作报告"),
        t(f"——{year}年{month}月{day}日在{place}{level}第{int_to_cn(term)}届人民代表大会第{int_to_cn(session)}次会议上"),
        t(f"{place}{level}人民政府{level}长　") + loc.mayor,
        t("各位代表："),
    ]
    fixed = sum(map(len, head)) + sum(map(len, src.closing))
    # 0.95: paragraph separators and indents add about 5 % to the characters sampled
    budget = max(0.95 * (target - fixed - (borrowed.size if borrowed else 0)), 1500)
    body = sample(root, budget, rng)
    for _ in range(6):  # thinning is random: draw again, keep the closest
        if 0.92 * budget <= body.size <= 1.08 * budget or root.size <= budget:
            break
        again = sample(root, budget, rng)
        if abs(again.size - budget) < abs(body.size - budget):
            body = again
    if borrowed is not None:
        body = Node("", None, [*body.items, borrowed])
    paras = head + [loc(p) for p in flatten(body)] + [loc(p) for p in src.closing]
    indent = "\u3000\u3000" if rng.random() < 0.5 else ""
    sep = "\n\n" if rng.random() < 0.6 else "\n"
    text = sep.join(paras[:4]) + sep + sep.join(indent + p for p in paras[4:]) + "\n"
    return f"r{i:05d}-{roman}-{year}", text


# ---------------------------------------------------------------------------------------------
# Seed variants: other cities' overseas-Chinese affairs summaries (opt-in).

_CHUNK_MARKER = re.compile(r"(?m)^\d{1,2}、")
_FOOTER = re.compile(r"侨务系统年终工作总结第\d+页|第\d+页\s*共\d+页")
_PART = re.compile(r"[（(]([一二三四五六七八九十])[）)]")
_POINT = re.compile(r"([一二三四五六七八九十])是(?=[\u4e00-\u9fff])")


def seed_parts(seed_text: str) -> tuple[str, list[tuple[str, list[str]]]]:
    """The seed cleaned of chunk markers and footers: (preamble, [(part title, [points])])."""
    text = _FOOTER.sub("", _CHUNK_MARKER.sub("", seed_text)).replace("\n", "").strip()
    pieces = _PART.split(text)
    preamble, parts = pieces[0].strip(), []
    for k in range(1, len(pieces) - 1, 2):
        body = pieces[k + 1].strip()
        title, _, rest = body.partition("。")
        chunks, expected, last = [], 1, 0
        for m in _POINT.finditer(rest):
            if cn_to_int(m.group(1)) == expected:
                if expected > 1:
                    chunks.append(rest[last : m.start()])
                last, expected = m.end(), expected + 1
        chunks.append(rest[last:])
        parts.append((title + "。", [c.strip() for c in chunks if c.strip()]))
    return preamble, parts


def seed_variant(i: int, rng: random.Random, seed_text: str) -> tuple[str, str]:
    """Another city's year-end summary rewritten from the seed: (file stem, text)."""
    place, roman, level = rng.choice(LOCALITIES)
    year = rng.randint(2012, 2023)
    loc = Localiser(rng, place, level, 0, False)
    people = {p: _person(rng) for p in SEED_PEOPLE}
    places = dict(zip(SEED_PLACES, _subunits(rng, len(SEED_PLACES), kind=False), strict=True))
    places["苏州"], places["江苏"] = place, rng.choice(("广东", "福建", "浙江", "山东", "广西", "海南"))
    foreign = dict(zip(SEED_FOREIGN, rng.sample(FOREIGN_POOL, len(SEED_FOREIGN)), strict=True))
    table = {**people, **places, **foreign, "xx年": f"{year}年", "XX市": f"{place}市"}
    table["来苏"] = f"来{place[0]}"  # 苏 short for 苏州
    words = re.compile("|".join(sorted(map(re.escape, table), key=len, reverse=True)))

    preamble, parts = seed_parts(seed_text)
    parts = list(parts)
    if rng.random() < 0.5:  # the parts' order varies between cities
        rng.shuffle(parts)
    lines = [f"{place}{level}侨务系统{year}年工作总结", preamble.split("总结", 1)[-1].strip()]
    for k, (title, points) in enumerate(parts, 1):
        kept = [p for p in points if rng.random() < 0.8] or points[:2]
        body = ""
        for j, point in enumerate(kept, 1):  # each point keeps its title sentence, loses a few others
            first, *rest = _SENTENCE_END.split(point)
            body += f"{int_to_cn(j)}是{first}" + "".join(s for s in rest if rng.random() < 0.85)
        lines.append(f"（{int_to_cn(k)}）{title}{body}")
    text = "\n".join(lines) + "\n"
    text = words.sub(lambda m: table[m.group(0)], text)
    return f"r{i:05d}-{roman}-qiaowu-{year}", loc(text)


# ---------------------------------------------------------------------------------------------


@dataclass
class CorpusStats:
    reports: int
    generated: int
    chars: int
    seconds: float
    out: Path


def find_gov_dir() -> Path:
    if GOV_DIR.is_dir() and any(GOV_DIR.glob("*.txt")):
        return GOV_DIR
    raise FileNotFoundError(f"government reports not found in {GOV_DIR}; pass --gov DIR (the folder of govYYYY.txt)")


def load_sources(gov_dir: Path) -> list[Source]:
    return [parse_source(p) for p in sorted(gov_dir.glob("*.txt"))]


def generate(
    out: Path | str,
    reports: int,
    seed: int = 7,
    gov_dir: Path | str | None = None,
    base: Path | str | None = None,
    seed_variants: float = 0.0,
    force: bool = False,
) -> CorpusStats:
    """Write a knowledge directory of `reports` reports: `base` (the shipped knowledge) + generated ones.

    Everything in `base` is copied as is (the seed report verbatim, FAQ, synonyms, word list);
    generated reports make up the rest of the count. `out` must be empty or absent unless `force`,
    which deletes its previous contents first.
    """
    started = time.perf_counter()
    out, base = Path(out), Path(base or SHIPPED_KNOWLEDGE)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise FileExistsError(f"{out} is not empty; pass --force to replace it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(base, out, dirs_exist_ok=True)
    existing = sorted(out.rglob("*.txt"))
    chars = sum(len(p.read_text(encoding="utf-8")) for p in existing)
    generated = max(reports - len(existing), 0)
    if generated:
        sources = load_sources(Path(gov_dir) if gov_dir else find_gov_dir())
        seed_text = (base / SEED_NAME).read_text(encoding="utf-8") if seed_variants else ""
        for i in range(1, generated + 1):
            rng = random.Random(f"{seed}:{i}")
            target = int(rng.uniform(0.6, 1.4) * MEAN_REPORT_CHARS)
            if seed_text and rng.random() < seed_variants:
                stem, text = seed_variant(i, rng, seed_text)
            else:
                stem, text = gov_report(i, rng, sources, target)
            (out / f"{stem}.txt").write_text(text, encoding="utf-8")
            chars += len(text)
    return CorpusStats(len(existing) + generated, generated, chars, time.perf_counter() - started, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.corpus",
        description="Generate a knowledge directory of N reports (the shipped one + generated ones).",
    )
    parser.add_argument("--reports", type=int, required=True, help="number of reports in total (≥ 1)")
    parser.add_argument("--out", type=Path, required=True, help="directory to write (created)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--gov", type=Path, help="folder of govYYYY.txt (default benchmarks/data/gov)")
    parser.add_argument("--base", type=Path, help="knowledge to include as is (default knowledge/)")
    parser.add_argument(
        "--seed-variants",
        type=float,
        default=0.0,
        metavar="F",
        help="fraction of generated reports rewritten from the seed (default 0; see the module doc)",
    )
    parser.add_argument("--force", action="store_true", help="replace the contents of a non-empty --out")
    args = parser.parse_args(argv)
    if args.reports < 1:
        parser.error("--reports must be at least 1")
    try:
        stats = generate(args.out, args.reports, args.seed, args.gov, args.base, args.seed_variants, force=args.force)
    except (FileExistsError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"{stats.reports} reports ({stats.generated} generated), {stats.chars:,} characters "
        f"in {stats.seconds:.1f} s → {stats.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
