"""Linking against the whole network: the official communities and their short forms, places people
write, traditional script, ambiguous terms resolved by context with a confidence, places outside
Chaoyang, enterprises by the names people write — and the labelled sets in bench/data."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from yuqing.alerts.linking import Linker, linker_for
from yuqing.alerts.orgimport import apply_plan, plan_import
from yuqing.pipeline.core.org import load_org

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def linker(octx) -> Linker:
    return linker_for(load_org(octx))


def names(linker: Linker, result) -> list[str]:
    return [] if result.default else [linker.org.display_name(u) for u in result.units]


@pytest.mark.parametrize("text, expected", [
    ("南郎家园社区居委会通知", ["南郎家园社区"]),
    ("南郎家园社区有人反映", ["南郎家园社区"]),
    ("住在南郎家园的快递员", ["南郎家园社区"]),
    ("南郎家园小区的物业", ["南郎家园社区"]),
    ("崔各庄望京村的村民", ["望京村"]),
    ("芍药居的外卖员", ["太阳宫地区总工会"]),            # a compound of five communities → their 街乡
    ("百子湾那边的工地", ["南磨房地区总工会"]),
    ("國貿的白領", ["北京商务中心区（CBD）工会"]),       # traditional script
    ("ＳＫＰ的柜姐", ["北京商务中心区（CBD）工会"]),     # full width
    ("亮马桥的餐厅", ["麦子店街道总工会"]),
    ("奥体中心的保安", ["亚运村街道总工会"]),
])
def test_communities_compounds_and_places(linker, text, expected):
    assert names(linker, linker.link(text)) == expected


@pytest.mark.parametrize("text, expected, note", [
    ("望京又堵车了", ["望京街道总工会"], "望京村"),
    ("平房那边的工地欠薪", ["平房地区总工会"], "房屋"),
    ("小时候住平房，冬天很冷", [], "房屋"),
    ("高碑店的快递站裁员", ["高碑店地区总工会"], "高碑店市"),
    ("高碑店东站附近的工厂，河北保定那边", [], "高碑店市"),
    ("朝阳门的写字楼", [], "东城区"),
    ("辽宁朝阳市的煤矿", [], "辽宁"),
])
def test_ambiguous_terms_are_resolved_by_context_and_say_so(linker, text, expected, note):
    result = linker.link(text)
    assert names(linker, result) == expected
    assert any(note in n for n in result.notes), result.notes
    if expected:
        assert 0 < result.confidence < 0.95     # a resolved ambiguity is never full confidence


def test_context_raises_the_confidence_of_a_sense(linker):
    bare = linker.link("高碑店有个仓库")
    with_cues = linker.link("朝阳高碑店地铁站旁边的仓库，四惠过去一站")
    assert names(linker, bare) == names(linker, with_cues) == ["高碑店地区总工会"]
    assert with_cues.confidence > bare.confidence


@pytest.mark.parametrize("text", ["今天景色美丽景色宜人", "华星光电又要招人了", "快递单号17985已签收", "上海的外卖员"])
def test_words_that_only_look_like_names_do_not_link(linker, text):
    assert linker.link(text).default


def test_enterprises_by_the_names_people_write(octx):
    roster = "单位名称,上级单位\n北京瑞丰恒达科技有限公司,南郎家园社区\n北京顺捷同城配送有限公司,皮村\n北京东方明远汽车维修有限公司,管庄地区\n"
    apply_plan(octx, plan_import(octx, roster.encode(), "r.csv"), by="t")
    linker = linker_for(load_org(octx))
    for text, name in [("北京瑞丰恒达科技有限公司拖欠工资", "北京瑞丰恒达科技有限公司"),
                       ("瑞丰恒达科技又裁员", "北京瑞丰恒达科技有限公司"),
                       ("瑞丰恒达的程序员", "北京瑞丰恒达科技有限公司"),
                       ("顺捷配送的骑手被罚款", "北京顺捷同城配送有限公司"),
                       ("东方明远汽修的师傅", "北京东方明远汽车维修有限公司")]:
        assert names(linker, linker.link(text)) == [name], text
    assert linker.link("东方明远银行的柜员").default           # another business with the same trade name


def _bench_linking():
    spec = importlib.util.spec_from_file_location("bench_linking", ROOT / "bench" / "linking.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_labelled_sets_precision_and_recall_per_level(octx):
    """``python bench/linking.py`` prints these numbers; here they guard against regressions."""
    bench = _bench_linking()
    roster = bench.DATA / "linking-roster.csv"
    apply_plan(octx, plan_import(octx, roster.read_bytes(), roster.name), by="t")
    org = load_org(octx)
    for name in bench.SETS:
        result = bench.evaluate(org, bench.load_items(name))
        for level in ("district", "subdistrict", "community", "enterprise"):
            assert result[level]["precision"] >= 0.9 and result[level]["recall"] >= 0.85, (name, level, result[level])
