"""The section tree and facts the parser makes of the seed report and of government reports."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest

from bot.curated import read_curated
from bot.parser import cn_to_int, join_chunks, parse_file, parse_text, remove_footers

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "knowledge" / "qiaowu-year-end-summary.txt"
GOV = REPO / "tests" / "eval" / "gov2019.txt"

SEED_TREE = {
    (0,): "前言",
    (1,): "（一）发挥侨务优势，服务发展大局的能力得到新提高",
    (1, 1): "一是搭建平台招才引智",
    (1, 2): "二是主动跟进开展服务",
    (1, 3): "三是助推侨企转型升级",
    (2,): "（二）注重联谊引导，涵养侨务资源的领域有了新拓展",
    (2, 1): "一是请进来联谊",
    (2, 2): "二是走出去联谊",
    (2, 3): "三是运用信息化联谊",
    (3,): "（三）着力改善民生，侨界和谐发展的局面获得新巩固",
    (3, 1): "一是注重精神关爱",
    (3, 2): "二是打造社区品牌",
    (3, 3): "三是依法指导捐赠",
    (4,): "（四）坚持以侨为桥，侨务宣传工作的影响力实现新提升",
    (4, 1): "一是拓宽宣传渠道",
    (4, 2): "二是加强载体建设",
    (4, 3): "三是放大侨的声音",
    (5,): "（五）突出创新引领，侨务工作体系机制建设取得新突破",
    (5, 1): "一是注重理论创新",
    (5, 2): "二是注重立法创新",
    (5, 3): "三是注重机制创新",
}


@pytest.fixture(scope="module")
def seed():
    curated = read_curated(REPO / "knowledge")
    return parse_file(SEED, curated.corrections_for(SEED.stem))


SEED_STATEMENTS = {(0,): 1, (1, 1): 6, (1, 2): 6, (1, 3): 7, (2, 1): 3, (2, 2): 2, (2, 3): 8, (3, 1): 7, (3, 2): 7,
                   (3, 3): 11, (4, 1): 5, (4, 2): 3, (4, 3): 4, (5, 1): 3, (5, 2): 5, (5, 3): 2}
# Every statement of the shipped report, repaired and original, as the parser made them before
# Word/PDF reading and the new layouts arrived: a change to how reports are read must leave them.
SEED_STATEMENTS_SHA256 = "b00af023ff4ea06c25c3b3b6a300aed417771974c6f198ee8c8aa9e64a30cf8c"


def test_seed_tree_is_pinned(seed):
    assert seed.title == "侨务系统年终工作总结"
    assert {s.path: s.heading for s in seed.sections} == SEED_TREE


def test_seed_statements_are_pinned(seed):
    assert Counter(f.path for f in seed.facts) == SEED_STATEMENTS
    joined = "\n".join(f"{f.text}\t{f.original}" for f in seed.facts)
    assert hashlib.sha256(joined.encode()).hexdigest() == SEED_STATEMENTS_SHA256


@pytest.mark.parametrize(
    ("path", "first", "last"),
    [
        ((0,), "全市侨务系统紧紧围绕", "各项工作取得新的成效"),
        ((1, 1), "参与承办", "集聚华侨华人高层次人才1200多人次"),
        ((1, 3), "深入侨企调研", "申请办理了apec商务卡"),
        ((2, 3), "运用msn", "开发了海外侨情综合管理系统"),
        ((3, 2), "深入开展全国社区侨务工作", "营造“亲水侨家”"),
        ((5, 3), "着眼苏州侨情的新变化", "召开了第一次会议"),
    ],
)
def test_seed_section_boundaries(seed, path, first, last):
    facts = [f.text for f in seed.facts if f.path == path]
    assert first in facts[0]
    assert last in facts[-1]


def test_no_chunk_marker_footer_or_artifact_left(seed):
    for f in seed.facts:
        assert not re.search(r"第\d+页|共\d+页|侨务系统年终工作总结", f.text), f.text
        assert "效劳" not in f.text and "千人方案" not in f.text
    texts = "".join(f.text for f in seed.facts)
    # Chunk breaks joined back: 得到X|X县区委 and 三|是助推, and the footer cut out of 侨…之家.
    assert "得到XX县区委" in texts
    assert "侨之家品牌" in texts
    assert texts.count("“") == texts.count("”")


def test_original_wording_is_kept_for_quoting(seed):
    fact = next(f for f in seed.facts if "微信群" in f.text)
    assert "服务" in fact.text and "效劳" in fact.original


def test_join_chunks_only_joins_numbered_broken_lines():
    assert join_chunks("1、一是搭建平台得到X\n2、X县区委的批示。") == "一是搭建平台得到XX县区委的批示。"
    listing = "1、第一条。\n2、第二条。\n3、第三条。"
    assert join_chunks(listing) == listing


def test_footer_removed_mid_word():
    assert remove_footers("倾情打造“侨侨务系统年终工作总结第2页 之家品牌", "侨务系统年终工作总结") == "倾情打造“侨之家品牌"
    assert remove_footers("结束。 第7页 共7页", "") == "结束。"


@pytest.mark.parametrize(("text", "n"), [("一", 1), ("十", 10), ("十二", 12), ("二十三", 23), ("7", 7)])
def test_chinese_numerals(text, n):
    assert cn_to_int(text) == n


def test_report_without_numbering_yields_facts_under_preamble():
    report = parse_text("plain", "今天开了一个会。会上讨论了三件事。\n\n大家都很满意。")
    assert [s.path for s in report.sections] == [(0,)]
    assert [f.path for f in report.facts] == [(0,), (0,), (0,)]


def test_gov2019_structure():
    report = parse_file(GOV)
    paths = {s.path: s.heading for s in report.sections}
    assert paths[(1,)] == "一、2018年工作回顾"
    assert paths[(1, 1)].startswith("一是创新和完善宏观调控")
    assert paths[(3,)] == "三、2019年政府工作任务"
    assert [p for p in paths if p[:1] == (3,) and len(p) == 2] == [(3, i) for i in range(1, 11)]
    assert paths[(3, 10)].startswith("（十）加快发展社会事业")
    assert not any("Public domain" in f.text or "本作品" in f.text for f in report.facts)


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        ("2010", {(1,): "一、2009年工作回顾", (1, 1): "（一）加强和改善宏观调控", (2,): "二、2010年主要任务"}),
        ("2005", {(2, 1): "一是着力搞好宏观调控", (3, 2, 1): "一是", (6, 1): "第一，深化政府机构改革"}),
        ("1978", {(3, 1): "第一，全国动员，大办农业", (3, 1, 1): "（一）", (6,): "六、国际形势和我国对外政策"}),
    ],
)
def test_government_reports_structure(year, expected):
    source = REPO / "benchmarks" / "data" / "gov" / f"gov{year}.txt"
    report = parse_text(source.stem, source.read_text(encoding="utf-8"))
    headings = {s.path: s.heading for s in report.sections}
    for p, start in expected.items():
        assert headings[p].startswith(start), (p, headings.get(p))
