"""Grassroots reporting (信息报送) and response statements (口径): the workflow end to end on a real
SQLite state database, real ingest, a real SMTP server and real HTTP receivers — who may do
what, who hears about it, what the post store and the messages hold (personal data masked), and
the ingest-time ("第一时间") alerts for urgent reports and high-risk posts."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from PIL import Image

from yuqing.alerts import api
from yuqing.alerts.attachments import AttachmentError, inspect
from yuqing.alerts.outbox import deliver_due
from yuqing.alerts.reports import (
    Actor,
    NotAllowed,
    ReportError,
    ReportInput,
    ReportNotFound,
    Reports,
    visibility,
)
from yuqing.alerts.responses import Responses
from yuqing.pipeline.cli.main import main as cli
from yuqing.pipeline.core.org import load_org
from yuqing.pipeline.core.record import Post
from yuqing.pipeline.ingest import Ingestor
from yuqing.pipeline.ingest.feed import post_feeder
from yuqing.pipeline.store import open_store

REPORTER = Actor("fangcaodi", "史勇", "sq-fangcaodi", "correspondent")
SUBDISTRICT = Actor("chaowai", "高伟", "jd-chaowai", "duty")
DISTRICT = Actor("district", "朱玉兰", "chaoyang", "duty")
SIBLING = Actor("jixiangli", "曾艳", "sq-jixiangli", "duty")
OTHER_SUBDISTRICT = Actor("jinsong", "段悦", "jd-jinsong", "duty")
TEXT = "芳草地社区瑞丰制衣厂四十多名工人反映三个月没发工资，工人赵小红（电话13912345678）说老板一直拖着"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(out, "JPEG")
    return out.getvalue()


class Mail:
    """Which units' rosters the SMTP server has heard from since the last look."""

    def __init__(self, ctx, smtp):
        self.ctx, self.smtp, self.seen = ctx, smtp, 0
        org = load_org(ctx)
        self.unit_of = {o.email: u.id for u in org.units.values() for o in u.roster if o.email}

    def new(self) -> list[tuple[str, str]]:
        deliver_due(self.ctx)
        msgs = self.smtp.messages[self.seen:]
        self.seen = len(self.smtp.messages)
        return [(self.unit_of.get(to[0], to[0]), str(msg["Subject"])) for to, msg in msgs]

    def units(self) -> set[str]:
        return {u for u, _ in self.new()}


@pytest.fixture
def desk(notify_ctx):
    return Reports(notify_ctx)


@pytest.fixture
def mail(notify_ctx, smtp):
    return Mail(notify_ctx, smtp)


def submit(ctx, desk, **kw) -> object:
    inp = ReportInput(**{"text": TEXT, "title": "工人反映欠薪", "employer": "瑞丰制衣", "workers": 40,
                         "amount_yuan": 320000, "channel": "现场", **kw})
    return desk.submit(kw.pop("actor", REPORTER), inp, ingest=post_feeder(ctx))


