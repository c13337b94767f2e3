"""Reports laid out as offices write them: the outline (title, year, issuer, section tree) and the
statements the parser makes of each. Each report below is short and written for the test, one per
layout; the shipped report and the government reports are pinned in test_parser.py."""

from __future__ import annotations

import pytest

from bot.normalize import balance_quotes
from bot.parser import parse_text

STARTS_AT_SEVEN = """七、加强侨务干部队伍建设
全年举办侨务干部培训班两期，培训基层侨务干部一百二十人次。
八、2024年工作打算
（一）做好为侨服务工作
继续开展“侨胞之家”创建活动，新建侨胞之家五个。
（二）深化海外联谊
组织海外侨团访问团三批次。
"""
RESTARTS = """某市侨办2023年工作总结和2024年工作思路
一、2023年工作总结
一、固本强基，侨务基础工作更加扎实
完成全市侨情调查，建立归侨侨眷数据库，录入信息八千余条。
二、凝心聚力，海外联谊更加广泛
接待海外侨团来访三十六批次。
二、2024年工作思路
一、围绕中心服务大局
力争引进侨资项目十个以上。
"""
PARAGRAPH_POINTS = """某县侨联2023年工作总结
一、强化思想引领
一是深化理论学习。全年组织专题学习十二次，参加人数三百余人次。开展“侨界大讲堂”活动四场，邀请专家学者解读政策。
二是加强宣传阵地建设，新建侨界宣传栏六处，在县融媒体中心开设“侨乡风采”专栏，刊发稿件四十余篇。
二、提升服务水平
一是落实帮扶政策。走访慰问困难侨户八十户，发放慰问金十二万元。
"""
TITLE_THEN_BODY = """鹿城区侨联2023年工作总结
2023年，区侨联在区委的坚强领导下，紧紧围绕全区中心工作，团结带领广大归侨侨眷凝心聚力，各项工作取得新成效。
一、凝聚侨心
举办侨界迎春茶话会，邀请侨界代表一百五十人参加。
二、服务发展
协助侨资企业解决用工难题二十余件。
"""
WEB_PAGE = """当前位置：首页 > 工作动态 > 正文
南昌市外侨办2023年工作总结
2024-01-08 10:30　来源：市外侨办　作者：王伟
http://www.example.gov.cn/art/2024/1/8/art_1.html
浏览次数：1024
2023年，我办坚持以习近平新时代中国特色社会主义思想为指导，全面推进外事侨务工作。
一、对外交流
全年接待外国政要团组十五批次，会见时间一般安排在上午10:30开始。
二、侨务工作
开通“侨务服务直通车”网上平台（网址http://qiao.example.gov.cn/service?id=3&type=1），受理侨胞咨询二百余件。
第1页 共1页
"""
ARABIC_LEVELS = """某区外侨办2023年工作总结
一、外事工作
1.因公出访管理
全年审核因公出访团组二十个、一百零五人次。
2.外事接待
（1）接待来访团组。接待日本、韩国等国家友好城市代表团八批次。
（2）服务重大活动。为国际马拉松赛提供翻译志愿者六十名。
二、侨务工作
1.侨情调研
完成重点侨情专题调研三篇。
"""
LISTS_AND_POINTS = """某市侨办关于2023年工作情况的报告
一、主要工作
（一）海外联谊
全年组团出访三批次，主要团组有：
1.赴泰国侨团访问团
2.赴马来西亚经贸考察团
3.赴新加坡华文教育交流团
（二）华文教育
第一，举办华裔青少年夏令营两期，营员二百名。第二，选派华文教师十名赴印尼任教。
（三）侨务宣传
①编印《侨乡》杂志四期；②拍摄专题片“侨心向党”一部。
二、存在的问题
侨务干部力量仍然不足。
"""
SKIPS_AND_SIGNED = """某县侨务办公室2022年度工作总结
一、基础工作
全县共有归侨侨眷一万二千人，比上年增长2.5%。
二、联谊工作
海外侨胞捐资兴办公益项目三个，捐款金额1200.5万元。
四、下一步打算
做好侨务信息化建设。
XX县人民政府侨务办公室
2023年1月10日
"""
PARTS = """某市侨联2023年工作总结和2024年工作安排
第一部分 2023年工作回顾
一、组织建设
新发展会员二百名。
二、联谊交流
接待海外侨团十批次。
第二部分 2024年工作安排
一、深化联谊
计划举办联谊活动六场。
"""
INDENTED_WITH_INLINE_POINTS = """温州市鹿城区归国华侨联合会2023年工作总结及2024年工作思路

　　2023年，在区委的坚强领导和市侨联的指导下，区侨联坚持以习近平新时代中国特色社会主义思想为指导，深入学习贯彻党的二十大精神，团结引领广大归侨侨眷和海外侨胞，各项工作取得新成效。现将有关情况总结如下：

　　一、2023年工作总结

　　（一）坚持政治引领，凝聚侨心更加有力。一是深化主题教育。组织侨联机关干部开展专题学习8次。二是加强思想引领。组织侨界人士参加“侨心向党”主题活动12场次，覆盖侨界群众1500余人次。

　　（二）坚持服务大局，为侨服务更加精准。全年协调解决侨界群众急难愁盼问题46件，为侨企提供法律咨询服务30余次，帮助引进海外人才项目5个，总投资2.3亿元。

　　二、2024年工作思路

　　2024年，区侨联将紧紧围绕区委中心工作，重点做好以下工作：一是强化思想政治引领；二是深化为侨服务；三是加强自身建设，不断提升侨联组织的凝聚力和影响力。
"""
OFFICIAL_DOCUMENT = """鹿侨〔2024〕3号
标题：鹿城区侨办关于2023年工作情况的报告
签发人：李明
一、主要工作
全年办理涉侨事务一百二十件。
（此件公开发布）
"""

