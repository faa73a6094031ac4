"""Grassroots reporting (信息报送): community and enterprise unions report upward, upper levels
review — the workflow over the tables of :mod:`yuqing.alerts.report_models`.

Flow::

    submit ──► pending ──adopt (街乡 / 区)──► adopted ──adopt at the other level──► adopted
                 │  ▲                            │
                 │  └─ supplement ◄─ needs_more ◄┘ (补报: ask for more, note required)
                 └──return (退回, note required)──► returned
    merge (into an incident, or open one from the report) may happen at any state but returned.

* **Who.** Every call takes an :class:`Actor` (a console account: username, name, unit, role).
  Any account below the district submits. *Reviewers* are duty officers and admins of a strict
  ancestor of the reporting unit (the receiving levels: its community, subdistrict, district).
  Adoption is recorded per level — 街乡 (subdistrict) and 区 (district) — at the level of a unit
  on the reporter's path that the reviewer's unit is at or above.
* **Who reads.** :func:`visibility`: the reporting unit and its ancestors read the full report;
  the unit it concerns (below the reporter) and the units of an incident it was merged into read
  it *masked* when it holds personal data — names, phone and ID numbers — and without its
  attachments; everyone else does not see it (404, like a missing one).
* **Into ingest.** A report becomes a post (:mod:`yuqing.alerts.report_post`) handed to the
  ``ingest`` function the caller passes down (the apps own ingest; this layer cannot import it),
  so it is classified, de-duplicated against internet posts, counted in trends and, when urgent,
  alerted at once by :mod:`yuqing.alerts.immediate`. Should ingest fail, the report is kept
  (``yuqing report reingest``) and an urgent one still opens its incident.
* **Notified** (through the outbox, in the transaction of the change): a new report → the first
  receiving level's duty roster (``reports.notify_new``; an urgent one opens an incident at
  ingest, which notifies the unit and its parents); adopted, returned, more asked, merged → the
  reporting unit's roster; supplemented → the unit that asked.
* Every step is a :class:`~yuqing.alerts.report_models.ReportEvent` with who and when;
  ``first_reviewed_at`` marks the first review (the 通报's "time to first review").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from yuqing.alerts import attachments, roster
from yuqing.alerts.detect import post_evidence
from yuqing.alerts.models import Incident, IncidentEvent, utc
from yuqing.alerts.report_messages import quoted, render_report
from yuqing.alerts.report_models import Report, ReportAttachment, ReportEvent
from yuqing.alerts.report_post import to_post
from yuqing.alerts.rules import load_alerts_config
from yuqing.alerts.state import Finding, StateStore
from yuqing.pipeline.core.names import ADOPTION_LEVEL_NAMES, REPORT_CHANNEL_NAMES, REPORT_STATUS_NAMES
from yuqing.pipeline.core.org import OrgTree, load_org
from yuqing.pipeline.core.privacy import mask_report_text
from yuqing.pipeline.core.record import Post
from yuqing.pipeline.core.statedb import ensure_schema, session_factory

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

log = logging.getLogger("yuqing.alerts.reports")

REVIEW_ROLES = ("duty", "admin")
URGENCIES = ("normal", "urgent")
#: the report channel as people type it (CLI, forms) → its id
CHANNEL_IDS = {**{v: k for k, v in REPORT_CHANNEL_NAMES.items()}, **{k: k for k in REPORT_CHANNEL_NAMES}}
MAX_TEXT = 20_000
Ingest = Callable[[list[Post]], Any]


class ReportError(ValueError):
    """Bad input for a report; the message names the field and says why (in Chinese)."""


class ReportNotFound(LookupError):
    def __init__(self, report_id: Any):
        super().__init__(f"没有编号为 {report_id} 的信息报送 (no report {report_id})")


class NotAllowed(PermissionError):
    """The actor may not do this to this report (the console answers 403/404 and audits it)."""


@dataclass(frozen=True)
class Actor:
    """Who acts: a console account (the console and ``yuqing report … --by`` build it)."""

    username: str
    name: str
    unit_id: str
    role: str

    @property
    def label(self) -> str:
        return f"{self.name}（{self.username}）" if self.name and self.name != self.username else self.username


@dataclass
class ReportInput:
    text: str
    unit_id: str | None = None            # where; default: the reporter's own unit
    title: str = ""
    place: str = ""
    employer: str = ""
    workers: int | None = None
    amount_yuan: float | None = None
    channel: str = "other"
    urgent: bool = False
    personal_data: bool = False
    personal_names: list[str] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)   # (file name, content)


# --- who may do what ------------------------------------------------------------------------------


def visibility(org: OrgTree, unit_id: str, report: Report, incident_unit: str | None = None) -> str | None:
    """How an account of ``unit_id`` may read ``report``: ``"full"``, ``"masked"`` or ``None``."""
    if unit_id not in org:
        return None
    mine = org.subtree(unit_id)
    if report.reporter_unit_id in mine:
        return "full"
    if report.unit_id in mine or (incident_unit is not None and incident_unit in mine):
        return "masked"
    return None


def is_reviewer(org: OrgTree, actor: Actor, report: Report) -> bool:
    return (actor.role in REVIEW_ROLES and report.reporter_unit_id in org
            and actor.unit_id in org.ancestors(report.reporter_unit_id))


def adoption_levels(org: OrgTree, actor: Actor, report: Report) -> list[str]:
    """The levels ``actor`` may record an adoption at: those of the reporter's strict ancestors
    at or below the actor's unit."""
    if not is_reviewer(org, actor, report):
        return []
    path = org.ancestors(report.reporter_unit_id)
    below = path[:path.index(actor.unit_id) + 1]
    return [lv for lv in ADOPTION_LEVEL_NAMES if any(org[u].level == lv for u in below)]


