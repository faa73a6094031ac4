"""The FastAPI application: pages (:mod:`yuqing.console.web`), JSON API (:mod:`yuqing.console.api`), static files,
security headers and the error pages.

``create_app(ctx)`` is what ``yuqing serve`` runs under uvicorn and what the tests serve on
127.0.0.1. The union hierarchy is read per request from the org registry (cached while its version
is unchanged), so changes made in the admin pages, by imports or in org.yaml apply at once.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from yuqing.console import admin, api, audit, reports, web
from yuqing.console.access import AccessDenied
from yuqing.console.deps import LoginRequired, client_ip, current_principal, get_ctx, login_url
from yuqing.console.incidents import Conflict, NotFound
from yuqing.console.labels import topic_names
from yuqing.console.queries import BadQuery
from yuqing.console.render import render
from yuqing.pipeline.checks import require_valid_config
from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.org import load_org
from yuqing.pipeline.core.statedb import ensure_schema

HERE = Path(__file__).resolve().parent

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(ctx: Context) -> FastAPI:
    """The console over ``ctx``. Every configuration file is validated first: a broken one
    (org.yaml, taxonomy.yaml …) stops the console at start with the file, key and reason."""
    require_valid_config(ctx)
    ensure_schema(ctx)
    app = FastAPI(title="yuqing 值班控制台 API", version="1",
                  description="舆情值班控制台的 JSON 接口。登录后使用会话 Cookie；所有修改类请求须在 "
                              "`X-CSRF-Token` 头中携带会话的 CSRF 令牌（见 `GET /api/me` 或 `POST /api/session`）。"
                              "每个账号只能查看和处置本单位及下级单位的事件。",
                  openapi_url="/api/openapi.json", docs_url=None, redoc_url=None)
    app.state.ctx = ctx
    app.state.org = load_org(ctx)
    app.state.topics = topic_names(ctx)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(web.router)
    app.include_router(api.router)
    app.include_router(reports.router)
    app.include_router(admin.router)
    app.include_router(admin.api_router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if request.url.scheme == "https":
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired):
        if request.headers.get("x-requested-with") == "fetch":  # the queue's refresh: let the page reload
            return JSONResponse({"detail": "未登录或会话已过期"}, status_code=401)
        return RedirectResponse(login_url(exc.next_url), status_code=303)

    @app.exception_handler(AccessDenied)
    async def denied(request: Request, exc: AccessDenied):
        who = current_principal(request)
        audit.record(get_ctx(request), who.username if who else "-", "access.denied",
                     unit_id=who.unit_id if who else "", target=exc.target or request.url.path, ok=False,
                     ip=client_ip(request), detail=exc.what)
        # an incident of another subtree is reported exactly like a missing one
        hide = exc.target.startswith("incident:")
        status = 404 if hide else 403
        message = "没有找到该事件，或您无权查看。" if hide else "您无权访问该内容。"
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=status)
        return render(request, "error.html", {"status": status, "message": message}, status_code=status)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        message = "没有找到该事件，或您无权查看。"
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=404)
        return render(request, "error.html", {"status": 404, "message": message}, status_code=404)

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict):
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(BadQuery)
    async def bad_query(request: Request, exc: BadQuery):
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if _is_api(request) or request.headers.get("x-requested-with") == "fetch":
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        if exc.status_code == 401:
            return RedirectResponse(login_url(request.url.path), status_code=303)
        message = exc.detail if isinstance(exc.detail, str) else "请求无效"
        if exc.status_code == 404:
            message = "页面不存在。"
        return render(request, "error.html", {"status": exc.status_code, "message": message},
                      status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        if _is_api(request):  # never echo the input back: it may be a password
            errors = [{k: v for k, v in e.items() if k in ("type", "loc", "msg")} for e in exc.errors()]
            return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()))
        return render(request, "error.html", {"status": 422, "message": f"参数无效：{where} {first.get('msg', '')}"},
                      status_code=422)

    return app