def test_report_is_a_post_reviewed_upward_with_the_right_people_told(notify_ctx, desk, mail):
    ctx = notify_ctx
    report = submit(ctx, desk, personal_data=True, files=[("现场.jpg", _jpeg())])
    assert report.status == "pending" and report.ingested_at is not None and len(report.attachments) == 1
    # the receiving level (the subdistrict) hears of a new report; nobody else
    got = mail.new()
    assert {u for u, _ in got} == {"jd-chaowai"}, got

    # the post: platform report, the chosen unit kept, classified, reporter's identity and the
    # workers' personal data kept out
    post = open_store(ctx).get(report.post_id)
    assert post.platform == "report" and post.source == "report-sq-fangcaodi"
    assert post.org_units == ["sq-fangcaodi"] and post.org_path == ["sq-fangcaodi", "jd-chaowai", "chaoyang"]
    assert post.topics and post.sentiment is not None
    assert "13912345678" not in post.content and "赵小红" not in post.content and "赵某" in post.content
    assert "史勇" not in post.to_json() and "fangcaodi" not in post.author.id

    # who reads it: reporter's unit and ancestors in full, a sibling not at all
    org = load_org(ctx)
    assert visibility(org, "jd-chaowai", report) == "full" and visibility(org, "sq-jixiangli", report) is None
    assert "赵小红" in desk.as_dict(SUBDISTRICT, report.id)["text"]
    with pytest.raises(ReportNotFound):
        desk.as_dict(SIBLING, report.id)
    with pytest.raises(ReportNotFound):
        desk.attachment(SIBLING, report.id, report.attachments[0].id)

    # review: a sibling and the reporter cannot; the subdistrict asks for more, the reporter adds it
    with pytest.raises(ReportNotFound):
        desk.adopt(SIBLING, report.id)
    with pytest.raises(NotAllowed):
        desk.adopt(REPORTER, report.id)
    with pytest.raises(ReportError):
        desk.request_more(SUBDISTRICT, report.id, "  ")
    desk.request_more(SUBDISTRICT, report.id, "请补充欠薪起止时间")
    assert mail.units() == {"sq-fangcaodi"}
    report = desk.supplement(REPORTER, report.id, "欠薪自8月起", ingest=post_feeder(ctx))
    assert report.status == "pending" and "【补报" in report.text
    assert mail.units() == {"jd-chaowai"}
    assert "欠薪自8月起" in open_store(ctx).get(report.post_id).content

    # adoption at both levels, each recorded with its level; the reporting unit hears each time
    report = desk.adopt(SUBDISTRICT, report.id)
    assert report.adopted_levels() == ["subdistrict"] and report.first_reviewed_at is not None
    with pytest.raises(NotAllowed):
        desk.adopt(SUBDISTRICT, report.id, "district")
    report = desk.adopt(DISTRICT, report.id)
    assert report.adopted_levels() == ["subdistrict", "district"] and report.status == "adopted"
    assert [u for u, _ in mail.new()] and mail.units() == set()  # both already delivered above
    kinds = [e.kind for e in desk.get(report.id).events]
    assert kinds.count("adopted") == 2 and "more_requested" in kinds and "supplemented" in kinds
    with pytest.raises(ReportError):
        desk.return_(DISTRICT, report.id, "不再需要")  # adopted reports are not returned


def test_merge_into_incident_and_the_response_statement(notify_ctx, desk, mail):
    ctx = notify_ctx
    report = submit(ctx, desk)
    mail.new()
    report = desk.merge(SUBDISTRICT, report.id, None, "以报送立案")
    inc = api.get_incident(ctx, report.incident_id)
    assert inc.unit_id == "sq-fangcaodi" and report.post_id in [e["id"] for e in inc.evidence]
    assert any(e.kind == "report_merged" for e in inc.events)
    told = mail.units()
    assert "sq-fangcaodi" in told  # the incident opened there, and the reporting unit heard of the merge
    with pytest.raises(ReportError):
        desk.merge(SUBDISTRICT, report.id, report.incident_id)

    desk_r = Responses(ctx)
    with pytest.raises(NotAllowed):
        desk_r.draft(REPORTER, "口径", "公众号", incident_id=inc.id)  # a correspondent does not speak for the union
    with pytest.raises(ReportError):
        desk_r.draft(OTHER_SUBDISTRICT, "口径", "公众号", incident_id=inc.id)  # not their incident
    row = desk_r.draft(SUBDISTRICT, "街道工会已介入，依法维护职工权益", "街道工会公众号", incident_id=inc.id)
    assert mail.units() == {"chaoyang"}  # the approving level
    with pytest.raises(NotAllowed):
        desk_r.approve(SUBDISTRICT, row.id)  # not by its own level
    row = desk_r.return_(DISTRICT, row.id, "请写明协调进展")
    assert row.status == "returned" and mail.units() == {"jd-chaowai"}
    row = desk_r.revise(SUBDISTRICT, row.id, "街道工会已介入，协调企业本周内发放工资")
    row = desk_r.approve(DISTRICT, row.id, "同意")
    with pytest.raises(ReportError):
        desk_r.publish(SUBDISTRICT, row.id, "公众号", "javascript:alert(1)")
    row = desk_r.publish(SUBDISTRICT, row.id, "街道工会公众号", "https://mp.example.org/s/1")
    assert row.status == "published" and row.publications[0]["url"] == "https://mp.example.org/s/1"
    kinds = [e.kind for e in api.get_incident(ctx, inc.id).events]
    for kind in ("response_drafted", "response_returned", "response_revised", "response_approved",
                 "response_published"):
        assert kind in kinds