def can_supplement(actor: Actor, report: Report) -> bool:
    return report.status == "needs_more" and (actor.username == report.reporter_username
                                              or (actor.unit_id == report.reporter_unit_id
                                                  and actor.role in REVIEW_ROLES))


def masked_view(report: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """A report's dict as an account outside the reporter's unit and its ancestors reads it."""
    if not report.get("personal_data"):
        return report
    out = dict(report)
    for key in ("title", "text", "place"):
        out[key] = mask_report_text(out.get(key) or "", names)
    out["attachments"] = []
    out["timeline"] = [{**e, "note": mask_report_text(e["note"], names) if e.get("note") else e.get("note")}
                       for e in report.get("timeline", [])]
    out["masked"] = True
    return out


# --- the workflow ---------------------------------------------------------------------------------


class Reports:
    """Report operations for one context. Cheap to build; opens a session per operation."""

    def __init__(self, ctx: Context, org: OrgTree | None = None):
        self.ctx = ctx
        self.org = org or load_org(ctx)
        self.Session = session_factory(ensure_schema(ctx))

    # -- reading -----------------------------------------------------------------------------

    def get(self, report_id: int) -> Report:
        with self.Session() as s:
            report = s.scalars(select(Report).options(selectinload(Report.events), selectinload(Report.attachments))
                               .where(Report.id == int(report_id))).first()
        if report is None:
            raise ReportNotFound(report_id)
        return report

    def incident_unit(self, report: Report) -> str | None:
        if report.incident_id is None:
            return None
        with self.Session() as s:
            return s.scalar(select(Incident.unit_id).where(Incident.id == report.incident_id))

    def read(self, actor: Actor, report_id: int) -> tuple[Report, str]:
        """The report and how ``actor`` may read it; :class:`ReportNotFound` when they may not."""
        report = self.get(report_id)
        view = visibility(self.org, actor.unit_id, report, self.incident_unit(report))
        if view is None:
            raise ReportNotFound(report_id)
        return report, view

    def as_dict(self, actor: Actor, report_id: int) -> dict[str, Any]:
        report, view = self.read(actor, report_id)
        data = report.to_dict()
        return masked_view(data, report.personal_names or ()) if view == "masked" else data

    def list(self, *, units: set[str] | None = None, reporter_units: set[str] | None = None,
             status: str | None = None, urgency: str | None = None, since: datetime | None = None,
             until: datetime | None = None, incident_id: int | None = None, limit: int = 200,
             offset: int = 0) -> list[Report]:
        """Newest first. ``reporter_units``: reports sent by these units; ``units``: reports sent by
        or concerning these units; ``incident_id``: reports merged into it."""
        q = select(Report).options(selectinload(Report.attachments))
        if incident_id is not None:
            q = q.where(Report.incident_id == int(incident_id))
        if reporter_units is not None:
            q = q.where(Report.reporter_unit_id.in_(sorted(reporter_units)))
        if units is not None:
            q = q.where(Report.reporter_unit_id.in_(sorted(units)) | Report.unit_id.in_(sorted(units)))
        if status:
            if status not in REPORT_STATUS_NAMES:
                raise ReportError(f"status {status!r}：应为 {', '.join(REPORT_STATUS_NAMES)}")
            q = q.where(Report.status == status)
        if urgency:
            q = q.where(Report.urgency == urgency)
        if since is not None:
            q = q.where(Report.created_at >= utc(since))
        if until is not None:
            q = q.where(Report.created_at < utc(until))
        with self.Session() as s:
            return list(s.scalars(q.order_by(Report.id.desc()).limit(limit).offset(offset)))

    def attachment(self, actor: Actor, report_id: int, attachment_id: int) -> tuple[ReportAttachment, Any]:
        """An attachment ``actor`` may download (full view only) and its file path."""
        report, view = self.read(actor, report_id)
        found = next((a for a in report.attachments if a.id == int(attachment_id)), None)
        if found is None or (view != "full" and report.personal_data):
            raise ReportNotFound(report_id)
        return found, attachments.path_of(self.ctx, found.stored_name)

    # -- submitting --------------------------------------------------------------------------

    def check_input(self, actor: Actor, inp: ReportInput) -> tuple[str, list[attachments.Checked]]:
        """The unit the report concerns and the checked files; :class:`ReportError` naming the field."""
        if actor.unit_id not in self.org:
            raise NotAllowed(f"账号 {actor.username} 所属单位 {actor.unit_id} 不在组织架构中")
        if actor.unit_id == self.org.root.id:
            raise NotAllowed("区总工会账号不报送信息：信息报送由区以下各级工会向上报送")
        text = (inp.text or "").strip()
        if not text:
            raise ReportError("text：请填写事件经过（发生了什么）")
        if len(text) > MAX_TEXT or len(inp.title or "") > 200:
            raise ReportError(f"text：内容过长（正文不超过 {MAX_TEXT} 字，标题不超过 200 字）")
        unit = inp.unit_id or actor.unit_id
        if unit not in self.org:
            raise ReportError(f"unit：未知单位 {unit!r}（见 yuqing org show）")
        allowed = self.org.subtree(actor.unit_id) | set(self.org.ancestors(actor.unit_id))
        if unit not in allowed:
            raise ReportError(f"unit：{self.org.display_name(unit)} 不在本单位及其上下级范围内，请选择本单位、"
                              "下级单位或上级单位，并在地点中写明具体位置")
        if inp.channel not in CHANNEL_IDS:
            raise ReportError(f"channel：获知渠道应为 {'、'.join(REPORT_CHANNEL_NAMES.values())}，不是 {inp.channel!r}")
        if inp.workers is not None and not (0 <= inp.workers <= 1_000_000):
            raise ReportError(f"workers：涉及人数应为 0–1000000 的整数，不是 {inp.workers}")
        if inp.amount_yuan is not None and not (0 <= inp.amount_yuan < 1e12):
            raise ReportError(f"amount：涉及金额应为非负的元数，不是 {inp.amount_yuan}")
        cfg = self.ctx.settings.reports
        if len(inp.files) > cfg.max_attachments:
            raise ReportError(f"attachments：附件最多 {cfg.max_attachments} 个，收到 {len(inp.files)} 个")
        try:
            checked = [attachments.inspect(name, data, cfg) for name, data in inp.files]
        except attachments.AttachmentError as exc:
            raise ReportError(f"attachments：{exc}") from exc
        return unit, checked

    def submit(self, actor: Actor, inp: ReportInput, *, ingest: Ingest | None = None,
               now: datetime | None = None) -> Report:
        """Record a report, notify the receiving level, and hand its post to ``ingest``."""
        now = utc(now or datetime.now(UTC))
        unit, checked = self.check_input(actor, inp)
        names = [n.strip() for n in inp.personal_names if n and n.strip()][:50]
        with self.Session.begin() as s:
            report = Report(post_id="", unit_id=unit, place=(inp.place or "").strip()[:500],
                            title=(inp.title or "").strip(), text=inp.text.strip(),
                            employer=(inp.employer or "").strip()[:200], workers=inp.workers,
                            amount_yuan=inp.amount_yuan, channel=CHANNEL_IDS[inp.channel],
                            urgency="urgent" if inp.urgent else "normal", personal_data=bool(inp.personal_data),
                            personal_names=names, reporter_username=actor.username, reporter_name=actor.name,
                            reporter_unit_id=actor.unit_id, status="pending", created_at=now, updated_at=now)
            s.add(report)
            s.flush()
            report.post_id = f"report:{report.id}"
            self._attach(s, report, checked, now)
            ev = self._event(s, report, now, "submitted", actor, None,
                             {"urgency": report.urgency, "attachments": len(checked)})
            if self.ctx.settings.reports.notify_new and not inp.urgent:
                self._notify_receiving(s, report, ev, now)
        report = self.get(report.id)
        return self._ingest(report, ingest)

    def _attach(self, s: Session, report: Report, checked: list[attachments.Checked], now: datetime) -> None:
        have = s.scalar(select(func.count()).select_from(ReportAttachment)
                        .where(ReportAttachment.report_id == report.id)) or 0
        if have + len(checked) > self.ctx.settings.reports.max_attachments:
            raise ReportError(f"attachments：每份报送附件最多 {self.ctx.settings.reports.max_attachments} 个")
        for c in checked:
            stored = attachments.store(self.ctx, report.id, c)
            s.add(ReportAttachment(report_id=report.id, filename=c.filename, kind=c.kind, media_type=c.media_type,
                                   size=c.size, sha256=c.sha256, stored_name=stored, created_at=now))

    def post_of(self, report: Report) -> Post:
        return to_post(report, self.org, self.ctx.settings.notify.console_url)

    def _ingest(self, report: Report, ingest: Ingest | None) -> Report:
        """Hand the report's post to ingest; a failure is logged and left for ``yuqing report reingest``
        (the report itself is kept)."""
        if ingest is None:
            return report
        try:
            ingest([self.post_of(report)])
        except Exception:  # noqa: BLE001 - the report stands; the post can be ingested again
            log.exception("report %s: its post was not ingested (yuqing report reingest %s)", report.id, report.id)
            if report.urgency == "urgent":  # first moment all the same: the incident needs no store
                severity = load_alerts_config(self.ctx).immediate.urgent_report_severity
                self.alert_urgent(self.post_of(report), severity=severity, now=datetime.now(UTC))
            return self.get(report.id)
        with self.Session.begin() as s:
            row = s.get(Report, report.id)
            row.ingested_at = datetime.now(UTC)
        return self.get(report.id)

    def reingest(self, report_ids: Iterable[int], ingest: Ingest) -> int:
        reports = [self.get(i) for i in report_ids]
        if reports:
            ingest([self.post_of(r) for r in reports])
            with self.Session.begin() as s:
                for r in reports:
                    s.get(Report, r.id).ingested_at = datetime.now(UTC)
        return len(reports)

    # -- reviewing ---------------------------------------------------------------------------

    def _reviewing(self, s: Session, actor: Actor, report_id: int) -> Report:
        report = s.get(Report, int(report_id), with_for_update=True)
        if report is None or visibility(self.org, actor.unit_id, report) is None:
            raise ReportNotFound(report_id)
        if not is_reviewer(self.org, actor, report):
            raise NotAllowed(f"{actor.label} 不是{self.org.display_name(report.reporter_unit_id)}的上级值班员，"
                             "不能审核这份报送")
        return report

    def _reviewed(self, report: Report, now: datetime) -> None:
        report.updated_at = now
        if report.first_reviewed_at is None:
            report.first_reviewed_at = now

    def adopt(self, actor: Actor, report_id: int, level: str | None = None, note: str | None = None,
              *, now: datetime | None = None) -> Report:
        now = utc(now or datetime.now(UTC))
        with self.Session.begin() as s:
            report = self._reviewing(s, actor, report_id)
            levels = adoption_levels(self.org, actor, report)
            level = level or (self.org[actor.unit_id].level if self.org[actor.unit_id].level in levels else None)
            if level not in ADOPTION_LEVEL_NAMES:
                raise ReportError(f"level：采用层级应为 subdistrict（街乡）或 district（区），不是 {level!r}")
            if level not in levels:
                raise NotAllowed(f"{actor.label} 不能以{ADOPTION_LEVEL_NAMES[level]}级采用这份报送")
            if report.status == "returned":
                raise ReportError("这份报送已被退回，不能采用")
            if getattr(report, f"adopted_{level}_at") is not None:
                raise ReportError(f"这份报送已由{ADOPTION_LEVEL_NAMES[level]}级采用")
            setattr(report, f"adopted_{level}_at", now)
            setattr(report, f"adopted_{level}_by", actor.label)
            report.status = "adopted"
            self._reviewed(report, now)
            ev = self._event(s, report, now, "adopted", actor, note,
                             {"level": level, "level_name": ADOPTION_LEVEL_NAMES[level]})
            self._notify_reporter(s, report, "adopted", ev, now, level=level, note=note)
        return self.get(report_id)

    def request_more(self, actor: Actor, report_id: int, note: str, *, now: datetime | None = None) -> Report:
        note = _required(note, "补报要求")
        now = utc(now or datetime.now(UTC))
        with self.Session.begin() as s:
            report = self._reviewing(s, actor, report_id)
            if report.status not in ("pending", "adopted"):
                raise ReportError(f"这份报送当前为「{REPORT_STATUS_NAMES[report.status]}」，不能要求补报")
            report.status = "needs_more"
            self._reviewed(report, now)
            ev = self._event(s, report, now, "more_requested", actor, note)
            self._notify_reporter(s, report, "more_requested", ev, now, note=note)
        return self.get(report_id)

    def return_(self, actor: Actor, report_id: int, note: str, *, now: datetime | None = None) -> Report:
        note = _required(note, "退回说明")
        now = utc(now or datetime.now(UTC))
        with self.Session.begin() as s:
            report = self._reviewing(s, actor, report_id)
            if report.status == "returned":
                raise ReportError("这份报送已被退回")
            if report.adopted_levels():
                raise ReportError("这份报送已被采用，不能退回")
            report.status = "returned"
            self._reviewed(report, now)
            ev = self._event(s, report, now, "returned", actor, note)
            self._notify_reporter(s, report, "returned", ev, now, note=note)
        return self.get(report_id)

    def supplement(self, actor: Actor, report_id: int, text: str, files: list[tuple[str, bytes]] = (),
                   *, ingest: Ingest | None = None, now: datetime | None = None) -> Report:
        """补报: the reporter adds what was asked for; the report goes back to review."""
        text = _required(text, "补报内容")
        now = utc(now or datetime.now(UTC))
        cfg = self.ctx.settings.reports
        try:
            checked = [attachments.inspect(name, data, cfg) for name, data in files]
        except attachments.AttachmentError as exc:
            raise ReportError(f"attachments：{exc}") from exc
        with self.Session.begin() as s:
            report = s.get(Report, int(report_id), with_for_update=True)
            if report is None or visibility(self.org, actor.unit_id, report) != "full":
                raise ReportNotFound(report_id)
            if not can_supplement(actor, report):
                raise NotAllowed("只有报送人（或报送单位的值班员）可以在「待补报」时补报")
            asked = s.scalars(select(ReportEvent).where(ReportEvent.report_id == report.id,
                                                        ReportEvent.kind == "more_requested")
                              .order_by(ReportEvent.id.desc()).limit(1)).first()
            local = now.astimezone(self.ctx.tz).strftime("%m-%d %H:%M")
            report.text = f"{report.text}\n【补报 {local}】{text}"
            report.status = "adopted" if report.adopted_levels() else "pending"
            report.updated_at = now
            self._attach(s, report, checked, now)
            ev = self._event(s, report, now, "supplemented", actor, text, {"attachments": len(checked)})
            if asked is not None and asked.unit_id in self.org:
                self._notify_unit(s, report, asked.unit_id, "supplemented", ev, now, note=text)
        return self._ingest(self.get(report_id), ingest)

    def merge(self, actor: Actor, report_id: int, incident_id: int | None = None, note: str | None = None,
              *, now: datetime | None = None) -> Report:
        """Merge into incident ``incident_id`` (one ``actor`` may see), or open one from the report
        when ``incident_id`` is None. The report's post joins the incident's evidence."""
        now = utc(now or datetime.now(UTC))
        if incident_id is None:
            return self._open_incident(actor, report_id, note, now)
        post = None
        with self.Session.begin() as s:
            report = self._reviewing(s, actor, report_id)
            if report.status == "returned":
                raise ReportError("这份报送已被退回，不能并入事件")
            inc = s.get(Incident, int(incident_id), with_for_update=True)
            if inc is None or inc.unit_id not in self.org.subtree(actor.unit_id):
                raise ReportError(f"incident：没有编号为 {incident_id} 的事件，或您无权处置")
            if report.incident_id == inc.id:
                raise ReportError(f"这份报送已并入事件 #{inc.id}")
            post = self.post_of(report)
            self._join_incident(s, report, inc, actor, note, now, post)
        return self.get(report_id)

    def _join_incident(self, s: Session, report: Report, inc: Incident, actor: Actor | None, note: str | None,
                       now: datetime, post: Post) -> None:
        evidence = post_evidence(post, report_id=report.id)
        inc.evidence = [evidence] + [e for e in inc.evidence or [] if e.get("id") != post.id][:9]
        ref = dict(inc.reference or {})
        ref["seen"] = [*[x for x in ref.get("seen", []) if x != post.id], post.id][-1000:]
        inc.reference = ref
        inc.updated_at = now
        title = quoted(report, report.title) or quoted(report, report.text)[:40]
        s.add(IncidentEvent(incident_id=inc.id, at=now, kind="report_merged", by=actor.label if actor else None,
                            note=f"信息报送 #{report.id}（{self.org.display_name(report.reporter_unit_id)}）：{title}"
                                 + (f"；{note}" if note else ""),
                            data={"report_id": report.id, "post_id": post.id}))
        report.incident_id = inc.id
        if actor is not None:
            self._reviewed(report, now)
        ev = self._event(s, report, now, "merged", actor, note, {"incident_id": inc.id})
        if actor is not None:
            self._notify_reporter(s, report, "merged", ev, now, note=note)

    def _open_incident(self, actor: Actor, report_id: int, note: str | None, now: datetime) -> Report:
        report = self.get(report_id)
        with self.Session() as s:  # the checks, before opening anything
            self._reviewing(s, actor, report_id)
        if report.status == "returned":
            raise ReportError("这份报送已被退回，不能立案")
        incident_id = self.open_incident(report, severity="high" if report.urgency == "urgent" else "medium", now=now)
        with self.Session.begin() as s:
            row = s.get(Report, report.id, with_for_update=True)
            inc = s.get(Incident, incident_id, with_for_update=True)
            if row.incident_id != inc.id:
                self._join_incident(s, row, inc, actor, note, now, self.post_of(row))
        return self.get(report_id)

    def open_incident(self, report: Report, *, severity: str, now: datetime, post: Post | None = None,
                      state: StateStore | None = None) -> int:
        """Open (or update) the incident of the report's unit and topic through the alerts state
        machine — its duty officers and ``start_levels_up[severity]`` levels above hear at once."""
        post = post or self.post_of(report)
        state = state or StateStore(self.ctx, org=self.org)
        topic = post.topics[0] if post.topics else "other"
        unit = report.unit_id
        kind = "紧急报送" if report.urgency == "urgent" else "信息报送"
        title = f"{self.org.display_name(unit)}{kind}：{quoted(report, report.title or report.text)[:40]}"
        finding = Finding(unit_id=unit, topic=topic, kind="report", severity=severity, score=90.0, volume=1.0,
                          title=title, counts={"kind": "report", "posts": 1, "report_id": report.id},
                          evidence=[post_evidence(post, report_id=report.id)],
                          topic_name="其他" if topic == "other" else "")
        result = state.apply([finding], now)
        ids = result.opened + result.reopened + result.updated
        if ids:
            return ids[0]
        with state.Session() as s:  # already on the open incident of (unit, topic), nothing new to say
            return s.scalar(select(Incident.id).where(Incident.open_key == f"{unit}|{topic}"))

    def alert_urgent(self, post: Post, *, severity: str, now: datetime, state: StateStore | None = None) -> int | None:
        """At ingest (:mod:`yuqing.alerts.immediate`): open the incident of an urgent report not yet
        on one, and link them. Returns the incident id, or None when nothing was to do."""
        report = self._by_post(post.id)
        if report is None or report.urgency != "urgent" or report.incident_id is not None \
                or report.status == "returned":
            return None
        incident_id = self.open_incident(report, severity=severity, now=now, post=post, state=state)
        with self.Session.begin() as s:
            row = s.get(Report, report.id, with_for_update=True)
            inc = s.get(Incident, incident_id)
            if row.incident_id is None and inc is not None:
                self._join_incident(s, row, inc, None, "紧急报送，入库时自动立案", now, post)
        return incident_id

    def _by_post(self, post_id: str) -> Report | None:
        with self.Session() as s:
            return s.scalars(select(Report).where(Report.post_id == post_id)).first()

    # -- events and notices ----------------------------------------------------------------

    def _event(self, s: Session, report: Report, at: datetime, kind: str, actor: Actor | None, note: str | None,
               data: dict | None = None) -> ReportEvent:
        ev = ReportEvent(report_id=report.id, at=at, kind=kind, by=actor.label if actor else None,
                         unit_id=actor.unit_id if actor else "", note=note, data=data or {})
        s.add(ev)
        s.flush()
        return ev

    def receiving_unit(self, report: Report) -> str | None:
        parent = self.org[report.reporter_unit_id].parent
        return self.org.roster_unit(parent).id if parent else None

    def _notify_receiving(self, s: Session, report: Report, ev: ReportEvent, now: datetime) -> None:
        target = self.receiving_unit(report)
        if target is not None:
            self._notify_unit(s, report, target, "submitted", ev, now)

    def _notify_reporter(self, s: Session, report: Report, reason: str, ev: ReportEvent, now: datetime,
                         **kw) -> None:
        self._notify_unit(s, report, report.reporter_unit_id, reason, ev, now, **kw)

    def _notify_unit(self, s: Session, report: Report, unit_id: str, reason: str, ev: ReportEvent, now: datetime,
                     *, level: str | None = None, note: str | None = None) -> None:
        unit = self.org.roster_unit(unit_id)
        if not unit.roster:
            return
        officers = roster.duty_officers(unit, now, self.ctx.tz)
        msg = render_report(report, reason, unit_name=self.org.display_name(report.unit_id),
                            reporter_unit_name=self.org.display_name(report.reporter_unit_id),
                            console_url=self.ctx.settings.notify.console_url, tz=self.ctx.tz, level=level, note=note)
        channels = roster.queue(s, key=f"yuqing-rep{report.id}-ev{ev.id}", unit=unit, officers=officers,
                                subject=msg.subject, body=msg.body, payload=msg.payload, now=now)
        self._event(s, report, now, "notified", None, f"已通知{unit.name}：{'、'.join(o.name for o in officers)}",
                    {"unit": unit.id, "officers": [o.name for o in officers], "channels": channels, "cause": ev.id})


def _required(text: str | None, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ReportError(f"note：请填写{what}")
    return text


__all__ = ["Actor", "NotAllowed", "ReportError", "ReportInput", "ReportNotFound", "Reports", "adoption_levels",
           "can_supplement", "is_reviewer", "masked_view", "visibility"]
