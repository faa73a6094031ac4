"""The briefing mailed to a real SMTP server on 127.0.0.1 — by the CLI and by the scheduled job."""

from __future__ import annotations

from datetime import datetime, timedelta

from click.testing import CliRunner
from docx import Document

from tests.briefing.conftest import fill
from tests.scheduler.conftest import configure, runs, wait_for
from yuqing.pipeline.briefing import list_archive
from yuqing.pipeline.cli.main import main
from yuqing.pipeline.core.record import SHANGHAI
from yuqing.pipeline.scheduler.service import SchedulerService

RECIPIENTS = ["leader@chaoyang-union.example.org", "office@chaoyang-union.example.org"]


def _point_at(ctx, smtp_server):
    host, port, inbox = smtp_server
    ctx.settings.notify.smtp.host, ctx.settings.notify.smtp.port = host, port
    ctx.settings.briefing.recipients = list(RECIPIENTS)
    return inbox


def _check_message(msg, tmp_path, week_label: str):
    assert "舆情周报" in msg["Subject"] and week_label in msg["Subject"]
    assert sorted(a.strip() for a in msg["To"].split(",")) == sorted(RECIPIENTS)
    body = msg.get_body(preferencelist=("plain",)).get_content()
    assert "本期共监测到" in body and "研判与建议" in body
    attachments = {a.get_filename(): a for a in msg.iter_attachments()}
    docx_name = next(n for n in attachments if n.endswith(".docx"))
    assert docx_name.startswith("朝阳区总工会网络舆情周报") and any(n.endswith(".html") for n in attachments)
    saved = tmp_path / "mailed.docx"
    saved.write_bytes(attachments[docx_name].get_content())
    assert any(p.text.startswith("一、") for p in Document(str(saved)).paragraphs)


def test_cli_mails_the_briefing(ctx, smtp_server, tmp_path):
    inbox = _point_at(ctx, smtp_server)
    fill(ctx)
    # settings are read from the config dir by the CLI: write them there
    (ctx.config_dir / "settings.yaml").write_text(
        (ctx.config_dir / "settings.yaml").read_text(encoding="utf-8")
        + f"\nnotify:\n  smtp:\n    host: 127.0.0.1\n    port: {smtp_server[1]}\n"
        + "briefing:\n  recipients:\n" + "".join(f"    - {r}\n" for r in RECIPIENTS), encoding="utf-8")
    result = CliRunner().invoke(main, ["--config-dir", str(ctx.config_dir), "--data-dir", str(ctx.data_dir),
                                       "briefing", "weekly", "--week", "2026-W47", "--mail"])
    assert result.exit_code == 0, result.output
    (msg,) = inbox.messages()
    _check_message(msg, tmp_path, "第47周")
    assert list_archive(ctx)[0]["mailings"][0]["to"] == RECIPIENTS


def test_scheduled_weekly_briefing_is_built_archived_and_mailed(ctx, smtp_server, tmp_path, fast_clock):
    inbox = _point_at(ctx, smtp_server)
    configure(ctx, tmp_path, [])
    fill(ctx, "2026-W48")
    start = datetime(2026, 11, 30, 7, 59, 50, tzinfo=SHANGHAI)   # Monday, ten seconds before 08:00
    clock = fast_clock(start, speed=20)
    service = SchedulerService(ctx, clock=clock, scheduler_factory=clock.scheduler)
    service.start()
    try:
        wait_for(lambda: any(r.job_id == "briefing:weekly" and r.status != "running" for r in runs(ctx)),
                 timeout=60, what="the weekly briefing run")
    finally:
        service.stop(grace=30)
    (run,) = [r for r in runs(ctx) if r.job_id == "briefing:weekly"]
    assert run.status == "ok", run.message
    assert run.scheduled_at == start + timedelta(seconds=10)
    assert "2026-W48" in run.message and "mailed to 2" in run.message
    (msg,) = inbox.messages()
    _check_message(msg, tmp_path, "第48周")
    (entry,) = list_archive(ctx)
    assert entry["period"] == "2026-W48" and entry["mailings"][0]["error"] is None


def test_unit_briefings_go_to_each_subdistricts_roster(ctx, smtp_server, tmp_path, fast_clock):
    inbox = _point_at(ctx, smtp_server)
    ctx.settings.briefing.unit_briefings = True
    configure(ctx, tmp_path, [])
    fill(ctx, "2026-W48")
    start = datetime(2026, 11, 30, 7, 59, 55, tzinfo=SHANGHAI)
    clock = fast_clock(start, speed=10)
    service = SchedulerService(ctx, clock=clock, scheduler_factory=clock.scheduler)
    service.start()
    try:
        wait_for(lambda: any(r.job_id == "briefing:weekly" and r.status != "running" for r in runs(ctx)),
                 timeout=120, what="the weekly briefing run")
    finally:
        service.stop(grace=60)
    (run,) = [r for r in runs(ctx) if r.job_id == "briefing:weekly"]
    assert run.status == "ok", run.message
    messages = inbox.messages()
    by_subject = {m["Subject"]: m for m in messages}
    wangjing = next(m for subj, m in by_subject.items() if subj.startswith("望京街道总工会网络舆情周报"))
    assert wangjing["To"] == "wangjing1@example.org, wangjing2@example.org"
    units_with_posts = {e["unit"] for e in list_archive(ctx) if e["unit"]}
    assert len(messages) == 1 + len(units_with_posts) and f"{len(units_with_posts)} unit briefings mailed" in run.message
