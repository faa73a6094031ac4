"""The alert state on a real PostgreSQL server (the shared-deployment option, ``state.url``).

The throw-away cluster is the ``pg_server`` fixture of ``tests/conftest.py`` (the machine's
``initdb``/``postgres`` on 127.0.0.1; skips, saying so, where they are not installed).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from yuqing.alerts import api
from yuqing.alerts.outbox import deliver_due
from yuqing.alerts.state import Finding, StateStore

NOW = datetime.fromisoformat("2026-11-20T10:00:00+08:00")


def test_incident_lifecycle_and_outbox_on_postgresql(ctx, pg_url):
    ctx.settings.state.url = pg_url
    state = StateStore(ctx)
    finding = Finding(unit_id="qy-ruifeng-garment", topic="wage_arrears", kind="trend", severity="medium",
                      score=9.0, volume=15.0, title="瑞丰制衣欠薪讨薪声量上升", topic_name="欠薪讨薪",
                      counts={"window": "6h", "posts": 15, "authors": 12, "clusters": 11, "expected": 0.4})
    [inc_id] = state.apply([finding], NOW).opened
    assert state.apply([finding], NOW + timedelta(minutes=5)).opened == []     # one open incident per key
    assert api.escalate(ctx, NOW + timedelta(minutes=61)) == 1
    inc = api.get_incident(ctx, inc_id)
    assert inc.escalated_to == "dq-jinzhan" and inc.created_at == NOW
    api.acknowledge(ctx, inc_id, "张三", at=NOW + timedelta(minutes=70))
    assert api.escalate(ctx, NOW + timedelta(hours=5)) == 0
    api.resolve(ctx, inc_id, "李四", "已补发", at=NOW + timedelta(hours=6))
    done = api.get_incident(ctx, inc_id).to_dict()
    assert done["status"] == "resolved" and [e["by"] for e in done["timeline"] if e["by"] != "系统"] == ["张三", "李四"]
    assert api.list_incidents(ctx, {"qy-ruifeng-garment"}, "resolved")[0].id == inc_id
    # outbox rows are claimed and marked on PostgreSQL too (nothing listens: all are retried)
    report = deliver_due(ctx, NOW + timedelta(hours=7))
    assert report.sent == 0 and report.failed > 0 and report.pending == report.failed
