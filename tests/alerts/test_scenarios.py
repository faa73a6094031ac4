"""Scenario tests over simulated time, on both stores (SQLite and the real Elasticsearch node):
a quiet baseline, a burst at one enterprise and its escalation, acknowledgement, a repost storm,
a district-wide rise, a single high-risk post, resolve/reopen."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yuqing.alerts import api
from yuqing.alerts.models import OutboxMessage
from yuqing.alerts.rules import load_alerts_config
from yuqing.alerts.state import StateStore

ENTERPRISE = "qy-ruifeng-garment"     # 瑞丰制衣 → 皮村 → 金盏地区 → 朝阳区
COMMUNITY, SUBDISTRICT, DISTRICT = "sq-picun", "dq-jinzhan", "chaoyang"


def outbox_units(ctx, incident_id: int) -> list[str]:
    with StateStore(ctx).Session() as s:
        rows = s.query(OutboxMessage).filter(OutboxMessage.incident_id == incident_id).all()
        return sorted({m.payload["recipient_unit"] for m in rows})


def test_quiet_baseline_raises_nothing(world):
    for hours_back in (0, 4, 9, 15, 22):
        report = world.evaluate(world.t0 - timedelta(hours=hours_back))
        assert report.findings == [], report.findings
    assert world.active() == []


def test_burst_at_enterprise_alerts_it_and_its_community_then_escalates(world):
    ctx, t0 = world.ctx, world.t0
    world.add(world.sim.burst(ENTERPRISE, "wage_arrears", t0, 14, hours=2))
    at = t0 + timedelta(hours=2)
    report = world.evaluate(at)
    assert len(report.opened) == 1, report.findings
    inc = api.get_incident(ctx, report.opened[0])
    assert (inc.unit_id, inc.topic, inc.status, inc.unit_level) == (ENTERPRISE, "wage_arrears", "open", "enterprise")
    assert inc.severity == "medium"
    # the enterprise and its community hear first; the subdistrict does not yet
    assert world.notified_units(inc) == [ENTERPRISE, COMMUNITY]
    assert outbox_units(ctx, inc.id) == sorted([ENTERPRISE, COMMUNITY])
    assert inc.escalated_to == COMMUNITY
    # one incident only: the community and subdistrict rises are explained by the enterprise
    assert [i.id for i in world.active()] == [inc.id]
    assert inc.counts["posts"] >= 6 and inc.evidence and inc.evidence[0]["url"]

    # evaluating again with the same evidence updates, does not duplicate
    again = world.evaluate(at + timedelta(minutes=10))
    assert again.opened == [] and [i.id for i in world.active()] == [inc.id]

    timeout = load_alerts_config(ctx).escalation.ack_minutes["medium"]
    world.evaluate(at + timedelta(minutes=timeout - 5))
    assert api.get_incident(ctx, inc.id).escalated_to == COMMUNITY       # not yet
    world.evaluate(at + timedelta(minutes=timeout + 1))
    inc = api.get_incident(ctx, inc.id)
    assert inc.escalated_to == SUBDISTRICT and inc.escalation_level == "subdistrict"
    assert SUBDISTRICT in outbox_units(ctx, inc.id)
    assert DISTRICT not in outbox_units(ctx, inc.id)
    world.evaluate(at + timedelta(minutes=2 * timeout + 2))
    inc = api.get_incident(ctx, inc.id)
    assert inc.escalated_to == DISTRICT and DISTRICT in outbox_units(ctx, inc.id)
    kinds = [e.kind for e in inc.events]
    assert kinds.count("escalated") == 2
    assert inc.to_dict()["timeline"][0]["kind"] == "opened"


def test_acknowledgement_stops_escalation_but_growth_escalates(world):
    ctx, t0 = world.ctx, world.t0
    world.add(world.sim.burst(ENTERPRISE, "wage_arrears", t0, 14, hours=2))
    at = t0 + timedelta(hours=2)
    inc_id = world.evaluate(at).opened[0]
    acked = api.acknowledge(ctx, inc_id, "张三", "已联系企业工会主席核实", at=at + timedelta(minutes=20))
    assert acked.status == "acknowledged" and acked.acknowledged_by == "张三"
    world.evaluate(at + timedelta(hours=3))
    inc = api.get_incident(ctx, inc_id)
    assert inc.escalated_to == COMMUNITY and inc.status == "acknowledged"
    assert not any(e.kind == "escalated" for e in inc.events)
    # it keeps growing after the acknowledgement → the subdistrict hears
    later = at + timedelta(hours=4)
    world.add(world.sim.burst(ENTERPRISE, "wage_arrears", later - timedelta(hours=1), 8, hours=1))
    world.evaluate(later)
    inc = api.get_incident(ctx, inc_id)
    assert inc.escalated_to == SUBDISTRICT
    assert any(e.kind == "escalated" and e.data["reason"] == "growing" for e in inc.events), \
        [(e.kind, e.note, e.data) for e in inc.events]


def test_repost_storm_from_one_account_raises_nothing(world):
    t0 = world.t0
    world.add(world.sim.repost_storm("qy-huaxing-tech", "layoffs", t0, 80, author="yingxiao001"))
    # the same account also writes thirty different posts
    world.add([world.sim.post(t0 + timedelta(minutes=3 * i), unit_id="qy-huaxing-tech", topic="layoffs",
                              author="yingxiao001") for i in range(30)])
    report = world.evaluate(t0 + timedelta(hours=2))
    assert report.findings == [] and world.active() == []


def test_district_wide_rise_across_many_units(world):
    t0 = world.t0
    units = [u.id for u in world.org.level_units("subdistrict")][:30]
    world.add(world.sim.spread(units, "social_insurance", t0, 2, hours=3))
    report = world.evaluate(t0 + timedelta(hours=3))
    active = world.active()
    assert [(i.unit_id, i.topic) for i in active] == [(DISTRICT, "social_insurance")], report.findings
    inc = active[0]
    assert inc.unit_level == "district" and inc.counts["units"] >= 10
    assert world.notified_units(inc) == [DISTRICT]


def test_single_high_risk_post_alerts_up_to_the_district(world):
    t0 = world.t0
    post = world.sim.post(t0 + timedelta(minutes=30), unit_id=None, topic="wage_arrears",
                          text="瑞丰制衣欠了我们半年工资，工友老王今天爬上厂房楼顶讨薪，说再不给钱就跳下去")
    world.add([post])
    report = world.evaluate(t0 + timedelta(hours=1))
    assert report.high_risk_posts == 1
    [inc] = world.active()
    assert (inc.unit_id, inc.kind, inc.severity) == (ENTERPRISE, "high_risk", "critical")
    assert world.notified_units(inc) == [ENTERPRISE, COMMUNITY, SUBDISTRICT, DISTRICT]
    assert inc.evidence[0]["id"] == post.id
    # seeing the same post again adds nothing
    again = world.evaluate(t0 + timedelta(hours=1, minutes=5))
    assert again.opened == [] and again.notifications == 0


def test_resolve_suppresses_then_reopen(world):
    ctx, t0 = world.ctx, world.t0
    world.add(world.sim.burst(ENTERPRISE, "wage_arrears", t0, 14, hours=2))
    at = t0 + timedelta(hours=2)
    inc_id = world.evaluate(at).opened[0]
    with pytest.raises(api.InvalidTransition):
        api.resolve(ctx, inc_id, "李四", "  ", at=at)
    done = api.resolve(ctx, inc_id, "李四", "企业已补发工资", at=at + timedelta(minutes=30))
    assert done.status == "resolved" and done.resolution_note == "企业已补发工资"
    report = world.evaluate(at + timedelta(hours=1))       # same evidence: stays quiet
    assert report.opened == [] and report.suppressed == 1 and world.active() == []
    reopened = api.reopen(ctx, inc_id, "王五", "工人反映仍未到账", at=at + timedelta(hours=2))
    assert reopened.status == "open" and reopened.resolved_at is None
    kinds = [(e.kind, e.by) for e in reopened.events if e.by]
    assert kinds == [("resolved", "李四"), ("reopened", "王五")]
    with pytest.raises(api.InvalidTransition):
        api.reopen(ctx, inc_id, "王五")


def test_incidents_are_indexed_for_kibana(es_ctx, make_world, t0):
    from yuqing.alerts.index import alerts_index_name, es_client

    world = make_world(es_ctx, background_weeks=1, per_hour=3)
    world.add(world.sim.burst(ENTERPRISE, "wage_arrears", t0, 14, hours=2))
    inc_id = world.evaluate(t0 + timedelta(hours=2)).opened[0]
    index = alerts_index_name(es_ctx.settings.store.elasticsearch.index_prefix)
    es = es_client(es_ctx)
    try:
        doc = es.get(index=index, id=str(inc_id))["_source"]
        assert (doc["unit_id"], doc["status"], doc["level"]) == (ENTERPRISE, "open", "enterprise")
        assert COMMUNITY in doc["unit_path"] and doc["timeline"][0]["kind"] == "opened"
        api.acknowledge(es_ctx, inc_id, "张三", at=t0 + timedelta(hours=2, minutes=12))
        doc = es.get(index=index, id=str(inc_id))["_source"]
        assert doc["status"] == "acknowledged" and doc["acknowledged_by"] == "张三" and doc["minutes_to_ack"] == 12.0
        es.indices.refresh(index=index)
        hits = es.search(index=index, query={"term": {"unit_path": SUBDISTRICT}})["hits"]["hits"]
        assert [h["_id"] for h in hits] == [str(inc_id)]
    finally:
        es.close()