def test_urgent_report_notifies_unit_and_parents_at_ingest(notify_ctx, desk, smtp, receivers):
    """No evaluation cycle runs: the ingest-time check opens the incident and sends at once."""
    ctx = notify_ctx
    before = datetime.now(UTC)
    report = submit(ctx, desk, urgent=True, text="芳草地社区一家餐馆老板跑路，十几名员工工资没拿到")
    assert report.incident_id is not None
    inc = api.get_incident(ctx, report.incident_id)
    notified = {e.data["unit"] for e in inc.events if e.kind == "notified"}
    assert notified == {"sq-fangcaodi", "jd-chaowai", "chaoyang"}  # high: the unit and two levels up
    org = load_org(ctx)
    unit_of = {o.email: u.id for u in org.units.values() for o in u.roster if o.email}
    arrived = {unit_of[to[0]] for to, msg in smtp.messages if "紧急报送" in str(msg.get_content())}
    assert arrived == notified  # already delivered (deliver_now), no outbox job ran
    assert receivers.by_path("/cgi-bin/webhook/send")  # the robots too
    sent = [m for m in api_outbox(ctx) if m.incident_id == inc.id]
    assert all(m.status == "sent" and (m.sent_at - before) < timedelta(seconds=60) for m in sent)


def api_outbox(ctx):
    from yuqing.alerts.outbox import list_outbox

    return list_outbox(ctx)


def _post(n: int, text: str, at: datetime, **kw) -> Post:
    return Post.model_validate({"id": f"weibo:hr{n}", "platform": "weibo", "source": "weibo-keywords",
                                "url": f"https://weibo.example/{n}", "content": text,
                                "author": {"id": f"a{n}", "name": f"网友{n}"}, "published_at": at.isoformat(),
                                **kw})


def test_high_risk_post_alerts_at_ingest_once_and_old_ones_wait(notify_ctx, smtp):
    ctx = notify_ctx
    now = datetime.now(UTC)
    ingest = Ingestor(ctx)
    text = "望京SOHO旁工地五六个农民工爬上塔吊讨薪，说包工头欠了半年工资"
    report = ingest.ingest_posts([_post(1, text, now - timedelta(minutes=3)),
                                  _post(2, "劲松桥工地工人爬上塔吊讨薪，欠薪一年", now - timedelta(hours=8))])
    assert report.alerted == 1  # the 8-hour-old post (a late arrival) waits for the cycle
    (inc,) = api.list_incidents(ctx, None, "active")
    assert inc.kind == "high_risk" and inc.severity == "critical" and "weibo:hr1" in [e["id"] for e in inc.evidence]
    n = len(smtp.messages)
    assert n > 0 and all(m.status == "sent" for m in api_outbox(ctx))  # sent at once, no outbox job ran
    # a repost of the same story (a near-duplicate) does not alert at ingest
    assert ingest.ingest_posts([_post(3, "转发微博 " + text, now - timedelta(minutes=1))]).alerted == 0
    deliver_due(ctx)
    assert len(smtp.messages) == n
    # the cycle finds the late one, and does not announce the first post again
    api.evaluate(ctx, now)
    assert len(api.list_incidents(ctx, None, "active")) == 2
    first = api.get_incident(ctx, inc.id)
    assert [e.kind for e in first.events].count("opened") == 1
    assert not any("weibo:hr1" in (e.data or {}).get("posts", []) for e in first.events if e.kind == "updated")


def test_attachments_are_checked_by_content(ctx):
    cfg = ctx.settings.reports
    assert inspect("a.jpg", _jpeg(), cfg).kind == "jpeg"
    assert inspect("照片", _jpeg(), cfg).filename == "照片.jpg"
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    assert inspect("证明.pdf", pdf, cfg).media_type == "application/pdf"
    with pytest.raises(AttachmentError, match="不支持"):
        inspect("photo.jpg", b"MZ\x90\x00" + b"\x00" * 200, cfg)        # an executable named .jpg
    with pytest.raises(AttachmentError, match="不支持"):
        inspect("photo.jpg", b"<html><script>alert(1)</script></html>", cfg)
    with pytest.raises(AttachmentError, match="损坏|不完整"):
        inspect("cut.jpg", _jpeg()[:60], cfg)                            # a truncated upload
    with pytest.raises(AttachmentError, match="PDF"):
        inspect("cut.pdf", pdf[:20], cfg)
    cfg.max_attachment_mb = 0.001
    with pytest.raises(AttachmentError, match="过大"):
        inspect("big.jpg", _jpeg() + b"\x00" * 2000, cfg)
    with pytest.raises(AttachmentError, match="为空"):
        inspect("empty.jpg", b"", cfg)


def test_bad_input_is_named(ctx):
    desk = Reports(ctx)
    for kw, field in [({"text": " "}, "text"), ({"unit_id": "sq-nowhere"}, "unit"), ({"unit_id": "jd-jinsong"}, "unit"),
                      ({"channel": "飞鸽"}, "channel"), ({"workers": -3}, "workers"),
                      ({"files": [("x.exe", b"MZ" + b"\0" * 99)]}, "attachments")]:
        with pytest.raises(ReportError, match=f"^{field}"):
            desk.submit(REPORTER, ReportInput(**{"text": TEXT, **kw}))
    with pytest.raises(NotAllowed):
        desk.submit(DISTRICT, ReportInput(text=TEXT))
    assert desk.list() == []  # nothing half-recorded


