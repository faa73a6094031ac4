"""The server-rendered pages: sign-in, incident queue and detail with actions, post search,
dashboard, briefing archive and (for admins) the audit log. Forms post back with the session's
CSRF token; every handler resolves the principal first and checks the subtree on the server."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from yuqing.console import accounts, audit, briefings, charts, incidents, queries, reports
from yuqing.console.access import AccessDenied, Principal, principal_for
from yuqing.console.deps import (
    check_form_csrf,
    clear_session_cookie,
    client_ip,
    cookie_secure,
    current_principal,
    get_ctx,
    get_org,
    page_user,
    safe_next,
    set_session_cookie,
    store_call,
)
from yuqing.console.render import render, topic_labels
from yuqing.console.sessions import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    create_session,
    end_session,
    login_token_ok,
    new_login_token,
)
from yuqing.pipeline.core.names import LEVEL_NAMES

router = APIRouter(include_in_schema=False)
PageUser = Annotated[Principal, Depends(page_user)]
PAGE_SIZE = 20


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --- sign-in ---------------------------------------------------------------------------------


def _login_page(request: Request, next_url: str, error: str = "", username: str = "", status: int = 200):
    nonce, token = new_login_token(get_ctx(request))
    response = render(request, "login.html", {"next": next_url, "error": error, "username": username,
                                              "login_token": token}, status_code=status)
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=7200, httponly=True, samesite="lax",
                        secure=cookie_secure(request), path="/login")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/incidents"):
    if current_principal(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, safe_next(next))


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""),
          csrf_token: str = Form(""), next: str = Form("/incidents")):
    ctx = get_ctx(request)
    next_url = safe_next(next)
    username = username.strip()
    ip = client_ip(request)
    if not login_token_ok(ctx, request.cookies.get(LOGIN_COOKIE), csrf_token):
        audit.record(ctx, username or "-", "csrf.rejected", target="/login", ok=False, ip=ip)
        return _login_page(request, next_url, "页面已过期，请重新输入后登录。", username, status=400)
    result = accounts.authenticate(ctx, username, password)
    unit = result.account.unit_id if result.account else ""
    if not result.ok:
        audit.sign_in_refused(ctx, username, result, ip, "/login")
        if result.reason == "locked":
            minutes = ctx.settings.console.lockout_minutes
            msg = f"密码错误次数过多，账号已临时锁定，请 {minutes} 分钟后再试或联系管理员。"
        elif result.reason == "disabled":
            msg = "该账号已停用，请联系管理员。"
        else:
            msg = "用户名或密码错误。"
        return _login_page(request, next_url, msg, username, status=401)
    if principal_for(result.account, "", get_org(request)) is None:
        audit.record(ctx, username, "login", unit_id=unit, ok=False, ip=ip, detail="unit not in org")
        return _login_page(request, next_url, "账号所属单位已不在组织架构中，请联系管理员。", username, status=403)
    end_session(ctx, request.cookies.get(SESSION_COOKIE))  # never carry an old session over a sign-in
    token, info = create_session(ctx, result.account, ip, request.headers.get("user-agent", ""))
    audit.record(ctx, username, "login", unit_id=unit, ip=ip)
    response = RedirectResponse(next_url, status_code=303)
    set_session_cookie(request, response, token, ctx.settings.console.session_max_hours * 3600)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, who: PageUser, csrf_token: str = Form("")):
    check_form_csrf(request, who, csrf_token)
    ctx = get_ctx(request)
    end_session(ctx, request.cookies.get(SESSION_COOKIE))
    audit.record(ctx, who.username, "logout", unit_id=who.unit_id, ip=client_ip(request))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(request, response)
    return response


@router.get("/")
def home(who: PageUser):
    return RedirectResponse("/incidents", status_code=303)


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request):
    """The API's OpenAPI schema as a readable page (no external scripts, unlike Swagger UI)."""
    schema = request.app.openapi()
    ops = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            params = [(p["name"], p["in"], p.get("required", False), p.get("description", ""))
                      for p in op.get("parameters", [])]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            ops.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                        "doc": op.get("description", ""), "params": params,
                        "body": body.get("$ref", "").rsplit("/", 1)[-1] or body.get("anyOf") and "NoteIn",
                        "responses": {k: v.get("description", "") for k, v in op.get("responses", {}).items()}})
    return render(request, "api_docs.html", {"schema": schema, "ops": ops})


@router.get("/healthz")
def healthz():
    return {"status": "ok"}


# --- incidents -------------------------------------------------------------------------------


def _queue(request: Request, who: Principal, status: str, topic: str, level: str, severity: str, unit: str):
    ctx = get_ctx(request)
    status = status if status in ("active", "all", *incidents.STATUSES) else "active"
    rows = incidents.list_for(ctx, who, status=status, topic=topic or None, level=level or None,
                              severity=severity or None, unit=unit or None)
    counts, topics, present = incidents.summary_for(ctx, who)
    levels = [lv for lv in LEVEL_NAMES if lv in present]
    return {"incidents": rows, "counts": counts, "topics": topics, "levels": levels,
            "filters": {"status": status, "topic": topic, "level": level, "severity": severity, "unit": unit},
            "units": who.units_in_scope()}


