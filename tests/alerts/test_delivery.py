"""Delivery through the outbox to real receivers: an SMTP server (aiosmtpd) and HTTP servers on
127.0.0.1 standing in for the WeCom/DingTalk robots and a generic webhook."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from datetime import datetime, timedelta

from yuqing.alerts import api
from yuqing.alerts.models import IncidentEvent, OutboxMessage, utc
from yuqing.alerts.outbox import deliver_due
from yuqing.alerts.rules import load_alerts_config
from yuqing.alerts.state import Finding, StateStore

# Friday 10:00 in Beijing: the district's weekday officer and the always-on desk are on duty
NOW = datetime.fromisoformat("2026-11-20T10:00:00+08:00")


def open_incident(ctx, unit_id="chaoyang", topic="wage_arrears", severity="medium") -> int:
    finding = Finding(unit_id=unit_id, topic=topic, kind="trend", severity=severity, score=12.0, volume=20.0,
                      title="测试：欠薪讨薪负面声量上升", topic_name="欠薪讨薪",
                      counts={"window": "6h", "posts": 21, "authors": 17, "clusters": 15, "engagement": 340,
                              "expected": 1.2, "ratio": 16.0},
                      evidence=[{"id": "weibo:123", "url": "https://weibo.com/123",
                                 "text": "瑞丰制衣拖欠工资三个月，工人在厂门口讨薪"}])
    return StateStore(ctx).apply([finding], NOW).opened[0]


def messages(ctx, **where) -> list[OutboxMessage]:
    with StateStore(ctx).Session() as s:
        q = s.query(OutboxMessage)
        for k, v in where.items():
            q = q.filter(getattr(OutboxMessage, k) == v)
        return q.order_by(OutboxMessage.id).all()


def test_every_channel_reaches_its_real_receiver(notify_ctx, receivers, smtp):
    inc_id = open_incident(notify_ctx)
    queued = messages(notify_ctx, incident_id=inc_id)
    assert {m.channel for m in queued} == {"email", "wecom", "dingtalk", "webhook"}
    # the district's officers share one WeCom robot: one message to it, not one per officer
    assert sum(m.channel == "wecom" for m in queued) == 1

    report = deliver_due(notify_ctx, NOW)
    assert (report.sent, report.failed, report.dead, report.pending) == (len(queued), 0, 0, 0)

    emails = {rcpt[0]: msg for rcpt, msg in smtp.messages}
    on_duty = {m.address for m in queued if m.channel == "email"}
    assert set(emails) == on_duty and "duty1@chaoyang-union.example.org" in on_duty
    mail = emails["duty1@chaoyang-union.example.org"]
    assert "朝阳区总工会" in mail["Subject"] and "欠薪讨薪" in mail["Subject"]
    body = mail.get_content()
    assert f"yuqing alerts ack {inc_id} --by" in body and f"http://127.0.0.1:8000/incidents/{inc_id}" in body
    assert "https://weibo.com/123" in body and "21 条" in body
    assert mail["Message-ID"].startswith("<yuqing-inc")

    [wecom] = receivers.by_path("/cgi-bin/webhook/send")
    assert wecom.query["key"] == ["chaoyang"] and wecom.body["msgtype"] == "text"
    assert "朝阳区总工会" in wecom.body["text"]["content"]

    [ding] = receivers.by_path("/robot/send")
    ts, sign = ding.query["timestamp"][0], ding.query["sign"][0]
    secret = "SECdemochaoyang0000"
    expected = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()).decode()
    assert sign == expected and ding.query["access_token"] == ["chaoyang"]

    [hook] = receivers.by_path("/hooks/chaoyang-duty")
    assert hook.body["incident_id"] == inc_id and hook.body["unit_id"] == "chaoyang"
    assert hook.headers["Idempotency-Key"] == hook.body["idempotency_key"]

    # nothing is sent twice, however often delivery runs (a restart is just another run)
    assert deliver_due(notify_ctx, NOW + timedelta(hours=1)).sent == 0
    assert len(receivers.requests) == 3 and len(smtp.messages) == len(on_duty)


def test_receiver_failing_at_first_still_gets_exactly_one_message(notify_ctx, receivers, smtp):
    receivers.fail_first["/hooks/"] = 2
    inc_id = open_incident(notify_ctx)
    [hook] = messages(notify_ctx, incident_id=inc_id, channel="webhook")

    first = deliver_due(notify_ctx, NOW)
    assert first.failed == 1 and first.pending == 1
    row = messages(notify_ctx, id=hook.id)[0]
    assert row.attempts == 1 and row.status == "pending" and "503" in row.last_error
    assert deliver_due(notify_ctx, NOW + timedelta(seconds=5)).sent == 0        # backing off
    assert deliver_due(notify_ctx, NOW + timedelta(seconds=31)).failed == 1     # 2nd attempt fails
    done = deliver_due(notify_ctx, NOW + timedelta(seconds=31 + 61))
    assert done.sent == 1 and done.pending == 0
    deliver_due(notify_ctx, NOW + timedelta(hours=2))
    assert len(receivers.by_path("/hooks/")) == 1
    row = messages(notify_ctx, id=hook.id)[0]
    assert (row.status, row.attempts) == ("sent", 3)


def test_concurrent_deliverers_send_each_message_once(notify_ctx, receivers, smtp):
    for topic in ("wage_arrears", "layoffs", "social_insurance"):
        open_incident(notify_ctx, topic=topic)
    total = len(messages(notify_ctx))
    results = []
    threads = [threading.Thread(target=lambda: results.append(deliver_due(notify_ctx, NOW))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in results) == total
    assert len(receivers.requests) + len(smtp.messages) == total


def test_permanent_failure_is_recorded_and_admins_are_told(notify_ctx, receivers, smtp):
    receivers.fail_first["/hooks/chaoyang-duty"] = 1
    receivers.fail_status = 404          # a wrong URL: retrying cannot help
    inc_id = open_incident(notify_ctx)
    report = deliver_due(notify_ctx, NOW)
    assert report.dead == 1
    [dead] = messages(notify_ctx, status="dead")
    assert dead.channel == "webhook" and dead.attempts == 1
    inc = api.get_incident(notify_ctx, inc_id)
    assert any(e.kind == "delivery_failed" and "Webhook" in e.note for e in inc.events)
    admin = messages(notify_ctx, incident_id=None)
    assert admin and all("预警通知发送失败" in m.subject for m in admin)
    deliver_due(notify_ctx, NOW + timedelta(minutes=1))
    assert receivers.by_path("/hooks/ops")


def test_smtp_refusal_is_permanent(notify_ctx, receivers, smtp):
    from yuqing.alerts.channels import DeliveryError
    from yuqing.alerts.channels.email import EmailChannel

    msg = OutboxMessage(idempotency_key="k1", channel="email", address="nobody@example.org", subject="s", body="b")
    channel = EmailChannel(notify_ctx.settings, timeout=5)
    try:
        channel.send(msg)
    except DeliveryError as exc:
        assert not exc.retryable and "nobody@example.org" in str(exc)
    else:
        raise AssertionError("a refused recipient must fail")


def test_unreachable_receiver_is_retried_with_backoff(ctx, config_dir):
    import socket

    with socket.socket() as sock:  # a port nobody listens on: connection refused is retryable
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    org = config_dir / "org.yaml"
    text = org.read_text(encoding="utf-8")
    for hostport in ("127.0.0.1:18081", "127.0.0.1:18082", "127.0.0.1:18083"):
        text = text.replace(hostport, f"127.0.0.1:{port}")
    org.write_text(text, encoding="utf-8")
    ctx.settings.notify.smtp.port = port
    inc_id = open_incident(ctx, unit_id="qy-jingtong-bus")
    report = deliver_due(ctx, NOW)
    assert report.sent == 0 and report.failed == len(messages(ctx, incident_id=inc_id)) > 0
    rows = messages(ctx, incident_id=inc_id)
    assert all(m.status == "pending" and m.attempts == 1 and "127.0.0.1" in m.last_error for m in rows)
    first_delay = load_alerts_config(ctx).delivery.backoff_seconds[0]
    assert {utc(m.next_attempt_at) for m in rows} == {utc(NOW) + timedelta(seconds=first_delay)}


def test_notify_admins_is_deduplicated_per_hour(notify_ctx, receivers, smtp):
    api.notify_admins(notify_ctx, "采集源连续失败", "weibo 源已连续 3 次失败", at=NOW)
    api.notify_admins(notify_ctx, "采集源连续失败", "weibo 源已连续 3 次失败", at=NOW + timedelta(minutes=5))
    assert len(messages(notify_ctx, incident_id=None)) == 2        # ops: e-mail + webhook, once
    deliver_due(notify_ctx, NOW + timedelta(minutes=6))
    [hook] = receivers.by_path("/hooks/ops")
    assert hook.body["type"] == "system" and "weibo" in hook.body["text"]
    assert [rcpt for rcpt, _ in smtp.messages] == [["ops@example.org"]]


def test_timeline_records_each_notification(notify_ctx):
    inc_id = open_incident(notify_ctx)
    inc = api.get_incident(notify_ctx, inc_id)
    notified = [e for e in inc.events if e.kind == "notified"]
    assert notified and notified[0].data["unit"] == "chaoyang"
    assert isinstance(notified[0], IncidentEvent) and set(notified[0].data["channels"]) >= {"email", "wecom"}


def test_deliverer_crash_after_claiming_loses_nothing(notify_ctx, receivers, smtp):
    from yuqing.alerts.outbox import _claim

    open_incident(notify_ctx)
    claimed = _claim(StateStore(notify_ctx), NOW, 1000, 120)      # a deliverer claims, then dies
    assert claimed and deliver_due(notify_ctx, NOW + timedelta(seconds=60)).sent == 0   # claim still held
    report = deliver_due(notify_ctx, NOW + timedelta(seconds=121))  # the claim expired: picked up again
    assert report.sent == len(claimed) and report.pending == 0
    assert deliver_due(notify_ctx, NOW + timedelta(hours=1)).sent == 0
    assert len(receivers.requests) + len(smtp.messages) == len(claimed)


def test_message_is_short_chinese_with_everything_a_duty_officer_needs(ctx):
    inc_id = open_incident(ctx, unit_id="qy-ruifeng-garment")
    [msg] = [m for m in messages(ctx, incident_id=inc_id, channel="email")][:1]
    lines = msg.body.splitlines()
    assert lines[0] == msg.subject == "【舆情预警·中】瑞丰制衣有限公司｜欠薪讨薪"
    assert "近6小时负面 21 条（17 位作者，15 起事件" in msg.body and "是平时的 17.5 倍" in msg.body
    assert "1. 瑞丰制衣拖欠工资三个月，工人在厂门口讨薪 https://weibo.com/123" in lines
    assert "已通知：瑞丰制衣有限公司、皮村" in lines
    assert lines[-2] == f"确认：yuqing alerts ack {inc_id} --by 姓名"
    assert lines[-1] == f"详情：http://127.0.0.1:8000/incidents/{inc_id}"
    assert len(msg.body) < 400


def test_acknowledgement_and_resolution_are_announced_to_those_notified(ctx):
    inc_id = open_incident(ctx, unit_id="qy-ruifeng-garment")
    before = {m.id for m in messages(ctx)}
    api.acknowledge(ctx, inc_id, "张三", "已联系企业", at=NOW + timedelta(minutes=10))
    acked = [m for m in messages(ctx) if m.id not in before]
    assert {m.payload["recipient_unit"] for m in acked} == {"qy-ruifeng-garment", "sq-picun"}
    assert all("已由张三确认处置" in m.body and m.payload["reason"] == "acknowledged" for m in acked)
    api.resolve(ctx, inc_id, "李四", "企业已补发工资", at=NOW + timedelta(hours=2))
    resolved = [m for m in messages(ctx) if m.payload.get("reason") == "resolved"]
    assert resolved and all("已由李四处置完毕：企业已补发工资" in m.body for m in resolved)
