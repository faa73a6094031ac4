"""Console accounts: create, list, disable, reset passwords, and authenticate with lock-out.

Passwords are hashed with argon2id (argon2-cffi's defaults, re-hashed on sign-in when those change).
After ``console.max_failed_logins`` consecutive failures an account is locked for
``console.lockout_minutes``; a successful sign-in resets the count. Unknown user names cost the same
hashing work as known ones so timing does not reveal which accounts exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select

from yuqing.console.db import db_session, now_utc, utc
from yuqing.console.models import ROLES, ConsoleSession, ConsoleUser
from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.org import load_org

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message says why (in Chinese and English)."""


@dataclass(frozen=True)
class Account:
    """A console user as the rest of the console sees it (no hash)."""

    id: int
    username: str
    display_name: str
    unit_id: str
    role: str
    disabled: bool
    locked_until: datetime | None
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, row: ConsoleUser) -> Account:
        return cls(row.id, row.username, row.display_name, row.unit_id, row.role, row.disabled,
                   utc(row.locked_until), utc(row.created_at), utc(row.last_login_at))

    def as_dict(self) -> dict:
        return {"username": self.username, "display_name": self.display_name, "unit_id": self.unit_id,
                "role": self.role, "disabled": self.disabled,
                "locked_until": self.locked_until.isoformat() if self.locked_until else None,
                "created_at": self.created_at.isoformat(),
                "last_login_at": self.last_login_at.isoformat() if self.last_login_at else None}


@dataclass(frozen=True)
class AuthResult:
    account: Account | None
    reason: str  # ok | bad_password | unknown_user | disabled | locked
    just_locked: bool = False  # this failure locked the account

    @property
    def ok(self) -> bool:
        return self.account is not None and self.reason == "ok"


def check_password_policy(ctx: Context, password: str) -> None:
    minimum = ctx.settings.console.min_password_length
    if len(password) < minimum:
        raise AccountError(f"密码至少 {minimum} 个字符 / password must have at least {minimum} characters")
    if password.strip() != password or not password.strip():
        raise AccountError("密码不能以空白开头或结尾 / password must not start or end with whitespace")
    kinds = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    if kinds < 2:
        raise AccountError("密码需包含至少两类字符（小写、大写、数字、符号）/ "
                           "password needs two kinds of characters (lower, upper, digit, symbol)")


def _validate_unit(ctx: Context, unit_id: str) -> None:

    if load_org(ctx).get(unit_id) is None:
        raise AccountError(f"未知单位 unknown unit {unit_id!r} (see config/org.yaml)")


def add_user(ctx: Context, username: str, password: str, unit_id: str, role: str = "duty",
             display_name: str = "") -> Account:
    if not USERNAME_RE.match(username):
        raise AccountError(f"用户名无效 invalid user name {username!r}: 2–64 of letters, digits, _ . @ -")
    if role not in ROLES:
        raise AccountError(f"未知角色 unknown role {role!r}: one of {', '.join(ROLES)}")
    _validate_unit(ctx, unit_id)
    check_password_policy(ctx, password)
    with db_session(ctx) as s:
        if s.scalar(select(ConsoleUser).where(ConsoleUser.username == username)) is not None:
            raise AccountError(f"用户已存在 user {username!r} already exists")
        now = now_utc()
        row = ConsoleUser(username=username, display_name=display_name or username, unit_id=unit_id,
                          role=role, password_hash=_hasher.hash(password), disabled=False,
                          failed_logins=0, created_at=now, password_changed_at=now)
        s.add(row)
        s.flush()
        return Account.of(row)


def _get_row(s, username: str) -> ConsoleUser:
    row = s.scalar(select(ConsoleUser).where(ConsoleUser.username == username))
    if row is None:
        raise AccountError(f"没有该用户 no such user {username!r}")
    return row


def get_user(ctx: Context, username: str) -> Account | None:
    with db_session(ctx) as s:
        row = s.scalar(select(ConsoleUser).where(ConsoleUser.username == username))
        return Account.of(row) if row else None


def get_user_by_id(ctx: Context, user_id: int) -> Account | None:
    with db_session(ctx) as s:
        row = s.get(ConsoleUser, user_id)
        return Account.of(row) if row else None


def list_users(ctx: Context, units: set[str] | None = None) -> list[Account]:
    with db_session(ctx) as s:
        rows = s.scalars(select(ConsoleUser).order_by(ConsoleUser.unit_id, ConsoleUser.username)).all()
        return [Account.of(r) for r in rows if units is None or r.unit_id in units]


def set_disabled(ctx: Context, username: str, disabled: bool = True) -> Account:
    """Disable (or re-enable) an account; disabling ends its sessions at once."""
    with db_session(ctx) as s:
        row = _get_row(s, username)
        row.disabled = disabled
        if not disabled:
            row.failed_logins, row.locked_until = 0, None
        else:
            s.execute(delete(ConsoleSession).where(ConsoleSession.user_id == row.id))
        return Account.of(row)


def reset_password(ctx: Context, username: str, password: str) -> Account:
    """Set a new password, clear any lock-out and end the account's sessions."""
    check_password_policy(ctx, password)
    with db_session(ctx) as s:
        row = _get_row(s, username)
        row.password_hash = _hasher.hash(password)
        row.password_changed_at = now_utc()
        row.failed_logins, row.locked_until = 0, None
        s.execute(delete(ConsoleSession).where(ConsoleSession.user_id == row.id))
        return Account.of(row)


def authenticate(ctx: Context, username: str, password: str, now: datetime | None = None) -> AuthResult:
    """Check a password, counting failures and locking the account after too many of them."""
    now = now or now_utc()
    cfg = ctx.settings.console
    with db_session(ctx) as s:
        row = s.scalar(select(ConsoleUser).where(ConsoleUser.username == username))
        if row is None:
            try:
                _hasher.verify(_DUMMY_HASH, password + "x")
            except VerificationError:
                pass
            return AuthResult(None, "unknown_user")
        locked_until = utc(row.locked_until)
        if locked_until and locked_until > now:
            return AuthResult(Account.of(row), "locked")
        try:
            _hasher.verify(row.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            row.failed_logins = (row.failed_logins or 0) + 1
            if row.failed_logins >= cfg.max_failed_logins:
                row.locked_until = now + timedelta(minutes=cfg.lockout_minutes)
                row.failed_logins = 0
                return AuthResult(Account.of(row), "locked", just_locked=True)
            return AuthResult(Account.of(row), "bad_password")
        if row.disabled:
            return AuthResult(Account.of(row), "disabled")
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
        row.failed_logins, row.locked_until, row.last_login_at = 0, None, now
        return AuthResult(Account.of(row), "ok")