@router.get("/incidents", response_class=HTMLResponse)
def incident_queue(request: Request, who: PageUser, status: str = "active", topic: str = "", level: str = "",
                   severity: str = "", unit: str = "", done: str = "", id: str = ""):
    return render(request, "incidents.html", {"nav": "incidents", "done": done, "done_id": id,
                                              **_queue(request, who, status, topic, level, severity, unit)})


@router.get("/incidents/rows", response_class=HTMLResponse)
def incident_rows(request: Request, who: PageUser, status: str = "active", topic: str = "", level: str = "",
                  severity: str = "", unit: str = ""):
    """The queue's list alone, for the page's live refresh."""
    return render(request, "_incident_list.html", _queue(request, who, status, topic, level, severity, unit))


def _detail_data(request: Request, who: Principal, incident_id: str) -> dict:
    ctx = get_ctx(request)
    inc = incidents.get_for(ctx, who, incident_id)
    now = _now()
    since, until = incidents.trend_window(inc, now)
    interval = "1h" if (until - since).total_seconds() <= 7 * 86400 else "1d"
    flt = incidents.post_filter(inc).with_(since=since, until=until)
    rows = store_call(request, lambda s: s.aggregate(flt, by=["sentiment"], interval=interval))
    total: dict = {}
    neg: dict = {}
    for r in rows:
        total[r.bucket] = total.get(r.bucket, 0.0) + r.posts
        if r.keys.get("sentiment") == "negative":
            neg[r.bucket] = neg.get(r.bucket, 0.0) + r.posts
    step = 3600 if interval == "1h" else 86400
    times, volume = charts.fill_buckets(since, until, step, total)
    chart = charts.responsive(charts.column_chart, times=times, totals=volume,
                              parts=[neg.get(t, 0.0) for t in times], total_label="相关帖文", part_label="负面",
                              tz=ctx.tz, title="事件趋势（每小时帖文数）", time_fmt="%d日%H时",
                              mark=inc.get("created_at"), mark_label="预警")
    posts = incidents.representative_posts(ctx, inc, lambda fn: store_call(request, fn), now)
    return {"incident": inc, "chart": chart, "posts": posts, "path": incidents.escalation_path(who, inc),
            "allowed": incidents.ALLOWED.get(inc["status"], ()) if who.can_act() else (),
            **reports.incident_panel(request, who, inc)}


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_detail(request: Request, who: PageUser, incident_id: str, done: str = ""):
    data = _detail_data(request, who, incident_id)
    if not done:  # the redirect after an action is not a second view
        audit.record(get_ctx(request), who.username, "incident.view", unit_id=who.unit_id,
                     target=f"incident:{incident_id}", ip=client_ip(request))
    return render(request, "incident.html", {"nav": "incidents", "done": done, "error": "", **data})


@router.post("/incidents/{incident_id}/{action}")
def incident_action(request: Request, who: PageUser, incident_id: str, action: str, note: str = Form(""),
                    csrf_token: str = Form(""), next: str = Form("")):
    check_form_csrf(request, who, csrf_token)
    ctx = get_ctx(request)
    try:
        incidents.act(ctx, who, incident_id, action, note)
    except incidents.Conflict as exc:
        data = _detail_data(request, who, incident_id)
        return render(request, "incident.html", {"nav": "incidents", "done": "", "error": str(exc), **data},
                      status_code=409)
    audit.record(ctx, who.username, f"incident.{action}", unit_id=who.unit_id, target=f"incident:{incident_id}",
                 ip=client_ip(request), detail=note[:2000])
    if next == "/incidents":  # the queue's one-click acknowledge goes back to the queue
        return RedirectResponse(f"/incidents?done={action}&id={incident_id}", status_code=303)
    return RedirectResponse(f"/incidents/{incident_id}?done={action}", status_code=303)


# --- search ----------------------------------------------------------------------------------


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, who: PageUser, q: str = "", since: str = "", until: str = "",
                platform: list[str] = Query([]), topic: list[str] = Query([]),
                sentiment: list[str] = Query([]), unit: list[str] = Query([]), source: list[str] = Query([]),
                no_duplicates: bool = False, sort: str = "time", page: int = Query(1, ge=1, le=500)):
    ctx = get_ctx(request)
    params = queries.SearchParams(q, since, until, platform, topic, sentiment, [u for u in unit if u], source,
                                  no_duplicates, sort)
    result, error = None, ""
    try:
        flt = queries.post_filter(who, params, _now())
        result = store_call(request, lambda s: s.search(flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
                                                        sort=sort))
        if not params.is_empty():
            audit.record(ctx, who.username, "search", unit_id=who.unit_id, ip=client_ip(request),
                         detail=params.describe())
    except queries.BadQuery as exc:
        error = str(exc)
    pages = (result.total + PAGE_SIZE - 1) // PAGE_SIZE if result else 0
    return render(request, "search.html", {"nav": "search", "params": params, "result": result, "error": error,
                                           "page": page, "pages": pages, "units": who.units_in_scope(),
                                           "query_string": request.url.query})


