"""Section 5 (预警处置) reads the alerts area's incidents: raised, acknowledged, resolved,
escalated within the week, and the median time to acknowledge."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.briefing.conftest import WEEK, fill
from yuqing.alerts import api
from yuqing.alerts.state import Finding, StateStore
from yuqing.pipeline.briefing import build_weekly
from yuqing.pipeline.core.record import SHANGHAI


def _open(store, unit, topic, at, severity="medium"):
    result = store.apply([Finding(unit_id=unit, topic=topic, kind="trend", severity=severity, score=5.0,
                                  volume=8.0, title=f"{unit} {topic} 讨论增多，联系电话13812345678")],
                         at.astimezone(timezone.utc))   # StateStore takes UTC (alerts.api converts)
    (incident_id,) = result.opened
    return incident_id


def test_incident_section_counts_the_weeks_incidents(ctx):
    fill(ctx)
    store = StateStore(ctx)
    t = datetime(2026, 11, 18, 9, 0, tzinfo=SHANGHAI)           # Wednesday of 2026-W47
    _open(store, "jd-jinsong", "occupational_safety", t - timedelta(days=7))   # the week before: not counted
    a = _open(store, "jd-wangjing", "wage_arrears", t)
    b = _open(store, "jd-sanlitun", "social_insurance", t + timedelta(hours=1))
    c = _open(store, "dq-dongba", "labor_contract", t + timedelta(hours=2), severity="low")
    api.acknowledge(ctx, a, "石国庆", at=t + timedelta(minutes=12))
    api.resolve(ctx, a, "石国庆", "已协调企业发放工资", at=t + timedelta(hours=5))
    api.acknowledge(ctx, b, "汪勇", at=t + timedelta(hours=1, minutes=30))
    assert store.escalate_due((t + timedelta(days=1)).astimezone(timezone.utc)) >= 1        # c was never acknowledged

    inc = build_weekly(ctx, WEEK).data["incidents"]
    assert inc["available"]
    assert (inc["raised"], inc["acknowledged"], inc["resolved"], inc["open"]) == (3, 2, 1, 2)
    assert inc["median_ack_minutes"] == 21.0 and inc["max_ack_minutes"] == 30.0
    rows = {r["id"]: r for r in inc["rows"]}
    assert set(rows) == {a, b, c}
    assert rows[c]["escalated_to"] != "—" and inc["escalated"] >= 1
    assert rows[a]["ack_minutes"] == 12.0 and rows[c]["ack_minutes"] is None
    assert all("13812345678" not in r["title"] for r in rows.values())
    # a unit's briefing sees only the incidents of its subtree
    scoped = build_weekly(ctx, WEEK, "jd-wangjing").data["incidents"]
    assert scoped["raised"] == 1 and scoped["rows"][0]["id"] == a
