"""信息报送 in the console: the report form (works on a phone), the review queue, a report's page
with its actions and attachments, the response statements (口径) on reports and incidents — pages
and the JSON API (``/api/reports``, ``/api/responses``).

The workflow and its rules are :mod:`yuqing.alerts.reports` and :mod:`yuqing.alerts.responses`;
this router turns the signed-in principal into their :class:`~yuqing.alerts.reports.Actor`,
checks CSRF on every change, writes the audit log, and answers a report the caller may not read
exactly like a missing one (404, audited as ``access.denied``). Attachments are served only to
callers who may read them in full, with ``Content-Disposition``, ``nosniff`` and a sandboxing CSP.
Uploads are refused before parsing when the request is larger than the attachments allowed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from yuqing.alerts import api as alerts_api
from yuqing.alerts.attachments import INLINE
from yuqing.alerts.report_models import Report
from yuqing.alerts.reports import (
    Actor,
    NotAllowed,
    ReportError,
    ReportInput,
    ReportNotFound,
    Reports,
    adoption_levels,
    can_supplement,
    is_reviewer,
)
from yuqing.alerts.responses import ResponseNotFound, Responses
from yuqing.console import audit
from yuqing.console.access import Principal
from yuqing.console.deps import api_user, api_writer, check_form_csrf, client_ip, get_ctx, get_org, page_user
from yuqing.console.render import render
from yuqing.pipeline.core.names import (
    ADOPTION_LEVEL_NAMES,
    REPORT_CHANNEL_NAMES,
    REPORT_STATUS_NAMES,
    REPORT_URGENCY_NAMES,
    RESPONSE_STATUS_NAMES,
)
from yuqing.pipeline.core.record import to_aware
from yuqing.pipeline.ingest.feed import post_feeder

router = APIRouter()
PageUser = Annotated[Principal, Depends(page_user)]
ApiUser = Annotated[Principal, Depends(api_user)]
ApiWriter = Annotated[Principal, Depends(api_writer)]
ACTIONS = ("adopt", "more", "return", "merge", "supplement")
ACTION_DONE = {"adopt": "已采用", "more": "已要求补报", "return": "已退回", "merge": "已并入事件", "supplement": "已补报",
               "submit": "已报送", "draft": "口径已报审批", "approve": "口径已批准", "return_response": "口径已退回",
               "revise": "口径已重新报批", "publish": "已登记发布"}
TABS = (("review", "待审核"), ("needs_more", "待补报"), ("adopted", "已采用"), ("returned", "已退回"), ("mine", "本单位报送"),
        ("all", "全部"))


def actor_of(who: Principal) -> Actor:
    return Actor(who.username, who.account.display_name or who.username, who.unit_id, who.role)


def _desk(request: Request) -> Reports:
    return Reports(get_ctx(request), get_org(request))


def _denied(request: Request, who: Principal, target: str, what: str) -> None:
    audit.record(get_ctx(request), who.username, "access.denied", unit_id=who.unit_id, target=target, ok=False,
                 ip=client_ip(request), detail=what)


def _not_found(request: Request, who: Principal, report_id: Any, api: bool = False):
    _denied(request, who, f"report:{report_id}", "report outside subtree or missing")
    message = "没有找到该报送，或您无权查看。"
    if api:
        return JSONResponse({"detail": message}, status_code=404)
    return render(request, "error.html", {"status": 404, "message": message}, status_code=404)


def _audit(request: Request, who: Principal, action: str, target: str, detail: str = "") -> None:
    audit.record(get_ctx(request), who.username, action, unit_id=who.unit_id, target=target, ip=client_ip(request),
                 detail=detail[:2000])


def _int(value: str | None, field: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ReportError(f"{field}：应为数字，不是 {value[:20]!r}") from None


def _amount(value: str | None) -> float | None:
    value = (value or "").replace(",", "").replace("，", "").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise ReportError(f"amount：涉及金额应为数字（元），不是 {value[:20]!r}") from None


async def _form(request: Request) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """The submitted form and its files, refusing oversized requests before reading them."""
    cfg = get_ctx(request).settings.reports
    limit = int(cfg.max_attachments * cfg.max_attachment_mb * 1024 * 1024) + 2 * 1024 * 1024
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise HTTPException(status_code=411, detail="请求缺少 Content-Length")
    if int(length) > limit:
        raise HTTPException(status_code=413, detail=f"上传内容过大：附件最多 {cfg.max_attachments} 个，每个不超过 "
                                                    f"{cfg.max_attachment_mb:g} MB")
    form = await request.form(max_files=cfg.max_attachments + 1, max_fields=60)
    fields: dict[str, Any] = {}
    files: list[tuple[str, bytes]] = []
    for key, value in form.multi_items():
        if hasattr(value, "read"):
            data = await value.read()
            if data or value.filename:
                files.append((value.filename or "附件", data))
        elif key in fields:
            fields[key] = [*fields[key], value] if isinstance(fields[key], list) else [fields[key], value]
        else:
            fields[key] = value
    await form.close()
    return fields, [(n, d) for n, d in files if d]


def _report_input(fields: dict[str, Any], files: list[tuple[str, bytes]]) -> ReportInput:
    names = [n.strip() for n in str(fields.get("names") or "").replace("，", ",").replace("、", ",").split(",")]
    return ReportInput(text=str(fields.get("text") or ""), unit_id=str(fields.get("unit") or "") or None,
                       title=str(fields.get("title") or ""), place=str(fields.get("place") or ""),
                       employer=str(fields.get("employer") or ""), workers=_int(fields.get("workers"), "workers"),
                       amount_yuan=_amount(fields.get("amount")), channel=str(fields.get("channel") or "other"),
                       urgent=fields.get("urgency") == "urgent", personal_data=bool(fields.get("personal")),
                       personal_names=[n for n in names if n], files=files)


# --- pages: the queue and the form ---------------------------------------------------------------


def _scoped(desk: Reports, who: Principal, tab: str, unit: str) -> list[Report]:
    org = desk.org
    mine = org.subtree(who.unit_id)
    below = mine - {who.unit_id}
    if unit and unit in mine:
        mine = org.subtree(unit)
    if tab == "mine":
        return desk.list(reporter_units={who.unit_id})
    status = {"review": "pending", "needs_more": "needs_more", "adopted": "adopted", "returned": "returned"}.get(tab)
    if tab == "review":
        return desk.list(reporter_units=below & mine, status="pending")
    return [r for r in desk.list(units=mine, status=status, limit=500)
            if r.reporter_unit_id in mine or r.unit_id in mine]


@router.get("/reports", response_class=HTMLResponse, include_in_schema=False)
def report_queue(request: Request, who: PageUser, tab: str = "", unit: str = "", done: str = "", id: str = ""):
    desk = _desk(request)
    reviewer = who.can_act() and len(who.subtree) > 1
    tab = tab if tab in dict(TABS) else ("review" if reviewer else "mine")
    rows = _scoped(desk, who, tab, unit)
    return render(request, "reports.html", {"nav": "reports", "rows": rows, "tab": tab, "tabs": TABS, "unit": unit,
                                            "units": who.units_in_scope(), "reviewer": reviewer,
                                            "can_submit": who.unit_id != who.org.root.id, "done": done,
                                            "done_id": id, **_labels()})


def _labels() -> dict[str, Any]:
    return {"REPORT_STATUS": REPORT_STATUS_NAMES, "URGENCY": REPORT_URGENCY_NAMES, "CHANNELS": REPORT_CHANNEL_NAMES,
            "ADOPTION": ADOPTION_LEVEL_NAMES, "RESPONSE_STATUS": RESPONSE_STATUS_NAMES, "DONE": ACTION_DONE}


def _form_units(who: Principal) -> list:
    """The units a report may concern: mine and below, then my parents."""
    org = who.org
    return who.units_in_scope() + [org[u] for u in org.ancestors(who.unit_id)]


def _new_page(request: Request, who: Principal, error: str = "", values: dict | None = None, status: int = 200):
    return render(request, "report_new.html", {"nav": "reports", "error": error, "v": values or {},
                                               "form_units": _form_units(who), **_labels(),
                                               "limits": get_ctx(request).settings.reports}, status_code=status)


@router.get("/reports/new", response_class=HTMLResponse, include_in_schema=False)
def report_form(request: Request, who: PageUser):
    if who.unit_id == who.org.root.id:
        return render(request, "error.html", {"status": 403, "message": "信息报送由区以下各级工会向上报送，区总工会账号无需报送。"},
                      status_code=403)
    return _new_page(request, who)


@router.post("/reports", include_in_schema=False)
async def report_submit(request: Request, who: PageUser):
    fields, files = await _form(request)
    check_form_csrf(request, who, fields.get("csrf_token"))
    ctx = get_ctx(request)
    try:
        inp = _report_input(fields, files)
        report = await run_in_threadpool(lambda: _desk(request).submit(actor_of(who), inp, ingest=post_feeder(ctx)))
    except (ReportError, NotAllowed) as exc:
        return _new_page(request, who, str(exc), {k: v for k, v in fields.items() if k != "csrf_token"}, status=422)
    _audit(request, who, "report.submit", f"report:{report.id}", f"{report.urgency} files={len(files)}")
    return RedirectResponse(f"/reports/{report.id}?done=submit", status_code=303)


# --- pages: one report -------------------------------------------------------------------------


def _incident_choices(request: Request, who: Principal) -> list[dict]:
    return [i.to_dict(timeline=False) for i in alerts_api.list_incidents(get_ctx(request), units=who.subtree,
                                                                        status="active", limit=50)]


def report_page_data(request: Request, who: Principal, report_id: int) -> dict[str, Any]:
    desk = _desk(request)
    actor = actor_of(who)
    report, view = desk.read(actor, report_id)
    data = desk.as_dict(actor, report_id)
    data["created_at"] = report.created_at
    for e in data["timeline"]:
        e["at"] = to_aware(e["at"])
    reviewer = is_reviewer(desk.org, actor, report)
    responses = Responses(get_ctx(request), desk.org)
    rows = _response_rows(responses, who, responses.list(report_id=report.id))
    return {"r": data, "view": view, "reviewer": reviewer, "levels": adoption_levels(desk.org, actor, report),
            "supplement": can_supplement(actor, report), "incidents": _incident_choices(request, who) if reviewer else [],
            "responses": rows, "may_draft": who.can_act() and view == "full", "inline": INLINE,
            "post": _post(request, report.post_id)}


def _post(request: Request, post_id: str):
    from yuqing.console.deps import store_call

    try:
        return store_call(request, lambda s: s.get(post_id))
    except Exception:  # noqa: BLE001 - the page shows the report without its post's analysis
        return None


@router.get("/reports/{report_id}", response_class=HTMLResponse, include_in_schema=False)
def report_page(request: Request, who: PageUser, report_id: int, done: str = "", error: str = ""):
    try:
        data = report_page_data(request, who, report_id)
    except ReportNotFound:
        return _not_found(request, who, report_id)
    if not done:
        _audit(request, who, "report.view", f"report:{report_id}", data["view"])
    return render(request, "report.html", {"nav": "reports", "done": done, "error": error, **_labels(), **data})


@router.post("/reports/{report_id}/{action}", include_in_schema=False)
async def report_action(request: Request, who: PageUser, report_id: int, action: str):
    if action not in ACTIONS:
        raise HTTPException(status_code=404)
    fields, files = await _form(request)
    check_form_csrf(request, who, fields.get("csrf_token"))
    try:
        await run_in_threadpool(lambda: _act(request, who, report_id, action, fields, files))
    except ReportNotFound:
        return _not_found(request, who, report_id)
    except (ReportError, NotAllowed) as exc:
        if isinstance(exc, NotAllowed):
            _denied(request, who, f"report:{report_id}", str(exc))
        data = report_page_data(request, who, report_id)
        return render(request, "report.html", {"nav": "reports", "done": "", "error": str(exc), **_labels(), **data},
                      status_code=403 if isinstance(exc, NotAllowed) else 409)
    _audit(request, who, f"report.{action}", f"report:{report_id}", str(fields.get("note") or fields.get("text") or ""))
    return RedirectResponse(f"/reports/{report_id}?done={action}", status_code=303)


def _act(request: Request, who: Principal, report_id: int, action: str, fields: dict, files: list) -> Report:
    desk, actor = _desk(request), actor_of(who)
    note = str(fields.get("note") or "")
    if action == "adopt":
        return desk.adopt(actor, report_id, str(fields.get("level") or "") or None, note or None)
    if action == "more":
        return desk.request_more(actor, report_id, note)
    if action == "return":
        return desk.return_(actor, report_id, note)
    if action == "merge":
        target = str(fields.get("incident") or "new")
        return desk.merge(actor, report_id, None if target == "new" else _int(target, "incident"), note or None)
    return desk.supplement(actor, report_id, str(fields.get("text") or ""), files,
                           ingest=post_feeder(get_ctx(request)))


@router.get("/reports/{report_id}/attachments/{attachment_id}", include_in_schema=False)
def report_attachment(request: Request, who: PageUser, report_id: int, attachment_id: int, download: int = 0):
    return _attachment(request, who, report_id, attachment_id, download)


def _attachment(request: Request, who: Principal, report_id: int, attachment_id: int, download: int, api=False):
    try:
        att, path = _desk(request).attachment(actor_of(who), report_id, attachment_id)
    except ReportNotFound:
        return _not_found(request, who, report_id, api)
    if not path.is_file():
        raise HTTPException(status_code=404, detail="附件文件不存在")
    _audit(request, who, "report.attachment", f"report:{report_id}/attachment:{attachment_id}")
    inline = att.kind in INLINE and not download
    return FileResponse(path, media_type=att.media_type, filename=att.filename,
                        content_disposition_type="inline" if inline else "attachment",
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                                 "Content-Security-Policy": "default-src 'none'; sandbox"})


# --- response statements (口径): pages ----------------------------------------------------------


@router.post("/responses", include_in_schema=False)
async def response_draft(request: Request, who: PageUser):
    fields, _ = await _form(request)
    check_form_csrf(request, who, fields.get("csrf_token"))
    incident_id, report_id = _int(fields.get("incident_id"), "incident"), _int(fields.get("report_id"), "report")
    back = f"/incidents/{incident_id}" if incident_id else f"/reports/{report_id}"
    try:
        row = await run_in_threadpool(lambda: Responses(get_ctx(request), get_org(request)).draft(
            actor_of(who), str(fields.get("text") or ""), str(fields.get("outlets") or ""),
            incident_id=incident_id, report_id=report_id))
    except (ReportError, NotAllowed, ReportNotFound) as exc:
        return RedirectResponse(f"{back}?rerror={_q(str(exc))}#responses", status_code=303)
    _audit(request, who, "response.draft", f"response:{row.id}", row.text)
    return RedirectResponse(f"{back}?rdone=draft#responses", status_code=303)


@router.post("/responses/{response_id}/{action}", include_in_schema=False)
async def response_action(request: Request, who: PageUser, response_id: int, action: str):
    if action not in ("approve", "return", "revise", "publish"):
        raise HTTPException(status_code=404)
    fields, _ = await _form(request)
    check_form_csrf(request, who, fields.get("csrf_token"))
    desk = Responses(get_ctx(request), get_org(request))
    try:
        row = desk.get(response_id)
    except ResponseNotFound:
        raise HTTPException(status_code=404) from None
    back = f"/incidents/{row.incident_id}" if row.incident_id else f"/reports/{row.report_id}"
    try:
        await run_in_threadpool(lambda: _respond(desk, actor_of(who), response_id, action, fields))
    except (ReportError, NotAllowed, ReportNotFound) as exc:
        if not isinstance(exc, ReportError):
            _denied(request, who, f"response:{response_id}", str(exc))
        return RedirectResponse(f"{back}?rerror={_q(str(exc))}#responses", status_code=303)
    _audit(request, who, f"response.{action}", f"response:{response_id}", str(fields.get("note") or ""))
    done = "return_response" if action == "return" else action
    return RedirectResponse(f"{back}?rdone={done}#responses", status_code=303)


def _respond(desk: Responses, actor: Actor, response_id: int, action: str, fields: dict):
    note = str(fields.get("note") or "")
    if action == "approve":
        return desk.approve(actor, response_id, note or None)
    if action == "return":
        return desk.return_(actor, response_id, note)
    if action == "revise":
        return desk.revise(actor, response_id, str(fields.get("text") or ""), fields.get("outlets"))
    return desk.publish(actor, response_id, str(fields.get("where") or ""), str(fields.get("url") or ""))


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text[:300])


def incident_panel(request: Request, who: Principal, incident: dict) -> dict[str, Any]:
    """What the incident page shows of reporting: merged reports and the response statements."""
    ctx = get_ctx(request)
    desk = Responses(ctx, get_org(request))
    rows = _response_rows(desk, who, desk.list(incident_id=incident["id"]))
    merged = Reports(ctx, get_org(request)).list(incident_id=incident["id"])
    return {"responses": rows, "merged_reports": merged, "may_draft": who.can_act(), **_labels()}


def _response_rows(desk: Responses, who: Principal, rows: list) -> list[dict[str, Any]]:
    """Response statements as the page shows them, with what the caller may do to each."""
    actor, out = actor_of(who), []
    for row in rows:
        r = row.to_dict()
        r["may_approve"] = r["status"] == "pending" and desk.may_approve(actor, row)
        r["may_publish"] = r["status"] in ("approved", "published") and desk.may_publish(actor, row)
        r["may_revise"] = r["status"] == "returned" and who.unit_id == r["unit_id"] and who.can_act()
        out.append(r)
    return out


# --- the JSON API --------------------------------------------------------------------------------


class ReviewIn(BaseModel):
    note: str | None = Field(default=None, max_length=4000, description="备注；退回、要求补报时必填")
    level: str | None = Field(default=None, description="采用层级：subdistrict 街乡 / district 区")
    incident: int | None = Field(default=None, description="并入的事件编号；不给则以报送立案")
    text: str | None = Field(default=None, max_length=20000, description="补报内容")


def _api_report(request: Request, who: Principal, report_id: int):
    try:
        return _desk(request).as_dict(actor_of(who), report_id)
    except ReportNotFound:
        return _not_found(request, who, report_id, api=True)


@router.get("/api/reports", tags=["reports"], summary="信息报送列表（本单位及下级报送或涉及的）")
def api_reports(request: Request, who: ApiUser, tab: str = "all", unit: str = ""):
    desk = _desk(request)
    rows = _scoped(desk, who, tab if tab in dict(TABS) else "all", unit)
    out = [desk.as_dict(actor_of(who), r.id) for r in rows]
    for r in out:
        r.pop("timeline", None)
    return {"total": len(out), "reports": out}


@router.get("/api/reports/{report_id}", tags=["reports"], summary="一份报送（无权查看时 404）")
def api_report(request: Request, who: ApiUser, report_id: int):
    return _api_report(request, who, report_id)


@router.post("/api/reports", tags=["reports"], summary="报送（multipart 表单：text, title, unit, place, employer, "
                                                      "workers, amount, channel, urgency, personal, names, 附件 files）")
async def api_submit(request: Request, who: ApiWriter):
    fields, files = await _form(request)
    ctx = get_ctx(request)
    try:
        inp = _report_input(fields, files)
        report = await run_in_threadpool(lambda: _desk(request).submit(actor_of(who), inp, ingest=post_feeder(ctx)))
    except NotAllowed as exc:
        return JSONResponse({"detail": str(exc)}, status_code=403)
    except ReportError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)
    _audit(request, who, "report.submit", f"report:{report.id}", f"api {report.urgency}")
    return JSONResponse({"id": report.id, "post_id": report.post_id, "status": report.status,
                         "incident_id": report.incident_id}, status_code=201)


@router.post("/api/reports/{report_id}/{action}", tags=["reports"],
             summary="审核：adopt 采用、more 要求补报、return 退回、merge 并入事件、supplement 补报")
def api_action(request: Request, who: ApiWriter, report_id: int, action: str, body: ReviewIn):
    if action not in ACTIONS:
        raise HTTPException(status_code=404)
    fields = {"note": body.note, "level": body.level, "incident": str(body.incident or "new"), "text": body.text}
    try:
        _act(request, who, report_id, action, fields, [])
    except ReportNotFound:
        return _not_found(request, who, report_id, api=True)
    except NotAllowed as exc:
        _denied(request, who, f"report:{report_id}", str(exc))
        return JSONResponse({"detail": str(exc)}, status_code=403)
    except ReportError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=409)
    _audit(request, who, f"report.{action}", f"report:{report_id}", body.note or body.text or "")
    return _api_report(request, who, report_id)


@router.get("/api/reports/{report_id}/attachments/{attachment_id}", tags=["reports"], summary="下载附件")
def api_attachment(request: Request, who: ApiUser, report_id: int, attachment_id: int):
    return _attachment(request, who, report_id, attachment_id, 1, api=True)

