"""The audit log: who did what, when, from where, and whether it was allowed.

Actions written by the console: ``login`` (ok or refused, with the reason), ``logout``,
``incident.view`` (the detail page), ``incident.acknowledge|resolve|reopen``, ``access.denied``
(an incident, briefing or unit outside the caller's subtree, or a role without the right),
``csrf.rejected``, ``search``, ``search.export``, ``briefing.download``, ``report.*`` and ``response.*``
(grassroots reporting, also from ``yuqing report``); by the CLI:
``user.add|disable|enable|reset-password`` (also from the admin pages); by the admin pages
(:mod:`yuqing.console.admin`): ``org.unit.add|update|move|retire|restore``, ``org.roster``,
``org.import.preview``, ``org.import``, ``org.suggest``, ``org.suggestion.accept|reject``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from yuqing.alerts.api import notify_admins
from yuqing.console.db import db_session, now_utc, utc
from yuqing.console.models import AuditEntry
from yuqing.pipeline.core.context import Context

ACTION_LABELS = {
    "login": "登录", "logout": "退出", "incident.view": "查看事件", "incident.acknowledge": "确认事件",
    "incident.resolve": "处置完毕", "incident.reopen": "重新打开", "access.denied": "越权访问被拒",
    "csrf.rejected": "CSRF 校验失败", "search": "检索", "search.export": "导出检索结果",
    "briefing.download": "下载周报", "user.add": "新建账号", "user.disable": "停用账号", "user.enable": "启用账号",
    "user.reset-password": "重置密码", "notify.failed": "通知管理员失败",
    # grassroots reporting (console/reports.py, yuqing report …)
    "report.submit": "信息报送", "report.view": "查看报送", "report.adopt": "采用报送", "report.more": "要求补报",
    "report.return": "退回报送", "report.merge": "报送并入事件", "report.supplement": "补报",
    "report.attachment": "下载报送附件", "response.draft": "拟定回应口径", "response.approve": "批准回应口径",
    "response.return": "退回回应口径", "response.revise": "修改回应口径", "response.publish": "登记口径发布",
    "org.unit.add": "新增单位", "org.unit.update": "修改单位", "org.unit.move": "调整上级", "org.unit.retire": "撤销单位",
    "org.unit.restore": "恢复单位", "org.roster": "修改值班表", "org.import.preview": "预览导入名单",
    "org.import": "导入名单", "org.suggest": "建议别名/地标", "org.suggestion.accept": "采纳建议",
    "org.suggestion.reject": "驳回建议",
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


def sign_in_refused(ctx: Context, username: str, result, ip: str, via: str) -> None:
    """Audit a refused sign-in; when it locked the account, tell the admins (alerts' outbox)."""
    unit = result.account.unit_id if result.account else ""
    record(ctx, username or "-", "login", unit_id=unit, target=via, ok=False, ip=ip, detail=result.reason)
    if not result.just_locked:
        return
    minutes = ctx.settings.console.lockout_minutes
    try:

        notify_admins(ctx, f"【值班台】账号 {username} 因连续密码错误被锁定",
                      f"值班台账号 {username}（单位 {unit}）连续 {ctx.settings.console.max_failed_logins} 次密码错误，"
                      f"已锁定 {minutes} 分钟。最近一次尝试来自 {ip or '未知地址'}。如非本人操作，请检查是否有人猜测密码；"
                      f"解锁：yuqing users reset-password {username}")
    except Exception as exc:  # the sign-in page must answer even if the outbox cannot be written
        record(ctx, "-", "notify.failed", target=f"user:{username}", ok=False, detail=str(exc)[:500])
