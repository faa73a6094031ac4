"""Notice text for grassroots reports and response statements (口径), rendered from
``alerts/templates/report.txt.j2`` like incident notices (:mod:`yuqing.alerts.messages`).

Messages leave the union's own systems (mail servers, WeCom/DingTalk groups), so a report that
holds workers' personal data is quoted masked (:func:`yuqing.pipeline.core.privacy.mask_report_text`)
whoever receives it; the full text stays on the console.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from yuqing.alerts.messages import Message, _env, snippet
from yuqing.pipeline.core.names import ADOPTION_LEVEL_NAMES, REPORT_URGENCY_NAMES, RESPONSE_STATUS_NAMES
from yuqing.pipeline.core.privacy import mask_report_text

if TYPE_CHECKING:
    from yuqing.alerts.report_models import Report, Response

REPORT_HEADLINES = {
    "submitted": "新的信息报送，请及时审核。",
    "adopted": "本单位报送的信息已被{level}采用。",
    "more_requested": "审核单位要求补报，请补充后重新报送。",
    "supplemented": "报送单位已补报，请继续审核。",
    "returned": "本单位报送的信息被退回。",
    "merged": "本单位报送的信息已并入预警事件 #{incident}。",
}
RESPONSE_HEADLINES = {
    "drafted": "有回应口径待审批。",
    "revised": "回应口径已修改，请重新审批。",
    "approved": "回应口径已审批通过，可按计划发布。",
    "returned": "回应口径被退回，请修改后重新报批。",
    "published": "回应口径已发布。",
}


def quoted(report: Report, text: str) -> str:
    """``text`` of ``report`` as a message may carry it: masked when it holds personal data."""
    return mask_report_text(text, report.personal_names or ()) if report.personal_data else text


def report_facts(report: Report) -> str:
    parts = []
    if report.place:
        parts.append(f"地点 {quoted(report, report.place)}")
    if report.employer:
        parts.append(f"用人单位 {report.employer}")
    if report.workers:
        parts.append(f"涉及职工约 {report.workers} 人")
    if report.amount_yuan:
        parts.append(f"涉及金额 {report.amount_yuan:,.0f} 元")
    return "；".join(parts)


def render_report(report: Report, reason: str, *, unit_name: str, reporter_unit_name: str, console_url: str,
                  tz, level: str | None = None, note: str | None = None) -> Message:
    link = f"{console_url.rstrip('/')}/reports/{report.id}"
    title = quoted(report, report.title) or snippet(quoted(report, report.text), 24)
    text = _env().get_template("report.txt.j2").render(
        kind="report", urgency=REPORT_URGENCY_NAMES.get(report.urgency, report.urgency), unit=unit_name,
        title=title, headline=REPORT_HEADLINES[reason].format(level=ADOPTION_LEVEL_NAMES.get(level or "", ""),
                                                             incident=report.incident_id or ""),
        summary=snippet(quoted(report, report.text), 80), facts=report_facts(report),
        reporter_unit=reporter_unit_name, at=report.created_at.astimezone(tz).strftime("%m-%d %H:%M"),
        note=quoted(report, note) if note else "", link=link)
    lines = text.strip().splitlines()
    payload = {"type": "report", "reason": reason, "report_id": report.id, "unit_id": report.unit_id,
               "reporter_unit_id": report.reporter_unit_id, "urgency": report.urgency, "status": report.status,
               "incident_id": report.incident_id, "link": link, "text": "\n".join(lines)}
    return Message(subject=lines[0], body="\n".join(lines), payload=payload)


def render_response(response: Response, reason: str, *, subject_of: str, console_url: str,
                    note: str | None = None) -> Message:
    link = (f"{console_url.rstrip('/')}/incidents/{response.incident_id}" if response.incident_id
            else f"{console_url.rstrip('/')}/reports/{response.report_id}")
    text = _env().get_template("report.txt.j2").render(
        kind="response", status=RESPONSE_STATUS_NAMES.get(response.status, response.status), subject_of=subject_of,
        headline=RESPONSE_HEADLINES[reason], summary=snippet(response.text, 120), outlets=response.outlets,
        note=note or "", link=link)
    lines = text.strip().splitlines()
    payload = {"type": "response", "reason": reason, "response_id": response.id,
               "incident_id": response.incident_id, "report_id": response.report_id, "status": response.status,
               "link": link, "text": "\n".join(lines)}
    return Message(subject=lines[0], body="\n".join(lines), payload=payload)