def test_cli_submit_list_adopt_return(notify_ctx, tmp_path):
    from yuqing.console.accounts import add_user

    ctx = notify_ctx
    for actor in (REPORTER, SUBDISTRICT):
        add_user(ctx, actor.username, "Duty-Pass-2026", actor.unit_id, actor.role, actor.name)
    photo = tmp_path / "gate.jpg"
    photo.write_bytes(_jpeg())
    base = ["--config-dir", str(ctx.config_dir), "--data-dir", str(ctx.data_dir), "report"]
    run = CliRunner().invoke
    res = run(cli, [*base, "submit", "--unit", "sq-fangcaodi", "--by", "fangcaodi", "--text", TEXT, "--title", "讨薪",
                    "--workers", "40", "--amount", "320000", "--channel", "12345", "--attach", str(photo), "--json"])
    assert res.exit_code == 0, res.output
    first = json.loads(res.output)
    assert first["post_id"] == f"report:{first['id']}" and first["ingested"]
    res = run(cli, [*base, "submit", "--unit", "sq-fangcaodi", "--by", "fangcaodi", "--text", "食堂饭菜涨价职工不满"])
    second = int(res.output.split()[0])
    res = run(cli, [*base, "adopt", str(first["id"]), "--by", "chaowai"])
    assert res.exit_code == 0 and "街乡" in res.output, res.output
    res = run(cli, [*base, "return", str(second), "--by", "fangcaodi", "--note", "x"])
    assert res.exit_code != 0 and "不是" in res.output          # not the reporter's own call
    res = run(cli, [*base, "return", str(second), "--by", "chaowai", "--note", "与职工权益无关"])
    assert res.exit_code == 0, res.output
    res = run(cli, [*base, "list", "--status", "adopted", "--json"])
    assert [r["id"] for r in json.loads(res.output)] == [first["id"]]
    res = run(cli, [*base, "submit", "--unit", "sq-fangcaodi", "--by", "nobody", "--text", "x"])
    assert res.exit_code == 2 and "nobody" in res.output
    from yuqing.console import audit

    actions = [e.action for e in audit.entries(ctx)]
    assert actions.count("report.submit") == 2 and "report.adopt" in actions and "report.return" in actions


def test_urgent_report_alerts_even_when_ingest_fails(notify_ctx):
    def broken(posts):
        raise RuntimeError("store down and spool full")

    report = Reports(notify_ctx).submit(REPORTER, ReportInput(text="芳草地社区一家工厂失火，工人被困", urgent=True),
                                        ingest=broken)
    assert report.ingested_at is None and report.incident_id is not None   # kept, and the incident opened
    assert any(e.kind == "notified" for e in api.get_incident(notify_ctx, report.incident_id).events)


def test_a_severity_raise_still_announces_the_new_post(notify_ctx):
    """A trend raised to high escalates; a high-risk post raising it to critical without reaching a
    new unit is still announced to the units already told."""
    from yuqing.alerts.state import Finding, StateStore

    state, now = StateStore(notify_ctx), datetime.now(UTC)
    base = {"unit_id": "sq-fangcaodi", "topic": "wage_arrears", "score": 5.0, "title": "欠薪", "topic_name": "欠薪"}
    inc_id = state.apply([Finding(kind="trend", severity="low", volume=5.0, **base)], now).opened[0]
    state.apply([Finding(kind="trend", severity="high", volume=9.0, **base)], now + timedelta(minutes=5))
    inc = state.get(inc_id)
    assert inc.escalated_to == "chaoyang" and any(e.kind == "escalated" for e in inc.events)
    post = {"id": "weibo:x1", "url": "", "text": "芳草地工地工人爬上塔吊讨薪"}
    state.apply([Finding(kind="high_risk", severity="critical", volume=1.0, evidence=[post], **base)],
                now + timedelta(minutes=10))
    inc = state.get(inc_id)
    (updated,) = [e for e in inc.events if e.kind == "updated" and e.data.get("posts") == ["weibo:x1"]]
    told = {e.data["unit"] for e in inc.events if e.kind == "notified" and e.data.get("cause") == updated.id}
    assert told == {"sq-fangcaodi", "jd-chaowai", "chaoyang"}
