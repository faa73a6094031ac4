"""The JSON API under ``/api/`` — the same reads and actions as the pages, same checks.

Authentication is the session cookie (``POST /api/session`` signs in); every state-changing call
needs the session's CSRF token in the ``X-CSRF-Token`` header. Incidents outside the caller's
subtree answer 404, like missing ones. The schema is served at ``/api/openapi.json``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from yuqing.console import accounts, audit, briefings, incidents, queries
from yuqing.console.access import AccessDenied, Principal, principal_for
from yuqing.console.deps import (
    api_user,
    api_writer,
    clear_session_cookie,
    client_ip,
    get_ctx,
    get_org,
    set_session_cookie,
    store_call,
)
from yuqing.console.sessions import SESSION_COOKIE, create_session, end_session
from yuqing.console.web import briefing_response
from yuqing.pipeline.store.base import DIMENSIONS

router = APIRouter(prefix="/api", tags=["console"])
ApiUser = Annotated[Principal, Depends(api_user)]
ApiWriter = Annotated[Principal, Depends(api_writer)]


class LoginIn(BaseModel):
    username: str = Field(description="用户名")
    password: str = Field(description="密码")


class NoteIn(BaseModel):
    note: str | None = Field(default=None, max_length=4000, description="处置说明（办结时必填）")


class Me(BaseModel):
    username: str
    display_name: str
    role: Literal["duty", "analyst", "admin"]
    unit_id: str
    unit_name: str
    subtree_size: int
    csrf_token: str = Field(description="修改类请求须放在 X-CSRF-Token 头中")


class IncidentList(BaseModel):
    total: int
    incidents: list[dict] = Field(description="incident.to_dict()：id, unit_id, unit_name, level, topic, status, "
                                              "severity, escalation_level, counts, created_at, …, timeline")


class PostPage(BaseModel):
    total: int
    posts: list[dict]


def _now() -> datetime:
    return datetime.now(timezone.utc)


@router.post("/session", response_model=Me, summary="登录 / sign in",
             responses={401: {"description": "用户名或密码错误、账号锁定或停用"}})
def api_login(request: Request, body: LoginIn):
    """Sign in with a JSON body (which a cross-site form cannot send); sets the session cookie."""
    ctx = get_ctx(request)
    ip = client_ip(request)
    result = accounts.authenticate(ctx, body.username.strip(), body.password)
    if not result.ok:
        audit.sign_in_refused(ctx, body.username, result, ip, "/api/session")
        detail = {"locked": "账号已临时锁定", "disabled": "账号已停用"}.get(result.reason, "用户名或密码错误")
        raise HTTPException(status_code=401, detail=detail)
    end_session(ctx, request.cookies.get(SESSION_COOKIE))
    token, info = create_session(ctx, result.account, ip, request.headers.get("user-agent", ""))
    who = principal_for(result.account, info.csrf_token, get_org(request))
    if who is None:
        end_session(ctx, token)
        raise HTTPException(status_code=403, detail="账号所属单位已不在组织架构中")
    audit.record(ctx, who.username, "login", unit_id=who.unit_id, target="/api/session", ip=ip)
    response = JSONResponse(who.as_dict())
    set_session_cookie(request, response, token, ctx.settings.console.session_max_hours * 3600)
    return response


@router.delete("/session", status_code=204, summary="退出 / sign out")
def api_logout(request: Request, who: ApiWriter):
    ctx = get_ctx(request)
    end_session(ctx, request.cookies.get(SESSION_COOKIE))
    audit.record(ctx, who.username, "logout", unit_id=who.unit_id, ip=client_ip(request), detail="api")
    response = Response(status_code=204)
    clear_session_cookie(request, response)
    return response


@router.get("/me", response_model=Me, summary="当前账号 / who am I")
def me(who: ApiUser):
    return who.as_dict()


@router.get("/incidents", response_model=IncidentList, summary="事件列表（本单位及下级）")
def list_incidents(request: Request, who: ApiUser,
                   status: Literal["active", "all", "open", "acknowledged", "resolved"] = "active",
                   topic: str | None = None, level: str | None = None,
                   unit: str | None = Query(None, description="只看该单位及下级（须在本人范围内）"),
                   limit: int = Query(200, ge=1, le=1000)):
    rows = incidents.list_for(get_ctx(request), who, status=status, topic=topic, level=level, unit=unit,
                              limit=limit)
    return {"total": len(rows), "incidents": rows}


@router.get("/incidents/{incident_id}", summary="事件详情", responses={404: {"description": "不存在或无权查看"}})
def get_incident(request: Request, who: ApiUser, incident_id: str) -> dict:
    inc = incidents.get_for(get_ctx(request), who, incident_id)
    inc["escalation_path"] = incidents.escalation_path(who, inc)
    return inc


def _act(request: Request, who: Principal, incident_id: str, action: str, body: NoteIn | None) -> dict:
    ctx = get_ctx(request)
    note = body.note if body else None
    inc = incidents.act(ctx, who, incident_id, action, note)
    audit.record(ctx, who.username, f"incident.{action}", unit_id=who.unit_id, target=f"incident:{incident_id}",
                 ip=client_ip(request), detail=(note or "")[:2000] + " (api)")
    return inc


_ACT_RESPONSES = {403: {"description": "CSRF 令牌缺失/错误，或角色无权处置"},
                  404: {"description": "不存在或无权查看"}, 409: {"description": "当前状态不允许该操作"}}


@router.post("/incidents/{incident_id}/acknowledge", summary="确认接手（停止升级）", responses=_ACT_RESPONSES)
def acknowledge(request: Request, who: ApiWriter, incident_id: str, body: NoteIn | None = None) -> dict:
    return _act(request, who, incident_id, "acknowledge", body)


@router.post("/incidents/{incident_id}/resolve", summary="办结（须填写说明）", responses=_ACT_RESPONSES)
def resolve(request: Request, who: ApiWriter, incident_id: str, body: NoteIn) -> dict:
    return _act(request, who, incident_id, "resolve", body)


@router.post("/incidents/{incident_id}/reopen", summary="重新打开", responses=_ACT_RESPONSES)
def reopen(request: Request, who: ApiWriter, incident_id: str, body: NoteIn | None = None) -> dict:
    return _act(request, who, incident_id, "reopen", body)


@router.get("/posts", response_model=PostPage, summary="帖文检索（与 yuqing search 相同的筛选）")
def search_posts(request: Request, who: ApiUser, q: str = "", since: str = "", until: str = "",
                 platform: list[str] = Query([]), topic: list[str] = Query([]), sentiment: list[str] = Query([]),
                 unit: list[str] = Query([], description="单位（默认本单位；须在本人范围内）"),
                 source: list[str] = Query([]), no_duplicates: bool = False,
                 sort: Literal["time", "relevance"] = "time", limit: int = Query(20, ge=1, le=200),
                 offset: int = Query(0, ge=0, le=10000)):
    params = queries.SearchParams(q, since, until, platform, topic, sentiment, unit, source, no_duplicates, sort)
    flt = queries.post_filter(who, params, _now())
    page = store_call(request, lambda s: s.search(flt, limit=limit, offset=offset, sort=sort))
    if not params.is_empty():
        audit.record(get_ctx(request), who.username, "search", unit_id=who.unit_id, ip=client_ip(request),
                     detail=params.describe() + " (api)")
    return {"total": page.total, "posts": [p.to_dict() for p in page.posts]}


@router.get("/stats", summary="统计（声量、作者、事件数、互动），按维度与时段分组")
def stats(request: Request, who: ApiUser, since: str = "7d", until: str = "", unit: str | None = None,
          topic: list[str] = Query([]), sentiment: list[str] = Query([]), platform: list[str] = Query([]),
          by: list[str] = Query([], description="unit, unit_tree, topic, sentiment, platform, source"),
          interval: str | None = Query(None, description="如 1h、6h、1d")) -> list:
    bad = [b for b in by if b not in DIMENSIONS]
    if bad:
        raise queries.BadQuery(f"未知分组维度：{', '.join(bad)}")
    params = queries.SearchParams("", since, until, platform, topic, sentiment, [unit] if unit else [])
    flt = queries.post_filter(who, params, _now())
    try:
        rows = store_call(request, lambda s: s.aggregate(flt, by=by, interval=interval))
    except ValueError as exc:
        raise queries.BadQuery(str(exc)) from exc
    return [r.as_dict() for r in rows]


@router.get("/briefings", summary="周报档案")
def list_briefings(request: Request, who: ApiUser) -> list:
    out = []
    for e in briefings.list_for(get_ctx(request), who):
        out.append({"key": e["key"], "period": e["period"], "label": e["label"], "unit_id": e["unit"],
                    "unit_name": e["unit_name"], "title": e["title"], "headline": e["headline"],
                    "generated_at": e["generated_at"],
                    "files": [{"format": f["format"], "name": f["name"], "size": f["size"],
                               "url": f"/api/briefings/{f['href']}"} for f in e["files"]]})
    return out


@router.get("/briefings/{key}/{name}", summary="下载周报文件", responses={403: {"description": "无权下载"}})
def download_briefing(request: Request, who: ApiUser, key: str, name: str):
    return briefing_response(request, who, key, name)


@router.get("/audit", summary="审计日志（管理员，本单位及下级账号）")
def audit_log(request: Request, who: ApiUser, username: str | None = None, action: str | None = None,
              limit: int = Query(200, ge=1, le=2000)) -> list:
    if not who.can_audit():
        raise AccessDenied(f"role {who.role} may not read the audit log", "/api/audit")
    units = None if who.unit_id == get_org(request).root.id else set(who.subtree)
    return [r.as_dict() for r in audit.entries(get_ctx(request), units=units, username=username, action=action,
                                               limit=limit)]
