"""The commands, end to end through click on a SQLite context."""

from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner

from yuqing.pipeline.cli.main import main


def run(ctx, *args):
    result = CliRunner().invoke(main, ["--config-dir", str(ctx.config_dir), "--data-dir", str(ctx.data_dir), *args],
                                catch_exceptions=False)
    return result


def test_org_commands(ctx):
    out = run(ctx, "org", "show")
    assert out.exit_code == 0 and "朝阳区总工会" in out.output and "841 个单位" in out.output
    assert "官方区划街乡 43 个、社区/村 768 个" in out.output
    out = run(ctx, "org", "show", "望京")
    assert out.exit_code == 0 and "望京街道总工会" in out.output and "花家地社区" in out.output
    out = run(ctx, "org", "link", "--json", "望京SOHO 有人讨薪")
    data = json.loads(out.output)
    assert data["org_units"] == ["jd-wangjing"] and data["matches"][0]["term"] == "望京SOHO"
    assert run(ctx, "org", "show", "no-such-unit").exit_code != 0


def test_alert_commands_over_a_burst(ctx, make_world, t0):
    T0 = t0
    world = make_world(ctx, background_weeks=2)
    world.add(world.sim.burst("qy-ruifeng-garment", "wage_arrears", T0, 14, hours=2))
    at = (T0 + timedelta(hours=2)).isoformat()
    out = run(ctx, "alerts", "evaluate", "--at", at, "--dry-run", "--json")
    assert json.loads(out.output)["findings"] and run(ctx, "alerts", "list", "--json").output.strip() == "[]"
    out = run(ctx, "alerts", "evaluate", "--at", at)
    assert out.exit_code == 0 and "瑞丰制衣" in out.output
    listed = json.loads(run(ctx, "alerts", "list", "--status", "open", "--unit", "dq-jinzhan", "--json").output)
    assert len(listed) == 1 and listed[0]["unit_name"] == "瑞丰制衣有限公司"
    inc_id = listed[0]["id"]
    shown = json.loads(run(ctx, "alerts", "show", str(inc_id), "--json").output)
    assert shown["timeline"][0]["kind"] == "opened" and shown["deliveries"]
    assert run(ctx, "alerts", "show", str(inc_id)).output.count("已通知") >= 2
    assert run(ctx, "alerts", "ack", str(inc_id), "--by", "张三").exit_code == 0
    again = run(ctx, "alerts", "ack", str(inc_id), "--by", "张三")
    assert again.exit_code != 0 and "只有待确认" in again.output
    assert run(ctx, "alerts", "resolve", str(inc_id), "--by", "李四").exit_code != 0     # --note required
    done = json.loads(run(ctx, "alerts", "resolve", str(inc_id), "--by", "李四", "--note", "已补发", "--json").output)
    assert done["status"] == "resolved" and done["resolved_at"]
    assert [e["by"] for e in done["timeline"] if e["kind"] in ("acknowledged", "resolved")] == ["张三", "李四"]
    assert json.loads(run(ctx, "alerts", "list", "--unit", "jd-wangjing", "--json").output) == []
