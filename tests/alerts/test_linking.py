"""Linking posts to the hierarchy: most specific units, ambiguity, location fields, confidence."""

from __future__ import annotations

import pytest

from yuqing.alerts.linking import Linker, LinkStage
from yuqing.pipeline.core.org import load_org
from yuqing.pipeline.core.record import Post


@pytest.fixture
def linker(ctx):
    return Linker(load_org(ctx))


def test_most_specific_unit_wins_and_ancestors_raise_confidence(linker):
    alone = linker.link("华星互联又裁员了")
    full = linker.link("北京市朝阳区望京街道花家地社区的华星互联科技又裁员了")
    assert alone.units == full.units == ["qy-huaxing-tech"]
    assert full.path == ["qy-huaxing-tech", "sq-huajiadi", "jd-wangjing", "chaoyang"]
    assert full.confidence > alone.confidence


def test_landmarks_and_longest_match(linker):
    assert linker.link("望京SOHO楼下有人讨薪").units == ["jd-wangjing"]
    assert linker.link("三里屯太古里的店员说被拖欠工资").units == ["jd-sanlitun"]
    assert linker.link("国贸写字楼加班到凌晨").units == ["cbd"]
    assert linker.link("ＣＢＤ的白领").units == ["cbd"]          # full-width folded


def test_latin_and_digit_terms_need_boundaries(linker):
    assert linker.link("今天去798看展").units == ["jd-jiuxianqiao"]
    result = linker.link("快递单号17985已签收")
    assert result.default and result.units == ["chaoyang"] and result.confidence == 0.0


def test_border_landmark_links_both_units_unless_context_decides(linker):
    both = linker.link("朝阳公园南门有人拉横幅")
    assert sorted(both.units) == ["dq-dongfeng", "jd-maizidian"] and both.confidence < 0.5
    assert any("无法进一步确定" in n for n in both.notes)
    decided = linker.link("东风乡将台洼的工人在朝阳公园门口讨薪")
    assert decided.units == ["dq-dongfeng"] and any("据上下文" in n for n in decided.notes)


def test_location_field_counts_weaker_than_text(linker):
    loc = linker.link("今天又加班了", location="北京 朝阳区")
    assert loc.units == ["chaoyang"] and 0 < loc.confidence < 0.85 and not loc.default
    text = linker.link("朝阳区今天又加班了")
    assert text.confidence > loc.confidence
    assert linker.link("工资没发", location="北京·望京SOHO").units == ["jd-wangjing"]


def test_two_unrelated_units_are_both_linked(linker):
    result = linker.link("瑞丰制衣和鑫源建筑都欠薪")
    assert sorted(result.units) == ["qy-ruifeng-garment", "qy-xinyuan-labour"]
    assert {"dq-jinzhan", "dq-cuigezhuang", "chaoyang"} <= set(result.path)


def test_explanation_says_why(linker):
    lines = linker.explain(linker.link("798艺术区附近快跑骑手站的骑手聚集"))
    assert any("798艺术区" in line and "地标" in line for line in lines)
    assert any(line.startswith("关联 快跑即时配送朝阳站点") for line in lines)


def test_link_stage_sets_post_fields(ctx):
    posts = [Post(id="weibo:1", platform="weibo", source="t", content="皮村的瑞丰制衣欠薪", published_at="2026-11-20T10:00"),
             Post(id="weibo:2", platform="weibo", source="t", content="天气真好", published_at="2026-11-20T10:00")]
    LinkStage(ctx).process(posts)
    assert posts[0].org_units == ["qy-ruifeng-garment"]
    assert posts[0].org_path == ["qy-ruifeng-garment", "sq-picun", "dq-jinzhan", "chaoyang"]
    assert 0.8 < posts[0].link_confidence <= 1
    assert (posts[1].org_units, posts[1].org_path, posts[1].link_confidence) == (["chaoyang"], ["chaoyang"], 0.0)
