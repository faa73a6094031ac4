"""Request plumbing shared by pages and the API: the context, the signed-in principal, CSRF checks,
serialised store access and cookies."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote

from fastapi import HTTPException, Request, Response

from yuqing.console import audit
from yuqing.console.access import Principal, principal_for
from yuqing.console.sessions import SESSION_COOKIE, csrf_ok, load_session
from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.org import load_org
from yuqing.pipeline.store import open_store
from yuqing.pipeline.store.base import PostStore

T = TypeVar("T")
CSRF_HEADER = "X-CSRF-Token"
_store_lock = threading.Lock()


class LoginRequired(Exception):
    """A page needs a signed-in user: the handler redirects to the sign-in page and back."""

    def __init__(self, next_url: str):
        self.next_url = next_url


def get_ctx(request: Request) -> Context:
    return request.app.state.ctx


def get_org(request: Request):
    """The hierarchy as the registry holds it now (one small query per request; the tree itself is
    cached while the registry's version is unchanged)."""
    org = getattr(request.state, "org", None)
    if org is None:
        org = request.state.org = load_org(get_ctx(request))
    return org


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def store_call(request: Request, fn: Callable[[PostStore], T]) -> T:
    """Run ``fn(store)`` with the context's store, one request at a time (stores are not thread-safe)."""
    with _store_lock:
        return fn(open_store(get_ctx(request)))


def current_principal(request: Request) -> Principal | None:
    if hasattr(request.state, "principal"):
        return request.state.principal
    ctx = get_ctx(request)
    info = load_session(ctx, request.cookies.get(SESSION_COOKIE))
    who = principal_for(info.account, info.csrf_token, get_org(request)) if info else None
    request.state.principal = who
    return who


def safe_next(url: str | None) -> str:
    """A local path to go back to after sign-in (never another site)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url or "\n" in url:
        return "/incidents"
    return url


def page_user(request: Request) -> Principal:
    who = current_principal(request)
    if who is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return who


def api_user(request: Request) -> Principal:
    who = current_principal(request)
    if who is None:
        raise HTTPException(status_code=401, detail="未登录或会话已过期 / not signed in",
                            headers={"WWW-Authenticate": "Cookie"})
    return who


def reject_csrf(request: Request, who: Principal | None) -> None:
    audit.record(get_ctx(request), who.username if who else "-", "csrf.rejected",
                 unit_id=who.unit_id if who else "", target=request.url.path, ok=False, ip=client_ip(request))
    raise HTTPException(status_code=403, detail="CSRF 校验失败，请刷新页面后重试 / CSRF token missing or wrong")


def api_writer(request: Request) -> Principal:
    """Signed in and carrying this session's CSRF token in the ``X-CSRF-Token`` header."""
    who = api_user(request)
    if not csrf_ok(who.csrf_token, request.headers.get(CSRF_HEADER)):
        reject_csrf(request, who)
    return who


def check_form_csrf(request: Request, who: Principal, token: str | None) -> None:
    if not csrf_ok(who.csrf_token, token):
        reject_csrf(request, who)


def cookie_secure(request: Request) -> bool:
    mode = get_ctx(request).settings.console.secure_cookies
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


def set_session_cookie(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="lax",
                        secure=cookie_secure(request), path="/")


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=cookie_secure(request))


def login_url(next_url: str) -> str:
    return "/login?next=" + quote(next_url, safe="/")