# (report, title, year, issuer, {path: heading}, warnings that must be among the build's)
LAYOUTS = [
    (STARTS_AT_SEVEN, "forwarded", None, "",
     {(0,): "前言", (7,): "七、加强侨务干部队伍建设", (8,): "八、2024年工作打算", (8, 1): "（一）做好为侨服务工作",
      (8, 2): "（二）深化海外联谊"},
     ["numbering starts at 七、"]),
    (RESTARTS, "某市侨办2023年工作总结和2024年工作思路", 2023, "某市侨办",
     {(0,): "前言", (1,): "一、2023年工作总结", (2,): "一、固本强基，侨务基础工作更加扎实",
      (3,): "二、凝心聚力，海外联谊更加广泛", (4,): "二、2024年工作思路", (5,): "一、围绕中心服务大局"},
     ["numbering restarts at 一、", "一、2023年工作总结 has no statements"]),
    (PARAGRAPH_POINTS, "某县侨联2023年工作总结", 2023, "某县侨联",
     {(0,): "前言", (1,): "一、强化思想引领", (1, 1): "一是深化理论学习", (1, 2): "二是加强宣传阵地建设",
      (2,): "二、提升服务水平", (2, 1): "一是落实帮扶政策"},
     []),
    (TITLE_THEN_BODY, "鹿城区侨联2023年工作总结", 2023, "鹿城区侨联",
     {(0,): "前言", (1,): "一、凝聚侨心", (2,): "二、服务发展"}, []),
    (WEB_PAGE, "南昌市外侨办2023年工作总结", 2023, "南昌市外侨办",
     {(0,): "前言", (1,): "一、对外交流", (2,): "二、侨务工作"},
     ["dropped as front matter: 当前位置：首页 > 工作动态 > 正文", "dropped as front matter: 浏览次数：1024",
      "dropped as front matter: 2024-01-08 10:30\u3000来源：市外侨办\u3000作者：王伟"]),
    (ARABIC_LEVELS, "某区外侨办2023年工作总结", 2023, "某区外侨办",
     {(0,): "前言", (1,): "一、外事工作", (1, 1): "1.因公出访管理", (1, 2): "2.外事接待",
      (1, 2, 1): "（1）接待来访团组", (1, 2, 2): "（2）服务重大活动", (2,): "二、侨务工作", (2, 1): "1.侨情调研"},
     []),
    (LISTS_AND_POINTS, "某市侨办关于2023年工作情况的报告", 2023, "某市侨办",
     {(0,): "前言", (1,): "一、主要工作", (1, 1): "（一）海外联谊", (1, 2): "（二）华文教育",
      (1, 2, 1): "第一，举办华裔青少年夏令营两期，营员二百名", (1, 2, 2): "第二，选派华文教师十名赴印尼任教",
      (1, 3): "（三）侨务宣传", (1, 3, 1): "①编印《侨乡》杂志四期", (1, 3, 2): "②拍摄专题片“侨心向党”一部",
      (2,): "二、存在的问题"},
     []),
    (SKIPS_AND_SIGNED, "某县侨务办公室2022年度工作总结", 2022, "某县侨务办公室",
     {(0,): "前言", (1,): "一、基础工作", (2,): "二、联谊工作", (4,): "四、下一步打算"},
     ["numbering skips to 四、 after 2"]),
    (PARTS, "某市侨联2023年工作总结和2024年工作安排", 2023, "某市侨联",
     {(0,): "前言", (1,): "第一部分 2023年工作回顾", (1, 1): "一、组织建设", (1, 2): "二、联谊交流",
      (2,): "第二部分 2024年工作安排", (2, 1): "一、深化联谊"}, []),
    (INDENTED_WITH_INLINE_POINTS, "温州市鹿城区归国华侨联合会2023年工作总结及2024年工作思路", 2023, "温州市鹿城区归国华侨联合会",
     {(0,): "前言", (1,): "一、2023年工作总结", (1, 1): "（一）坚持政治引领，凝聚侨心更加有力",
      (1, 1, 1): "一是深化主题教育", (1, 1, 2): "二是加强思想引领", (1, 2): "（二）坚持服务大局，为侨服务更加精准",
      (2,): "二、2024年工作思路", (2, 1): "一是强化思想政治引领", (2, 2): "二是深化为侨服务",
      (2, 3): "三是加强自身建设，不断提升侨联组织的凝聚力和影响力"}, []),
    (OFFICIAL_DOCUMENT, "鹿城区侨办关于2023年工作情况的报告", 2023, "鹿城区侨办",
     {(0,): "前言", (1,): "一、主要工作"}, ["dropped as front matter: 鹿侨〔2024〕3号"]),
]


