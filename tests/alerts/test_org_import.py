"""Importing the union's own lists: .xlsx and .csv (UTF-8, BOM, GBK), Chinese or English headers,
parents by id, code, name or address, dry-run diff, atomic and idempotent, bad rows refused with
row, column and reason, nothing applied; the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from yuqing.alerts.orgimport import ImportFileError, apply_plan, plan_import
from yuqing.pipeline.cli.main import main as cli
from yuqing.pipeline.core import orgregistry
from yuqing.pipeline.core.org import load_org
from yuqing.pipeline.core.orgregistry import OrgError

ROOT = Path(__file__).resolve().parents[2]
HEAD_CN = ["单位名称", "统一社会信用代码", "上级单位", "地址", "别名", "联系人", "邮箱", "电话", "值班时间"]
HEAD_EN = ["name", "credit_code", "parent", "address", "aliases", "contact_name", "contact_email", "contact_phone",
           "hours"]
ROWS = [
    ["北京瑞达恒通物流有限公司", "91110105MA01EXMP1H", "110105001024", "", "瑞达物流、瑞达", "张一", "zhang@example.org",
     "010-85550001", "工作日 8:30-17:30"],
    ["北京瑞达恒通物流有限公司", "91110105MA01EXMP1H", "110105001024", "", "", "李二", "li@example.org", "13800000000",
     "周一至周五 17:30-08:30；周末 全天"],
    ["北京星河优品超市有限公司", "", "劲松北社区", "", "", "王三", "", "010-85550003", "全天"],
    ["北京云杉家政服务有限公司", "", "", "北京市朝阳区金盏乡皮村东路8号", "", "", "", "", ""],
    ["南郎家园社区", "", "", "", "", "赵社区", "zhao@example.org", "", "每天 9:00-21:00"],
]


def csv_bytes(rows, encoding="utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("encoding, head, kind", [("utf-8", HEAD_CN, "csv"), ("utf-8-sig", HEAD_EN, "csv"),
                                                  ("gbk", HEAD_CN, "csv"), ("gb18030", HEAD_EN, "csv"),
                                                  (None, HEAD_CN, "xlsx")])
def test_the_same_roster_in_every_format_plans_the_same_units(octx, encoding, head, kind):
    data = xlsx_bytes([head, *ROWS]) if kind == "xlsx" else csv_bytes([head, *ROWS], encoding)
    plan = plan_import(octx, data, f"名单.{kind}")
    assert plan.ok, [str(r) for r in plan.rejected]
    new = {p.name: p.record for p in plan.new}
    assert set(new) == {"北京瑞达恒通物流有限公司", "北京星河优品超市有限公司", "北京云杉家政服务有限公司"}
    ruida = new["北京瑞达恒通物流有限公司"]
    assert ruida["parent"] == "sq-110105001024" and ruida["id"] == "qy-91110105ma01exmp1h"       # by 12-digit code
    assert [o["name"] for o in ruida["roster"]] == ["张一", "李二"]                                # two rows, one unit
    assert [o["hours"] for o in ruida["roster"]] == ["weekdays 08:30-17:30", "mon-fri 17:30-08:30; weekends 00:00-00:00"]
    assert ruida["aliases"] == ["瑞达物流", "瑞达"]
    assert new["北京星河优品超市有限公司"]["parent"] == "sq-jinsongbei"                               # by name
    assert new["北京云杉家政服务有限公司"]["parent"] == "sq-picun"                                    # by address
    (roster,) = plan.changed                                                                   # an existing community
    assert roster.unit_id == "sq-110105001024" and roster.fields == ["roster"]
    assert roster.record["roster"][0]["hours"] == "daily 09:00-21:00"


def test_import_is_atomic_and_a_reimport_changes_nothing(octx):
    data = csv_bytes([HEAD_CN, *ROWS])
    before = load_org(octx)
    plan = apply_plan(octx, plan_import(octx, data, "名单.csv"), by="测试")
    org = load_org(octx)
    assert org.version == before.version + 1 and len(org) == len(before) + 3
    changes = orgregistry.history(octx, batch=plan.batch)
    assert len(changes) == 4 and {c.by for c in changes} == {"测试"} and {c.via for c in changes} == {"import"}
    again = plan_import(octx, data, "名单.csv")
    assert again.summary() == {"rows": 5, "new": 0, "changed": 0, "unchanged": 4, "rejected": 0}
    apply_plan(octx, again, by="测试")
    assert load_org(octx).version == org.version
    # the linker knows the new units by the names people write
    from yuqing.alerts.linking import linker_for

    assert linker_for(load_org(octx)).link("瑞达物流的司机说运费被压低").units == ["qy-91110105ma01exmp1h"]
    assert linker_for(load_org(octx)).link("星河优品超市的收银员被拖欠工资").units[0].startswith("qy-")


BAD = [
    (["北京甲公司", "91110105MA01EXMP1A", "劲松北社区", "", "", "", "", "", ""], "B", "校验位"),
    (["北京乙公司", "", "不存在的社区", "", "", "", "", "", ""], "C", "找不到上级单位"),
    (["北京丙公司", "", "楼梓庄村", "", "", "", "", "", ""], "C", "对应多个单位"),           # the official list holds it twice
    (["北京丁公司", "", "劲松北社区", "", "", "丁", "", "", "上班时间"], "I", "值班时间"),
    (["北京戊公司", "", "劲松北社区", "", "", "", "ding@example", "", ""], "F", "没有联系人"),
    (["北京己公司", "", "", "上海市浦东新区某路1号", "", "", "", "", ""], "C", "找不到朝阳区的社区"),
    (["北京庚公司", "", "瑞丰制衣有限公司", "", "", "", "", "", ""], "C", "企业工会"),
    (["北京辛公司", "", "劲松北社区", "", "", "辛", "xin@example.org", "12", ""], "H", "电话格式"),
    (["", "", "劲松北社区", "", "", "", "", "", ""], "A", "单位名称为空"),
]


def test_bad_rows_are_refused_with_row_column_and_reason_and_nothing_is_applied(octx):
    good = ROWS[0]
    rows = [HEAD_CN, good, *[r for r, _c, _w in BAD]]
    data = csv_bytes(rows, "gbk")
    plan = plan_import(octx, data, "坏名单.csv")
    assert not plan.ok and len(plan.new) == 1
    got = {r.row: r for r in plan.rejected}
    assert sorted(got) == list(range(3, 3 + len(BAD)))
    for i, (_row, column, why) in enumerate(BAD):
        r = got[3 + i]
        assert r.column == column and why in r.reason, str(r)
        assert str(r).startswith(f"第 {3 + i} 行 {column} 列（")
    version = load_org(octx).version
    with pytest.raises(OrgError, match="未导入任何内容"):
        apply_plan(octx, plan, by="测试")
    assert load_org(octx).version == version and "qy-91110105ma01exmp1h" not in load_org(octx)


def test_unreadable_files_say_why(octx):
    for data, name, why in [(b"\x00\x01binary", "x.xlsx", "不是有效的 .xlsx"), (b"a,b\n1,2\n", "x.csv", "没有“单位名称”"),
                            (b"", "x.csv", "文件是空的"), (b"name\n", "x.xls", "另存为"), (b"x", "x.pdf", ".xlsx 或 .csv"),
                            ("单位名称,名称\n甲,乙\n".encode(), "x.csv", "重复")]:
        with pytest.raises(ImportFileError, match=why):
            plan_import(octx, data, name)
    plan = plan_import(octx, csv_bytes([[*HEAD_CN, "备注"], ROWS[2] + ["无"]]), "x.csv")
    assert plan.ok and any("备注" in w for w in plan.warnings)


def test_scope_limits_what_an_admin_may_import(octx):
    data = csv_bytes([HEAD_CN, ROWS[0], ROWS[2]])
    org = load_org(octx)
    plan = plan_import(octx, data, "x.csv", scope=org.subtree("jd-jinsong"))
    assert [r.row for r in plan.rejected] == [2] and "不在您管理的范围内" in plan.rejected[0].reason
    assert [p.name for p in plan.new] == ["北京星河优品超市有限公司"]


def test_applying_a_stale_preview_is_refused(octx):
    plan = plan_import(octx, csv_bytes([HEAD_CN, ROWS[2]]), "x.csv")
    with orgregistry.write(octx, by="另一位管理员", via="console") as w:
        w.update("sq-jixiangli", {"landmarks": ["别处的修改"]})
    with pytest.raises(OrgError, match="重新预览"):
        apply_plan(octx, plan, by="测试")


def test_cli_import_dry_run_then_import_then_noop(octx, tmp_path):
    path = tmp_path / "名单.csv"
    path.write_bytes(csv_bytes([HEAD_CN, *ROWS], "gbk"))
    args = ["--config-dir", str(octx.config_dir), "--data-dir", str(octx.data_dir), "org", "import", str(path)]
    run = CliRunner().invoke
    res = run(cli, [*args, "--dry-run", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["summary"] == {"rows": 5, "new": 3, "changed": 1, "unchanged": 0, "rejected": 0} and out["dry_run"]
    assert load_org(octx).version == orgregistry.current_version_of(octx)
    version = orgregistry.current_version_of(octx)
    res = run(cli, [*args, "--by", "张三"])
    assert res.exit_code == 0 and "已导入" in res.output, res.output
    assert orgregistry.current_version_of(octx) == version + 1
    res = run(cli, [*args])
    assert res.exit_code == 0 and "没有需要修改的内容" in res.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([HEAD_CN, BAD[1][0]]))
    res = run(cli, [*args[:-1], str(bad)])
    assert res.exit_code == 1 and "第 2 行 C 列（上级单位）" in res.output and "未导入任何内容" in res.output
    res = run(cli, ["--config-dir", str(octx.config_dir), "--data-dir", str(octx.data_dir), "org", "show", "--json"])
    shown = json.loads(res.output)
    assert shown["divisions"] == {"街乡": 43, "社区/村": 768} and shown["counts"]["district"] == 1
    assert shown["counts"]["enterprise"] == len([u for u in shown["units"] if u["level"] == "enterprise"]) == 28
    res = run(cli, ["--config-dir", str(octx.config_dir), "--data-dir", str(octx.data_dir), "org", "history",
                    "--limit", "3", "--json"])
    assert [c["by"] for c in json.loads(res.output)] == ["张三"] * 3


def test_template_ships_and_imports_cleanly(octx, tmp_path):
    out = tmp_path / "模板.xlsx"
    res = CliRunner().invoke(cli, ["--config-dir", str(octx.config_dir), "--data-dir", str(octx.data_dir), "org",
                                   "template", "--out", str(out)])
    assert res.exit_code == 0, res.output
    plan = plan_import(octx, out.read_bytes(), out.name)
    assert plan.ok and len(plan.new) == 2
    assert plan_import(octx, (ROOT / "config" / "org-import-template.csv").read_bytes(), "t.csv").summary() == \
        plan.summary()
