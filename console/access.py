"""Who may see and do what: the signed-in :class:`Principal` and its subtree checks.

Every page and API call builds a Principal from the session (:mod:`yuqing.console.deps`) and asks it before
touching data: :meth:`Principal.sees_unit` for incidents, posts and briefings, :meth:`can_act` for
acknowledge/resolve/reopen, :meth:`can_audit` for the audit log. The subtree comes from the union
hierarchy (``yuqing.pipeline.core.org.load_org(ctx).subtree(unit)``) at request time, so a unit moved in
the org registry (admin pages, an import, ``config/org.yaml``) is honoured at the next request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from yuqing.console.accounts import Account
from yuqing.pipeline.core.names import ROLE_NAMES

MENU_DEPTH = 2


class AccessDenied(Exception):
    """The caller may not do this (the handler answers 403 and writes the audit log)."""

    def __init__(self, what: str, target: str = ""):
        self.what, self.target = what, target
        super().__init__(what)


@dataclass(frozen=True)
class Principal:
    account: Account
    csrf_token: str
    unit_id: str
    unit_name: str
    subtree: frozenset[str]
    org: object = field(repr=False, compare=False)

    @property
    def username(self) -> str:
        return self.account.username

    @property
    def role(self) -> str:
        return self.account.role

    @property
    def role_label(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)

    def sees_unit(self, unit_id: str | None) -> bool:
        return unit_id is not None and unit_id in self.subtree

    def can_act(self) -> bool:
        return self.role in ("duty", "admin")

    def can_audit(self) -> bool:
        return self.role == "admin"

    def require_unit(self, unit_id: str) -> None:
        if not self.sees_unit(unit_id):
            raise AccessDenied("unit outside subtree", unit_id)

    def require_act(self, target: str = "") -> None:
        if not self.can_act():
            raise AccessDenied(f"role {self.role} may not change incidents", target)

    def units_in_scope(self, depth: int = MENU_DEPTH) -> list:
        """The org units of my subtree down to ``depth`` levels below mine, parents before children,
        for filter menus (with thousands of enterprise unions a menu of all of them is no use)."""
        out, stack = [], [(0, self.unit_id)]
        while stack:
            d, uid = stack.pop()
            unit = self.org.get(uid)
            if unit is None:
                continue
            out.append(unit)
            if d < depth:
                stack.extend((d + 1, c) for c in sorted(c.id for c in self.org.children(uid))[::-1])
        return out

    def as_dict(self) -> dict:
        return {"username": self.username, "display_name": self.account.display_name, "role": self.role,
                "unit_id": self.unit_id, "unit_name": self.unit_name, "subtree_size": len(self.subtree),
                "csrf_token": self.csrf_token}


def principal_for(account: Account, csrf_token: str, org) -> Principal | None:
    """The principal of an account, or None when its unit is no longer in the hierarchy."""
    unit = org.get(account.unit_id)
    if unit is None:
        return None
    return Principal(account, csrf_token, unit.id, unit.name, frozenset(org.subtree(unit.id)), org)