@router.get("/search/export.csv")
def search_export(request: Request, who: PageUser, q: str = "", since: str = "", until: str = "",
                  platform: list[str] = Query([]), topic: list[str] = Query([]),
                  sentiment: list[str] = Query([]), unit: list[str] = Query([]), source: list[str] = Query([]),
                  no_duplicates: bool = False, sort: str = "time"):
    """The search's matches as CSV (UTF-8 with BOM, so Excel opens the Chinese), at most 5,000 rows."""
    ctx = get_ctx(request)
    params = queries.SearchParams(q, since, until, platform, topic, sentiment, unit, source, no_duplicates, sort)
    flt = queries.post_filter(who, params, _now())
    page = store_call(request, lambda s: s.search(flt, limit=queries.EXPORT_LIMIT, sort=sort))
    names, org = topic_labels(request), get_org(request)
    audit.record(ctx, who.username, "search.export", unit_id=who.unit_id, ip=client_ip(request),
                 detail=f"{params.describe()} rows={len(page.posts)}")
    body = queries.posts_csv(page.posts, ctx.tz, names, lambda u: org.get(u).name if org.get(u) else u)
    stamp = _now().astimezone(ctx.tz).strftime("%Y%m%d-%H%M")
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=\"posts-{stamp}.csv\""})


# --- dashboard -------------------------------------------------------------------------------


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, who: PageUser, range: str = "7d", unit: str = ""):
    ctx = get_ctx(request)
    unit = unit or who.unit_id
    if range not in queries.RANGES:
        range = "7d"
    d = queries.dashboard(who, lambda fn: store_call(request, fn), range_key=range, unit_id=unit, now=_now(),
                          cache_key=(str(ctx.data_dir.resolve()), ctx.settings.store.backend,
                                     ctx.settings.store.elasticsearch.index_prefix))
    fmt = {"1h": "%H时", "6h": "%d日%H时", "1d": "%m-%d"}[d.interval]
    names = topic_labels(request)
    org = get_org(request)

    def lines(series, title, percent=False):
        return charts.responsive(charts.line_chart, times=d.times, series=series, tz=ctx.tz, title=title,
                                 time_fmt=fmt, percent=percent)

    svg = {
        "volume": charts.responsive(charts.column_chart, times=d.times, totals=d.volume, parts=d.negative,
                                    total_label="帖文数", part_label="负面", tz=ctx.tz, title="声量", time_fmt=fmt),
        "negativity": lines([("负面占比", d.negative_share)], "负面占比", percent=True),
        "topics": charts.bar_list([(names.get(t, t), n, neg) for t, n, neg in d.topics[:12]], title="话题分布"),
        "topic_lines": lines([(names.get(t, t), v) for t, v in d.topic_series], "主要话题走势"),
        "units": charts.bar_list([(org.get(u).name if org.get(u) else u, n, neg) for u, n, neg in d.units[:15]],
                                 title="下级单位声量"),
    }
    return render(request, "dashboard.html", {"nav": "dashboard", "d": d, "svg": svg, "ranges": queries.RANGE_LABELS,
                                              "units": who.units_in_scope(), "unit_name": org.get(unit).name,
                                              "has_children": bool(org.children(unit))})


# --- briefings -------------------------------------------------------------------------------


@router.get("/briefings", response_class=HTMLResponse)
def briefing_archive(request: Request, who: PageUser):
    return render(request, "briefings.html", {"nav": "briefings",
                                              "entries": briefings.list_for(get_ctx(request), who)})


def briefing_response(request: Request, who: Principal, key: str, name: str) -> Response:
    ctx = get_ctx(request)
    found = briefings.find_file(ctx, who, key, name)
    if found is None:
        raise AccessDenied("briefing not visible", f"briefing:{key}/{name}")
    audit.record(ctx, who.username, "briefing.download", unit_id=who.unit_id, target=f"briefing:{key}/{name}",
                 ip=client_ip(request))
    media = briefings.MEDIA_TYPES.get(found["format"], "application/octet-stream")
    return FileResponse(found["path"], media_type=media, filename=name)


@router.get("/briefings/files/{key}/{name}")
def briefing_download(request: Request, who: PageUser, key: str, name: str):
    return briefing_response(request, who, key, name)


# --- audit -----------------------------------------------------------------------------------


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, who: PageUser, username: str = "", action: str = ""):
    if not who.can_audit():
        raise AccessDenied(f"role {who.role} may not read the audit log", "/audit")
    units = None if who.unit_id == get_org(request).root.id else set(who.subtree)
    rows = audit.entries(get_ctx(request), units=units, username=username or None, action=action or None)
    return render(request, "audit.html", {"nav": "audit", "rows": rows, "labels": audit.ACTION_LABELS,
                                          "details": audit.DETAIL_LABELS,
                                          "filters": {"username": username, "action": action}})
