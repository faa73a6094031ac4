"""The union hierarchy: the shipped file is complete and valid; bad files fail naming file, key, reason."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from yuqing.pipeline.core.config import ConfigError
from yuqing.pipeline.core.org import load_org, load_org_file, parse_hours

STREETS = "朝外 劲松 建外 呼家楼 八里庄 三里屯 团结湖 双井 垡头 左家庄 小关 和平街 酒仙桥 首都机场 潘家园 六里屯 麦子店 香河园 亚运村 安贞 大屯 望京 奥运村 东湖".split()
AREAS = "南磨房 高碑店 将台 太阳宫 小红门 十八里店 平房 东风 来广营 常营 三间房 管庄 金盏 孙河 崔各庄 东坝 黑庄户 豆各庄 王四营".split()
TZ = ZoneInfo("Asia/Shanghai")


def test_shipped_hierarchy_is_complete(ctx):
    org = load_org(ctx)
    names = {u.name for u in org.level_units("subdistrict")}
    assert all(f"{s}街道总工会" in names for s in STREETS) and len(STREETS) == 24
    assert all(f"{a}地区总工会" in names for a in AREAS) and len(AREAS) == 19
    assert org.root.name == "朝阳区总工会" and org.root.level == "district"
    assert "cbd" in org and org["cbd"].level == "subdistrict"
    assert len(org.level_units("community")) >= 80 and len(org.level_units("enterprise")) >= 20
    assert org.ancestors("qy-ruifeng-garment") == ["sq-picun", "dq-jinzhan", "chaoyang"]
    assert org.subtree("sq-picun") == {"sq-picun", "qy-ruifeng-garment"}
    assert [c.id for c in org.children("sq-picun")] == ["qy-ruifeng-garment"]
    assert org.get("nope") is None
    # every subdistrict can be reached on duty
    assert all(u.roster for u in org.level_units("subdistrict"))


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "org.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def base() -> dict:
    return {"units": [
        {"id": "d", "name": "区总工会", "level": "district"},
        {"id": "s1", "name": "甲街道工会", "level": "subdistrict", "parent": "d", "aliases": ["甲街道"]},
        {"id": "s2", "name": "乙街道工会", "level": "subdistrict", "parent": "d", "landmarks": ["大公园"]},
        {"id": "c1", "name": "丙社区", "level": "community", "parent": "s1"},
    ]}


@pytest.mark.parametrize("mutate, key, reason", [
    (lambda d: d["units"].append({"id": "c9", "name": "丁社区", "level": "community", "parent": "zz"}),
     "units.4.parent", "unknown parent 'zz'"),
    (lambda d: d["units"].append({"id": "s1", "name": "重复工会", "level": "subdistrict", "parent": "d"}),
     "units.4.id", "duplicate id 's1'"),
    (lambda d: d["units"][1].update(parent="c1"), "units.1.parent", "cycle in parents"),
    (lambda d: d["units"][3].update(level="subdistrict"), "units.3.level", "deeper level"),
    (lambda d: d["units"][3].update(aliases=["大公园"]), "units.3.aliases.0", "would link ambiguously"),
    (lambda d: d["units"][3].update(name="甲街道"), "units.3.name", "would link ambiguously"),
    (lambda d: d["units"][3].update(roster=[{"name": "张三", "hours": "mon-fri 9-18"}]), "units.3.roster.0.hours",
     "expected e.g."),
    (lambda d: d["units"][3].update(roster=[{"name": "张三", "wecom": "not a url"}]), "units.3.roster.0.wecom",
     "not an http(s) URL"),
    (lambda d: d.update(shared=[{"term": "某桥", "units": ["s1", "nope"]}]), "shared.0.units", "unknown unit 'nope'"),
    (lambda d: d["units"].append({"id": "d2", "name": "另一个区", "level": "district"}), "units", "exactly one"),
])
def test_invalid_hierarchy_names_file_key_and_reason(tmp_path, mutate, key, reason):
    data = base()
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_org_file(path)
    assert err.value.file == str(path) and err.value.key == key and reason in err.value.reason


def test_shared_terms_are_allowed_when_declared(tmp_path):
    data = base()
    data["units"][3]["landmarks"] = ["东桥"]
    data["shared"] = [{"term": "大公园", "units": ["s1", "s2"]}]
    with pytest.raises(ConfigError, match="also declared under shared"):
        load_org_file(write(tmp_path, data))
    data["units"][2]["landmarks"] = []
    org = load_org_file(write(tmp_path, data))
    assert org.shared[0].units == ("s1", "s2")


def test_on_duty_hours():
    night = parse_hours("daily 17:30-08:30")
    assert night is not None and parse_hours("always") is None
    from yuqing.pipeline.core.org import Officer

    o = Officer(name="值班员", hours="daily 17:30-08:30; weekends 08:30-17:30")
    fri_noon = datetime(2026, 11, 20, 12, 0, tzinfo=TZ)
    sat_noon = datetime(2026, 11, 21, 12, 0, tzinfo=TZ)
    sat_3am = datetime(2026, 11, 21, 3, 0, tzinfo=TZ)        # Friday's night shift
    assert not o.on_duty(fri_noon, TZ) and o.on_duty(sat_noon, TZ) and o.on_duty(sat_3am, TZ)
    day = Officer(name="主席", hours="mon-fri 08:30-17:30")
    assert day.on_duty(fri_noon, TZ) and not day.on_duty(sat_noon, TZ)
    with pytest.raises(ValueError):
        parse_hours("someday 10:00-11:00")
