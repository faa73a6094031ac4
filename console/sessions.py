"""Server-side sign-in sessions and CSRF tokens.

The session cookie holds a random 256-bit token; the database keeps only its SHA-256, the user,
a per-session CSRF token and the expiry (idle timeout and absolute lifetime from the console
settings). The sign-in form, which has no session yet, gets a double-submit token: a random nonce in
a short-lived cookie and the same nonce signed (itsdangerous, with the console secret) in the form.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select

from yuqing.console.accounts import Account
from yuqing.console.db import db_session, now_utc, utc
from yuqing.console.models import ConsoleSession, ConsoleUser
from yuqing.pipeline.core.context import Context

SESSION_COOKIE = "yq_session"
LOGIN_COOKIE = "yq_login"
LOGIN_TOKEN_MAX_AGE = 2 * 3600


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def console_secret(ctx: Context) -> str:
    """The signing secret: ``console.secret_key`` or one generated once into the data dir (0600)."""
    if ctx.settings.console.secret_key:
        return ctx.settings.console.secret_key
    path = ctx.path("console-secret.key")
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@dataclass(frozen=True)
class SessionInfo:
    account: Account
    csrf_token: str
    expires_at: datetime


def create_session(ctx: Context, account: Account, ip: str = "", user_agent: str = "") -> tuple[str, SessionInfo]:
    """A new session for ``account``; returns the cookie token and the session."""
    token = secrets.token_urlsafe(32)
    now = now_utc()
    cfg = ctx.settings.console
    expires = min(now + timedelta(minutes=cfg.session_idle_minutes), now + timedelta(hours=cfg.session_max_hours))
    csrf = secrets.token_urlsafe(32)
    with db_session(ctx) as s:
        s.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
        s.add(ConsoleSession(key=_key(token), user_id=account.id, csrf_token=csrf, created_at=now,
                             last_seen_at=now, expires_at=expires, ip=ip[:64], user_agent=user_agent[:256]))
    return token, SessionInfo(account, csrf, expires)


def load_session(ctx: Context, token: str | None) -> SessionInfo | None:
    """The live session for a cookie token, sliding its idle expiry; None when absent/expired/disabled."""
    if not token or len(token) > 200:
        return None
    now = now_utc()
    cfg = ctx.settings.console
    with db_session(ctx) as s:
        row = s.get(ConsoleSession, _key(token))
        if row is None:
            return None
        user = s.get(ConsoleUser, row.user_id)
        if utc(row.expires_at) <= now or user is None or user.disabled:
            s.delete(row)
            return None
        hard_end = utc(row.created_at) + timedelta(hours=cfg.session_max_hours)
        if (now - utc(row.last_seen_at)).total_seconds() > 60:
            row.last_seen_at = now
            row.expires_at = min(now + timedelta(minutes=cfg.session_idle_minutes), hard_end)
        return SessionInfo(Account.of(user), row.csrf_token, utc(row.expires_at))


def end_session(ctx: Context, token: str | None) -> None:
    if token:
        with db_session(ctx) as s:
            s.execute(delete(ConsoleSession).where(ConsoleSession.key == _key(token)))


def sessions_of(ctx: Context, user_id: int) -> int:
    with db_session(ctx) as s:
        return len(s.scalars(select(ConsoleSession.key).where(ConsoleSession.user_id == user_id)).all())


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(expected, given)


# --- the sign-in form's double-submit token ------------------------------------------------------


def _login_serializer(ctx: Context) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(console_secret(ctx), salt="yuqing-console-login")


def new_login_token(ctx: Context) -> tuple[str, str]:
    """(nonce for the cookie, signed token for the form)."""
    nonce = secrets.token_urlsafe(16)
    return nonce, _login_serializer(ctx).dumps(nonce)


def login_token_ok(ctx: Context, cookie_nonce: str | None, form_token: str | None) -> bool:
    if not cookie_nonce or not form_token:
        return False
    try:
        nonce = _login_serializer(ctx).loads(form_token, max_age=LOGIN_TOKEN_MAX_AGE)
    except BadSignature:
        return False
    return hmac.compare_digest(str(nonce), cookie_nonce)