@pytest.mark.parametrize(("text", "title", "year", "issuer", "tree", "warnings"), LAYOUTS,
                         ids=["starts-at-seven", "restarts", "paragraph-points", "title-then-body", "web-page",
                              "arabic-levels", "lists-and-points", "skips-and-signed", "parts",
                              "indented-with-inline-points", "official-document"])
def test_outline_of_each_layout(text, title, year, issuer, tree, warnings):
    report = parse_text("forwarded", text)
    assert (report.title, report.year, report.issuer) == (title, year, issuer)
    assert {s.path: s.heading for s in report.sections} == tree
    assert set(warnings) <= set(report.warnings), report.warnings


def statements(text: str) -> dict[tuple[int, ...], list[str]]:
    out: dict[tuple[int, ...], list[str]] = {}
    for f in parse_text("r", text).facts:
        out.setdefault(f.path, []).append(f.text)
    return out


def test_paragraph_points_keep_their_statements():
    facts = statements(PARAGRAPH_POINTS)
    assert facts[(1, 1)] == ["全年组织专题学习十二次，参加人数三百余人次。", "开展“侨界大讲堂”活动四场，邀请专家学者解读政策。"]
    assert facts[(1, 2)] == ["加强宣传阵地建设，新建侨界宣传栏六处，在县融媒体中心开设“侨乡风采”专栏，刊发稿件四十余篇。"]
    assert statements(LISTS_AND_POINTS)[(1, 3, 1)] == ["编印《侨乡》杂志四期；"]


def test_a_point_written_as_one_sentence_is_its_own_statement():
    report = parse_text("r", "某区侨联工作总结\n一、主要工作\n1.走访慰问：走访归侨侨眷386户。\n"
                             "2.文艺活动：组织演出12场。\n二、下一步打算\n继续做好联谊工作。\n")
    facts = {f.path: f.text for f in report.facts}
    assert facts[(1, 1)] == "走访慰问：走访归侨侨眷386户。" and facts[(1, 2)] == "文艺活动：组织演出12场。"
    assert not any("has no statements" in w for w in report.warnings)


def test_title_on_two_lines_is_one_title():
    report = parse_text("r", "温州市鹿城区归国华侨联合会\n2023年工作总结\n全年接待侨胞三百人次。\n一、联谊\n举办活动两场。\n")
    assert report.title == "温州市鹿城区归国华侨联合会2023年工作总结"
    assert [f.text for f in report.facts] == ["全年接待侨胞三百人次。", "举办活动两场。"]


def test_front_matter_title_and_signature_stay_out_of_the_statements():
    every = [t for texts in statements(WEB_PAGE).values() for t in texts]
    assert every[0].startswith("2023年，我办坚持")
    assert not any(word in t for t in every for word in ("当前位置", "作者", "浏览次数", "art_1.html", "第1页"))
    assert statements(TITLE_THEN_BODY)[(0,)] == [TITLE_THEN_BODY.splitlines()[1]]
    assert statements(SKIPS_AND_SIGNED)[(4,)] == ["做好侨务信息化建设。"]


def test_colon_lead_in_stays_with_its_items():
    assert statements(LISTS_AND_POINTS)[(1, 1)] == [
        "全年组团出访三批次，主要团组有：赴泰国侨团访问团、赴马来西亚经贸考察团、赴新加坡华文教育交流团。"]
    assert statements("侨情调查：全市共有归侨侨眷八万人。")[(0,)] == ["侨情调查：全市共有归侨侨眷八万人。"]
    listed = "全年共接待来访：华侨一百二十人；华人八十人；港澳同胞五十人。"
    assert statements(listed + "另有团组三批。")[(0,)] == [listed, "另有团组三批。"]  # each figure keeps 接待来访


