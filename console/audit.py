"""The audit log: who did what, when, from where, and whether it was allowed.

Actions written by the console: ``login`` (ok or refused, with the reason), ``logout``,
``incident.acknowledge|resolve|reopen``, ``access.denied`` (an incident, briefing or unit outside the
caller's subtree, or a role without the right), ``csrf.rejected``, ``search``, ``briefing.download``;
by the CLI: ``user.add|disable|enable|reset-password``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from console.db import db_session, now_utc, utc
from console.models import AuditEntry
from pipeline.context import Context

ACTION_LABELS = {
    "login": "登录", "logout": "退出", "incident.acknowledge": "确认事件", "incident.resolve": "办结事件",
    "incident.reopen": "重新打开", "access.denied": "越权访问被拒", "csrf.rejected": "CSRF 校验失败",
    "search": "检索", "search.export": "导出检索结果", "briefing.download": "下载周报", "user.add": "新建账号", "user.disable": "停用账号",
    "user.enable": "启用账号", "user.reset-password": "重置密码",
}


#: sign-in refusal reasons as the audit page shows them
DETAIL_LABELS = {"bad_password": "密码错误", "unknown_user": "无此用户", "locked": "账号已锁定",
                 "disabled": "账号已停用", "unit not in org": "所属单位不在组织架构中"}


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    username: str
    unit_id: str
    action: str
    target: str
    ok: bool
    ip: str
    detail: str

    def as_dict(self) -> dict:
        return {"at": self.at.isoformat(), "username": self.username, "unit_id": self.unit_id,
                "action": self.action, "target": self.target, "ok": self.ok, "ip": self.ip,
                "detail": self.detail}


def record(ctx: Context, username: str, action: str, *, unit_id: str = "", target: str = "", ok: bool = True,
           ip: str = "", detail: str = "") -> None:
    with db_session(ctx) as s:
        s.add(AuditEntry(at=now_utc(), username=username[:64], unit_id=unit_id, action=action,
                         target=target[:256], ok=ok, ip=ip[:64], detail=detail[:4000]))


def entries(ctx: Context, *, units: set[str] | None = None, username: str | None = None,
            action: str | None = None, limit: int = 200) -> list[AuditRecord]:
    """Newest first; ``units`` limits to entries of accounts in those units."""
    with db_session(ctx) as s:
        q = select(AuditEntry).order_by(AuditEntry.id.desc())
        if units is not None:
            q = q.where(AuditEntry.unit_id.in_(sorted(units)))
        if username:
            q = q.where(AuditEntry.username == username)
        if action:
            q = q.where(AuditEntry.action == action)
        rows = s.scalars(q.limit(limit)).all()
        return [AuditRecord(utc(r.at), r.username, r.unit_id, r.action, r.target, r.ok, r.ip, r.detail)
                for r in rows]
