"""The union's voice (回应口径): response statements on an incident or a report, approved by an
upper level before they are published (table ``responses``, :mod:`yuqing.alerts.report_models`).

Flow::

    draft ──► pending ──approve──► approved ──publish (where, when, link; repeatable)──► published
                 │  ▲
                 │  └── revise ◄── returned ◄──return (note required)
                 └──────────────────┘

* **Drafting**: a duty officer or admin who can see the incident (its unit in their subtree) or
  read the report in full writes the statement and where it is to be published; the drafting
  unit is theirs.
* **Approval**: a duty officer or admin of a strict ancestor of the drafting unit — or, for a
  statement drafted at the district, another district officer than the drafter.
* **Publication**: an officer of the drafting unit or above records where, when and the link.
* Every step is an event on the incident's timeline (``alert_events``) or the report's
  (``report_events``) and notifies: drafted/revised → the approving level's duty roster;
  approved/returned → the drafting unit's; published → both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.alerts import roster
from yuqing.alerts.models import Incident, IncidentEvent, utc
from yuqing.alerts.report_messages import render_response
from yuqing.alerts.report_models import Report, ReportEvent, Response
from yuqing.alerts.reports import REVIEW_ROLES, Actor, NotAllowed, ReportError, ReportNotFound, visibility
from yuqing.pipeline.core.org import OrgTree, load_org
from yuqing.pipeline.core.statedb import ensure_schema, session_factory

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

MAX_TEXT = 5000


class ResponseNotFound(LookupError):
    def __init__(self, response_id):
        super().__init__(f"没有编号为 {response_id} 的回应口径 (no response {response_id})")


class Responses:
    def __init__(self, ctx: Context, org: OrgTree | None = None):
        self.ctx = ctx
        self.org = org or load_org(ctx)
        self.Session = session_factory(ensure_schema(ctx))

    # -- who -----------------------------------------------------------------------------------

    def approving_unit(self, response: Response) -> str:
        parent = self.org[response.unit_id].parent if response.unit_id in self.org else None
        return self.org.roster_unit(parent or self.org.root.id).id

    def may_approve(self, actor: Actor, response: Response) -> bool:
        if actor.role not in REVIEW_ROLES or response.unit_id not in self.org:
            return False
        if response.unit_id == self.org.root.id:
            return actor.unit_id == self.org.root.id and actor.username != response.drafted_username
        return actor.unit_id in self.org.ancestors(response.unit_id)

    def may_publish(self, actor: Actor, response: Response) -> bool:
        return (actor.role in REVIEW_ROLES and response.unit_id in self.org
                and actor.unit_id in self.org.path(response.unit_id))

    def _subject(self, s: Session, actor: Actor | None, incident_id: int | None, report_id: int | None) -> str:
        """Check ``actor`` may see what the statement is about; its name for messages."""
        if incident_id is not None:
            inc = s.get(Incident, int(incident_id))
            if inc is None or (actor is not None and inc.unit_id not in self.org.subtree(actor.unit_id)):
                raise ReportError(f"incident：没有编号为 {incident_id} 的事件，或您无权查看")
            return f"事件 #{inc.id} {inc.unit_name}·{inc.topic_name or inc.topic}"
        report = s.get(Report, int(report_id))
        if report is None or (actor is not None and visibility(self.org, actor.unit_id, report) != "full"):
            raise ReportNotFound(report_id)
        return f"信息报送 #{report.id}"

    # -- reading -------------------------------------------------------------------------------

    def get(self, response_id: int) -> Response:
        with self.Session() as s:
            row = s.get(Response, int(response_id))
        if row is None:
            raise ResponseNotFound(response_id)
        return row

    def list(self, *, incident_id: int | None = None, report_id: int | None = None, units: set[str] | None = None,
             since: datetime | None = None, until: datetime | None = None, limit: int = 500) -> list[Response]:
        q = select(Response)
        if incident_id is not None:
            q = q.where(Response.incident_id == int(incident_id))
        if report_id is not None:
            q = q.where(Response.report_id == int(report_id))
        if units is not None:
            q = q.where(Response.unit_id.in_(sorted(units)))
        if since is not None:
            q = q.where(Response.updated_at >= utc(since))
        if until is not None:
            q = q.where(Response.created_at < utc(until))
        with self.Session() as s:
            return list(s.scalars(q.order_by(Response.id.desc()).limit(limit)))

    # -- the steps -----------------------------------------------------------------------------

    def draft(self, actor: Actor, text: str, outlets: str, *, incident_id: int | None = None,
              report_id: int | None = None, now: datetime | None = None) -> Response:
        if (incident_id is None) == (report_id is None):
            raise ReportError("回应口径须针对一个事件或一份报送")
        if actor.role not in REVIEW_ROLES:
            raise NotAllowed(f"{actor.label} 的角色不能拟定回应口径")
        text, outlets = _text(text, "口径内容"), (outlets or "").strip()[:500]
        now = utc(now or datetime.now(UTC))
        with self.Session.begin() as s:
            subject = self._subject(s, actor, incident_id, report_id)
            row = Response(incident_id=incident_id, report_id=report_id, unit_id=actor.unit_id, text=text,
                           outlets=outlets, status="pending", drafted_by=actor.label, drafted_username=actor.username,
                           publications=[], created_at=now, updated_at=now)
            s.add(row)
            s.flush()
            self._step(s, row, actor, "drafted", f"{text[:200]}" + (f"（拟发布于：{outlets}）" if outlets else ""),
                       now, subject, [self.approving_unit(row)])
        return self.get(row.id)

    def _review(self, actor: Actor, response_id: int, approve: bool, note: str | None,
                now: datetime | None) -> Response:
        now = utc(now or datetime.now(UTC))
        with self.Session.begin() as s:
            row = s.get(Response, int(response_id), with_for_update=True)
            if row is None:
                raise ResponseNotFound(response_id)
            subject = self._subject(s, actor, row.incident_id, row.report_id)
            if not self.may_approve(actor, row):
                raise NotAllowed(f"{actor.label} 不是拟稿单位的上级，不能审批这份口径")
            if row.status != "pending":
                raise ReportError(f"口径当前为「{row.status}」，不在待审批状态")
            row.status = "approved" if approve else "returned"
            row.reviewed_by, row.reviewed_unit_id, row.reviewed_at = actor.label, actor.unit_id, now
            row.review_note, row.updated_at = note, now
            self._step(s, row, actor, "approved" if approve else "returned", note, now, subject, [row.unit_id])
        return self.get(response_id)

    def approve(self, actor: Actor, response_id: int, note: str | None = None, *,
                now: datetime | None = None) -> Response:
        return self._review(actor, response_id, True, (note or "").strip() or None, now)

    def return_(self, actor: Actor, response_id: int, note: str, *, now: datetime | None = None) -> Response:
        return self._review(actor, response_id, False, _text(note, "退回意见"), now)

    def revise(self, actor: Actor, response_id: int, text: str, outlets: str | None = None, *,
               now: datetime | None = None) -> Response:
        now = utc(now or datetime.now(UTC))
        with self.Session.begin() as s:
            row = s.get(Response, int(response_id), with_for_update=True)
            if row is None:
                raise ResponseNotFound(response_id)
            subject = self._subject(s, actor, row.incident_id, row.report_id)
            if actor.unit_id != row.unit_id or actor.role not in REVIEW_ROLES:
                raise NotAllowed("只有拟稿单位的值班员可以修改口径")
            if row.status != "returned":
                raise ReportError("只有被退回的口径需要修改后重新报批")
            row.text, row.status, row.updated_at = _text(text, "口径内容"), "pending", now
            if outlets is not None:
                row.outlets = outlets.strip()[:500]
            self._step(s, row, actor, "revised", row.text[:200], now, subject, [self.approving_unit(row)])
        return self.get(response_id)

    def publish(self, actor: Actor, response_id: int, where: str, url: str = "", at: datetime | None = None,
                *, now: datetime | None = None) -> Response:
        now = utc(now or datetime.now(UTC))
        where = _text(where, "发布渠道")[:200]
        url = (url or "").strip()
        if url and not url.startswith(("http://", "https://")):
            raise ReportError(f"url：发布链接应以 http:// 或 https:// 开头，不是 {url[:60]!r}")
        with self.Session.begin() as s:
            row = s.get(Response, int(response_id), with_for_update=True)
            if row is None:
                raise ResponseNotFound(response_id)
            subject = self._subject(s, actor, row.incident_id, row.report_id)
            if not self.may_publish(actor, row):
                raise NotAllowed("只有拟稿单位及其上级的值班员可以登记发布")
            if row.status not in ("approved", "published"):
                raise ReportError("口径须先经上级审批通过才能发布")
            when = utc(at) if at else now
            row.publications = [*row.publications, {"where": where, "url": url, "at": when.isoformat(),
                                                     "by": actor.label}]
            row.status, row.updated_at = "published", now
            note = f"{where}" + (f" {url}" if url else "") + f"（{when.astimezone(self.ctx.tz):%m-%d %H:%M}）"
            self._step(s, row, actor, "published", note, now, subject,
                       [row.unit_id, row.reviewed_unit_id or self.approving_unit(row)])
        return self.get(response_id)

    # -- timeline and notices ------------------------------------------------------------------

    def _step(self, s: Session, row: Response, actor: Actor, step: str, note: str | None, now: datetime,
              subject: str, notify: list[str]) -> None:
        kind = f"response_{step}"
        data = {"response_id": row.id, "status": row.status}
        if row.incident_id is not None:
            ev = IncidentEvent(incident_id=row.incident_id, at=now, kind=kind, by=actor.label, note=note, data=data)
            key = f"yuqing-resp{row.id}-inc{row.incident_id}"
        else:
            ev = ReportEvent(report_id=row.report_id, at=now, kind=kind, by=actor.label, unit_id=actor.unit_id,
                             note=note, data=data)
            key = f"yuqing-resp{row.id}-rep{row.report_id}"
        s.add(ev)
        s.flush()
        msg = render_response(row, step, subject_of=subject, console_url=self.ctx.settings.notify.console_url,
                              note=note if step in ("returned", "approved") else None)
        sent: set[tuple[str, str]] = set()
        for uid in dict.fromkeys(u for u in notify if u in self.org):
            unit = self.org.roster_unit(uid)
            if unit.roster:
                roster.queue(s, key=f"{key}-ev{ev.id}-{unit.id}", unit=unit,
                             officers=roster.duty_officers(unit, now, self.ctx.tz), subject=msg.subject,
                             body=msg.body, payload=msg.payload, now=now, incident_id=row.incident_id,
                             sent_to=sent)


def _text(text: str | None, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ReportError(f"请填写{what}")
    if len(text) > MAX_TEXT:
        raise ReportError(f"{what}过长（不超过 {MAX_TEXT} 字）")
    return text


__all__ = ["ResponseNotFound", "Responses"]