@pytest.mark.parametrize("sentence", [
    "开通网上平台（网址http://qiao.example.gov.cn/service?id=3&type=1），受理咨询二百余件。",
    "会见时间一般安排在上午10:30开始，下午3:00结束。",
    "捐款金额1200.5万元，比上年增长2.5%。",
    "他说：“我们要加油！大家一起努力。”会场掌声雷动。",
])
def test_statement_is_not_split_inside_urls_times_decimals_or_quotes(sentence):
    assert statements(sentence)[(0,)] == [sentence]


def test_entity_debris_is_repaired_and_splits_nothing():
    assert statements("主要做法有&#8226;走访侨户X8226;慰问侨眷。")[(0,)] == ["主要做法有•走访侨户•慰问侨眷。"]
    assert statements("X8226;走访归侨侨眷320户；X8226;举办夏令营一期。")[(0,)] == ["走访归侨侨眷320户；", "举办夏令营一期。"]


@pytest.mark.parametrize(("text", "repaired"), [
    ("开展“进侨企、进党校、进社区、进农村”活动", "开展“进侨企、进党校、进社区、进农村”活动"),  # balanced: untouched
    ("打造〝侨胞之家〞品牌", "打造〝侨胞之家〞品牌"),  # 〞 closes
    ("建设“三区三城总目标,充分发挥", "建设“三区三城总目标”,充分发挥"),  # left open: closed at the comma
])
def test_quote_repair_leaves_balanced_quotes_alone(text, repaired):
    assert balance_quotes(text) == repaired


SIGNED_BODY = "区侨联工作总结\n一、联谊交流\n举办联谊活动两场，接待侨胞三百人次。\n"


@pytest.mark.parametrize(("signature", "year", "issuer"), [
    ("（温州市鹿城区侨联 2023年12月）", 2023, "温州市鹿城区侨联"),
    ("(某市侨办，2023年12月)", 2023, "某市侨办"),
    ("温州市鹿城区侨联\n2023年12月20日", 2023, "温州市鹿城区侨联"),
    ("XX县人民政府侨务办公室\n二〇二三年十二月二十日", 2023, "XX县人民政府侨务办公室"),
    ("鹿城区侨办\n2024年1月10日", 2023, "鹿城区侨办"),  # a year-end report signed in January
])
def test_signature_gives_issuer_and_year_and_is_no_statement(signature, year, issuer):
    report = parse_text("signed", SIGNED_BODY + signature + "\n")
    assert (report.year, report.issuer) == (year, issuer)
    assert [f.text for f in report.facts] == ["举办联谊活动两场，接待侨胞三百人次。"]
    assert not any("front matter" in w for w in report.warnings)


def test_year_of_the_title_wins_over_the_signature_date():
    signed = SIGNED_BODY.replace("区侨联工作总结", "某县侨办2022年度工作总结") + "2023年3月1日\n"
    assert parse_text("r", signed).year == 2022


PLAN = """某市侨办2023年工作总结
一、下一步打算
1.做好侨务信息化建设。
2.深化海外联谊，组织访问团三批次。
3.推进华文教育。
4.加强队伍建设。
5.强化调查研究，完成调研报告三篇。
{between}{restart}.落实经费保障，安排专项经费五十万元。
二、存在问题
干部力量不足。
"""


@pytest.mark.parametrize(("between", "restart", "tree", "warning"), [
    # the new list's heading has no marker: it takes the points' place and the list goes under it
    ("保障措施\n", "1", {(1, 5): "5.强化调查研究，完成调研报告三篇", (1, 6): "保障措施",
                      (1, 6, 1): "1.落实经费保障，安排专项经费五十万元"}, "a heading without a marker: 保障措施"),
    ("保障措施\n", "2", {(1, 5): "5.强化调查研究，完成调研报告三篇", (1, 6): "保障措施",
                      (1, 6, 2): "2.落实经费保障，安排专项经费五十万元"}, "numbering starts at 2."),
    # no heading at all: a new point after the others, not glued into point 5
    ("", "2", {(1, 5): "5.强化调查研究，完成调研报告三篇", (1, 6): "2.落实经费保障，安排专项经费五十万元"},
     "numbering goes back to 2. after 5"),
])
def test_numbering_that_goes_back_starts_a_new_point(between, restart, tree, warning):
    report = parse_text("plan", PLAN.format(between=between, restart=restart))
    headings = {s.path: s.heading for s in report.sections}
    assert tree.items() <= headings.items(), headings
    facts = {f.path: f.text for f in report.facts}
    assert facts[(1, 5)] == "强化调查研究，完成调研报告三篇。"
    assert "落实经费保障，安排专项经费五十万元。" in facts.values() and facts[(2,)] == "干部力量不足。"
    assert warning in report.warnings
