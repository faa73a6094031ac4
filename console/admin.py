"""Administration in the browser (管理): an admin manages the hierarchy of their own subtree.

Pages (``/admin/…``, role ``admin`` only; anyone else gets 403 and an ``access.denied`` entry):

* units — browse and search the subtree; a unit's page edits its name, aliases, landmarks,
  address and codes, moves it under another unit of the subtree, retires or restores it (units are
  never deleted), edits its duty roster and on-duty hours, and shows its change history;
* new unit — under any unit of the subtree;
* import — upload a roster (.xlsx/.csv), see the dry-run diff, then apply exactly the file that
  was previewed (kept by its SHA-256 under ``<data dir>/org-imports/``);
* suggestions — alias and landmark proposals (:func:`yuqing.pipeline.core.orgregistry.propose_term`:
  users' corrections, other areas, ``POST /api/org/suggestions``) to accept or reject;
* accounts — console accounts of the subtree: add, disable/enable, reset a password;
* history — the registry's change log for the subtree.

Every change goes through the registry (versioned, in ``org_changes`` with the admin's name) and is
written to the console's audit log. Scope is checked on the server for every unit a request names
— the unit itself, a new parent, an account's unit: outside the admin's subtree is ``AccessDenied``
(403, audited). An admin may edit their own unit and its roster but not move or retire it (that
belongs to the admin above).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from yuqing.alerts.linking import linker_for
from yuqing.alerts.orgimport import ImportFileError, apply_plan, plan_import
from yuqing.console import accounts, audit
from yuqing.console.access import AccessDenied, Principal
from yuqing.console.deps import api_writer, check_form_csrf, client_ip, get_ctx, get_org, page_user
from yuqing.console.models import ROLES
from yuqing.console.render import render, templates
from yuqing.pipeline.core import orgregistry
from yuqing.pipeline.core.names import LEVEL_NAMES, ROLE_NAMES
from yuqing.pipeline.core.org import LEVELS, hours_from_text, normalize_term
from yuqing.pipeline.core.orgregistry import OrgError

router = APIRouter(include_in_schema=False)
templates.env.filters["field_name"] = lambda f: FIELD_NAMES.get(f, f)
api_router = APIRouter(prefix="/api/org", tags=["org"])
PageUser = Annotated[Principal, Depends(page_user)]
ApiWriter = Annotated[Principal, Depends(api_writer)]
MAX_UPLOAD = 20 * 1024 * 1024
SEARCH_LIMIT = 200
ROSTER_FIELDS = ("name", "role", "phone", "email", "wecom", "dingtalk", "hours")


def admin_user(request: Request, who: PageUser) -> Principal:
    if who.role != "admin":
        raise AccessDenied(f"role {who.role} may not administer the hierarchy", request.url.path)
    return who


Admin = Annotated[Principal, Depends(admin_user)]


def _in_scope(who: Principal, unit_id: str, what: str = "unit") -> None:
    if unit_id not in who.subtree:
        raise AccessDenied(f"{what} outside subtree", f"unit:{unit_id}")


def _audit(request: Request, who: Principal, action: str, target: str, detail: str = "", ok: bool = True) -> None:
    audit.record(get_ctx(request), who.username, action, unit_id=who.unit_id, target=target, ok=ok,
                 ip=client_ip(request), detail=detail[:4000])


def _by(who: Principal) -> str:
    return f"{who.username}（{who.account.display_name}）"


def _terms(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[、;；,，\n]+", text or "") if t.strip()]


def _back(url: str, **params: str) -> RedirectResponse:
    query = "&".join(f"{k}={v}" for k, v in params.items() if v)
    return RedirectResponse(url + (("?" + query) if query else ""), status_code=303)


# --- units -----------------------------------------------------------------------------------


@router.get("/admin", response_class=HTMLResponse)
def admin_home(who: Admin):
    return RedirectResponse("/admin/units", status_code=303)


@router.get("/admin/units", response_class=HTMLResponse)
def units_page(request: Request, who: Admin, unit: str = "", q: str = ""):
    org = get_org(request)
    current = unit or who.unit_id
    _in_scope(who, current)
    results = []
    if q.strip():
        norm = normalize_term(q.strip())
        for uid in sorted(who.subtree):
            u = org.units[uid]
            if norm in normalize_term(u.name) or (u.code and q.strip() in u.code) or uid == q.strip() \
                    or any(norm in normalize_term(a) for a in u.aliases):
                results.append(u)
                if len(results) >= SEARCH_LIMIT:
                    break
    children = [(c, len(org.subtree(c.id)) - 1) for c in org.children(current)]
    retired = [u for u in org.retired.values() if u.parent == current]
    crumbs = [org.units[a] for a in reversed(org.ancestors(current)) if a in who.subtree]
    return render(request, "admin_units.html", {"nav": "admin", "tab": "units", "current": org.units[current],
                                                "children": children, "retired": retired, "q": q,
                                                "results": results, "crumbs": crumbs,
                                                "limit": SEARCH_LIMIT})


def _unit_data(request: Request, who: Principal, unit_id: str) -> dict:
    org = get_org(request)
    unit = org.get(unit_id)
    retired = unit is None and unit_id in org.retired
    if unit is None and not retired:
        raise AccessDenied("unknown unit", f"unit:{unit_id}")
    if retired:
        unit = org.retired[unit_id]
        _in_scope(who, unit.parent or "", "retired unit's parent")
    else:
        _in_scope(who, unit_id)
    derived = linker_for(org).terms_of(unit_id) if not retired else []
    changes = orgregistry.history(get_ctx(request), unit_id=unit_id, limit=50)
    parents = [u for u in who.units_in_scope() if LEVELS.index(u.level) < LEVELS.index(unit.level)
               and u.id != unit_id and u.id not in org.subtree(unit_id)] if not retired else []
    return {"nav": "admin", "tab": "units", "unit": unit, "retired": retired, "derived": derived,
            "changes": changes, "parents": parents, "is_root": unit_id == who.unit_id,
            "path": [org.display_name(a) for a in reversed(org.ancestors(unit_id))] if not retired else [],
            "children": org.children(unit_id) if not retired else [], "roster_fields": ROSTER_FIELDS,
            "action_names": ACTION_NAMES}


FIELD_NAMES = {"id": "ID", "code": "区划代码", "credit_code": "信用代码", "name": "名称", "level": "层级", "parent": "上级",
               "aliases": "别名", "landmarks": "地标", "address": "地址", "roster": "值班表"}
ACTION_NAMES = {"add": "新增", "update": "修改", "rename": "改名", "move": "调整上级", "roster": "值班表",
                "terms": "别名/地标", "retire": "撤销", "restore": "恢复"}


@router.get("/admin/units/{unit_id}", response_class=HTMLResponse)
def unit_page(request: Request, who: Admin, unit_id: str, done: str = "", error: str = ""):
    return render(request, "admin_unit.html", {**_unit_data(request, who, unit_id), "done": done, "error": error})


def _unit_error(request: Request, who: Principal, unit_id: str, message: str):
    return render(request, "admin_unit.html", {**_unit_data(request, who, unit_id), "done": "", "error": message},
                  status_code=422)


@router.post("/admin/units/{unit_id}/edit")
def unit_edit(request: Request, who: Admin, unit_id: str, csrf_token: str = Form(""), name: str = Form(...),
              aliases: str = Form(""), landmarks: str = Form(""), address: str = Form(""),
              credit_code: str = Form(""), code: str = Form("")):
    check_form_csrf(request, who, csrf_token)
    _in_scope(who, unit_id)
    changes = {"name": name.strip(), "aliases": _terms(aliases), "landmarks": _terms(landmarks),
               "address": address.strip() or None, "credit_code": credit_code.strip() or None,
               "code": code.strip() or None}
    try:
        with orgregistry.write(get_ctx(request), by=_by(who), via="console") as w:
            changed = w.update(unit_id, changes)
    except OrgError as exc:
        _audit(request, who, "org.unit.update", f"unit:{unit_id}", str(exc), ok=False)
        return _unit_error(request, who, unit_id, str(exc))
    if changed:
        _audit(request, who, "org.unit.update", f"unit:{unit_id}", f"name={changes['name']}")
    return _back(f"/admin/units/{unit_id}", done="saved" if changed else "nochange")


@router.post("/admin/units/{unit_id}/move")
def unit_move(request: Request, who: Admin, unit_id: str, csrf_token: str = Form(""), parent: str = Form(...)):
    check_form_csrf(request, who, csrf_token)
    _in_scope(who, unit_id)
    if unit_id == who.unit_id:
        raise AccessDenied("an admin may not move their own unit", f"unit:{unit_id}")
    org = get_org(request)
    target = (org.find(parent) or [None])[0] if parent not in org.units else org.units[parent]
    if target is None:
        return _unit_error(request, who, unit_id, f"找不到上级单位“{parent}”")
    _in_scope(who, target.id, "new parent")
    try:
        with orgregistry.write(get_ctx(request), by=_by(who), via="console") as w:
            changed = w.update(unit_id, {"parent": target.id}, action="move")
    except OrgError as exc:
        _audit(request, who, "org.unit.move", f"unit:{unit_id}", str(exc), ok=False)
        return _unit_error(request, who, unit_id, str(exc))
    if changed:
        _audit(request, who, "org.unit.move", f"unit:{unit_id}", f"→ {target.id}")
    return _back(f"/admin/units/{unit_id}", done="moved" if changed else "nochange")


@router.post("/admin/units/{unit_id}/retire")
def unit_retire(request: Request, who: Admin, unit_id: str, csrf_token: str = Form(""), note: str = Form("")):
    check_form_csrf(request, who, csrf_token)
    _in_scope(who, unit_id)
    if unit_id == who.unit_id:
        raise AccessDenied("an admin may not retire their own unit", f"unit:{unit_id}")
    try:
        with orgregistry.write(get_ctx(request), by=_by(who), via="console") as w:
            w.retire(unit_id, note=note.strip())
    except OrgError as exc:
        _audit(request, who, "org.unit.retire", f"unit:{unit_id}", str(exc), ok=False)
        return _unit_error(request, who, unit_id, str(exc))
    _audit(request, who, "org.unit.retire", f"unit:{unit_id}", note)
    return _back(f"/admin/units/{unit_id}", done="retired")


@router.post("/admin/units/{unit_id}/restore")
def unit_restore(request: Request, who: Admin, unit_id: str, csrf_token: str = Form("")):
    check_form_csrf(request, who, csrf_token)
    org = get_org(request)
    unit = org.retired.get(unit_id)
    if unit is None:
        raise AccessDenied("not a retired unit", f"unit:{unit_id}")
    _in_scope(who, unit.parent or "", "retired unit's parent")
    try:
        with orgregistry.write(get_ctx(request), by=_by(who), via="console") as w:
            w.restore(unit_id)
    except OrgError as exc:
        return _unit_error(request, who, unit_id, str(exc))
    _audit(request, who, "org.unit.restore", f"unit:{unit_id}")
    return _back(f"/admin/units/{unit_id}", done="restored")


@router.post("/admin/units/{unit_id}/roster")
async def unit_roster(request: Request, who: Admin, unit_id: str):
    form = await request.form()
    check_form_csrf(request, who, str(form.get("csrf_token", "")))
    _in_scope(who, unit_id)
    officers, problems = [], []
    for i in range(int(str(form.get("rows", "0")) or 0)):
        row = {f: str(form.get(f"{f}_{i}", "")).strip() for f in ROSTER_FIELDS}
        if not any(row.values()) or form.get(f"remove_{i}"):
            continue
        if not row["name"]:
            problems.append(f"第 {i + 1} 行：缺少姓名")
            continue
        try:
            row["hours"] = hours_from_text(row["hours"])
        except ValueError as exc:
            problems.append(f"第 {i + 1} 行：{exc}")
            continue
        officers.append({k: v for k, v in row.items() if v})
    if problems:
        return _unit_error(request, who, unit_id, "；".join(problems))
    try:
        with orgregistry.write(get_ctx(request), by=_by(who), via="console") as w:
            changed = w.update(unit_id, {"roster": officers}, action="roster")
    except OrgError as exc:
        _audit(request, who, "org.roster", f"unit:{unit_id}", str(exc), ok=False)
        return _unit_error(request, who, unit_id, str(exc))
    if changed:
        _audit(request, who, "org.roster", f"unit:{unit_id}", f"{len(officers)} 名值班员")
    return _back(f"/admin/units/{unit_id}", done="roster" if changed else "nochange")


@router.get("/admin/new", response_class=HTMLResponse)
def new_unit_page(request: Request, who: Admin, parent: str = ""):
    parent = parent or who.unit_id
    _in_scope(who, parent)
    return render(request, "admin_unit_new.html", {"nav": "admin", "tab": "units", "parent": get_org(request).units[parent],
                                                   "levels": _levels_below(get_org(request).units[parent].level),
                                                   "error": "", "form": {}})


def _levels_below(level: str) -> list[str]:
    return list(LEVELS[LEVELS.index(level) + 1:])


@router.post("/admin/new")
def new_unit(request: Request, who: Admin, csrf_token: str = Form(""), parent: str = Form(...), name: str = Form(...),
             level: str = Form("enterprise"), unit_id: str = Form(""), aliases: str = Form(""),
             landmarks: str = Form(""), address: str = Form(""), credit_code: str = Form("")):
    check_form_csrf(request, who, csrf_token)
    _in_scope(who, parent, "parent")
    org = get_org(request)
    uid = unit_id.strip().lower() or _new_unit_id(org, name, credit_code)
    rec = {"id": uid, "name": name.strip(), "level": level, "parent": parent, "aliases": _terms(aliases),
           "landmarks": _terms(landmarks), "address": address.strip() or None,
           "credit_code": credit_code.strip() or None}
    try:
        with orgregistry.write(get_ctx(request), by=_by(who), via="console") as w:
            w.add(rec, source="console")
    except OrgError as exc:
        _audit(request, who, "org.unit.add", f"unit:{uid}", str(exc), ok=False)
        return render(request, "admin_unit_new.html", {"nav": "admin", "tab": "units", "parent": org.units[parent],
                                                       "levels": _levels_below(org.units[parent].level),
                                                       "error": str(exc), "form": rec}, status_code=422)
    _audit(request, who, "org.unit.add", f"unit:{uid}", f"{name} 上级 {parent}")
    return _back(f"/admin/units/{uid}", done="added")


def _new_unit_id(org, name: str, credit_code: str) -> str:
    if credit_code.strip():
        base = "qy-" + re.sub(r"[^a-z0-9]", "", credit_code.strip().lower())
    else:
        base = "u-" + hashlib.sha1(normalize_term(name).encode()).hexdigest()[:10]
    uid, n = base, 2
    while uid in org.units or uid in org.retired:
        uid, n = f"{base}-{n}", n + 1
    return uid


# --- import ----------------------------------------------------------------------------------


def _upload_dir(request: Request) -> Path:
    path = get_ctx(request).path("org-imports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stored(request: Request, digest: str, filename: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise AccessDenied("bad import reference", "org-import")
    suffix = Path(filename).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise AccessDenied("bad import file type", "org-import")
    return _upload_dir(request) / f"{digest}{suffix}"


@router.get("/admin/import", response_class=HTMLResponse)
def import_page(request: Request, who: Admin):
    return render(request, "admin_import.html", {"nav": "admin", "tab": "import", "plan": None, "error": ""})


@router.post("/admin/import", response_class=HTMLResponse)
async def import_preview(request: Request, who: Admin, file: Annotated[UploadFile, File()], csrf_token: str = Form("")):
    check_form_csrf(request, who, csrf_token)
    data = await file.read(MAX_UPLOAD + 1)
    name = Path(file.filename or "upload.csv").name
    error, plan = "", None
    if len(data) > MAX_UPLOAD:
        error = "文件超过 20 MB"
    else:
        try:
            plan = plan_import(get_ctx(request), data, name, scope=who.subtree, org=get_org(request))
        except ImportFileError as exc:
            error = str(exc)
    if plan is not None:
        path = _stored(request, plan.digest, name)
        path.write_bytes(data)
        _audit(request, who, "org.import.preview", f"file:{name}",
               " ".join(f"{k}={v}" for k, v in plan.summary().items()))
    return render(request, "admin_import.html", {"nav": "admin", "tab": "import", "plan": plan, "error": error,
                                                 "filename": name}, status_code=422 if error else 200)


@router.post("/admin/import/apply", response_class=HTMLResponse)
def import_apply(request: Request, who: Admin, csrf_token: str = Form(""), digest: str = Form(...),
                 filename: str = Form(...)):
    check_form_csrf(request, who, csrf_token)
    path = _stored(request, digest, filename)
    if not path.exists():
        return render(request, "admin_import.html", {"nav": "admin", "tab": "import", "plan": None,
                                                     "error": "预览的文件已不存在，请重新上传"}, status_code=410)
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:
        raise AccessDenied("import file changed", "org-import")
    ctx = get_ctx(request)
    error = ""
    plan = plan_import(ctx, data, filename, scope=who.subtree, org=get_org(request))
    try:
        apply_plan(ctx, plan, by=_by(who))
    except OrgError as exc:
        error = str(exc)
    _audit(request, who, "org.import", f"file:{filename}",
           (error or "applied") + " " + " ".join(f"{k}={v}" for k, v in plan.summary().items()), ok=not error)
    return render(request, "admin_import.html", {"nav": "admin", "tab": "import", "plan": plan, "error": error,
                                                 "filename": filename, "applied": not error},
                  status_code=409 if error else 200)


# --- suggestions ------------------------------------------------------------------------------


@router.get("/admin/suggestions", response_class=HTMLResponse)
def suggestions_page(request: Request, who: Admin, status: str = "pending", done: str = "", error: str = ""):
    status = status if status in ("pending", "accepted", "rejected") else "pending"
    rows = orgregistry.proposals(get_ctx(request), status=status, units=who.subtree)
    return render(request, "admin_suggestions.html", {"nav": "admin", "tab": "suggestions", "rows": rows,
                                                      "status": status, "done": done, "error": error})


@router.post("/admin/suggestions")
def suggestion_add(request: Request, who: Admin, csrf_token: str = Form(""), unit: str = Form(...),
                   term: str = Form(...), kind: str = Form("landmark"), evidence: str = Form("")):
    check_form_csrf(request, who, csrf_token)
    org = get_org(request)
    found = [u.id for u in org.find(unit)]
    if len(found) != 1:
        return _back("/admin/suggestions", error="unit")
    _in_scope(who, found[0])
    try:
        pid = orgregistry.propose_term(get_ctx(request), found[0], term, kind, source="console", by=who.username,
                                       evidence=evidence or None)
    except OrgError:
        return _back("/admin/suggestions", error="term")
    _audit(request, who, "org.suggest", f"unit:{found[0]}", f"#{pid} {kind} {term}")
    return _back("/admin/suggestions", done="proposed")


@router.post("/admin/suggestions/{proposal_id}/{decision}")
def suggestion_decide(request: Request, who: Admin, proposal_id: int, decision: str, csrf_token: str = Form(""),
                      term: str = Form(""), note: str = Form("")):
    check_form_csrf(request, who, csrf_token)
    if decision not in ("accept", "reject"):
        raise AccessDenied("unknown decision", f"suggestion:{proposal_id}")
    ctx = get_ctx(request)
    found = orgregistry.get_proposal(ctx, proposal_id)
    if found is None:
        raise AccessDenied("unknown suggestion", f"suggestion:{proposal_id}")
    _in_scope(who, found.unit_id)
    try:
        orgregistry.decide_proposal(ctx, proposal_id, decision == "accept", by=_by(who), note=note, term=term or None)
    except OrgError:
        return _back("/admin/suggestions", error="decided")
    _audit(request, who, f"org.suggestion.{decision}", f"unit:{found.unit_id}", f"#{proposal_id} {found.term}")
    return _back("/admin/suggestions", done=decision)


class SuggestionIn(BaseModel):
    unit_id: str = Field(description="单位 ID（须在本人范围内）")
    term: str = Field(min_length=2, max_length=100, description="建议的别名或地标")
    kind: str = Field(default="landmark", pattern="^(alias|landmark)$")
    evidence: str | None = Field(default=None, max_length=2000, description="依据：帖子 ID、原文等")


@api_router.post("/suggestions", summary="建议别名或地标（待管理员审核）", status_code=201)
def api_suggest(request: Request, who: ApiWriter, body: SuggestionIn):
    """Any signed-in user may propose a term for a unit of their subtree (e.g. after correcting a post's unit)."""
    who.require_unit(body.unit_id)
    try:
        pid = orgregistry.propose_term(get_ctx(request), body.unit_id, body.term, body.kind, source="console",
                                       by=who.username, evidence=body.evidence)
    except OrgError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    _audit(request, who, "org.suggest", f"unit:{body.unit_id}", f"#{pid} {body.kind} {body.term}")
    return {"id": pid}


# --- accounts ---------------------------------------------------------------------------------


@router.get("/admin/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, who: Admin, done: str = "", error: str = ""):
    rows = accounts.list_users(get_ctx(request), units=set(who.subtree))
    return render(request, "admin_accounts.html", {"nav": "admin", "tab": "accounts", "rows": rows, "done": done,
                                                   "error": error, "roles": ROLES, "role_names": ROLE_NAMES,
                                                   "units": who.units_in_scope()})


def _account_in_scope(request: Request, who: Principal, username: str) -> accounts.Account:
    acc = accounts.get_user(get_ctx(request), username)
    if acc is None or acc.unit_id not in who.subtree:
        raise AccessDenied("account outside subtree", f"user:{username}")
    return acc


@router.post("/admin/accounts")
def account_add(request: Request, who: Admin, csrf_token: str = Form(""), username: str = Form(...),
                display_name: str = Form(""), unit: str = Form(...), role: str = Form("duty"),
                password: str = Form(...)):
    check_form_csrf(request, who, csrf_token)
    _in_scope(who, unit, "account unit")
    try:
        accounts.add_user(get_ctx(request), username.strip(), password, unit, role, display_name.strip())
    except accounts.AccountError as exc:
        _audit(request, who, "user.add", f"user:{username}", str(exc), ok=False)
        return render(request, "admin_accounts.html", {
            "nav": "admin", "tab": "accounts", "rows": accounts.list_users(get_ctx(request), units=set(who.subtree)),
            "done": "", "error": str(exc), "roles": ROLES, "role_names": ROLE_NAMES,
            "units": who.units_in_scope()}, status_code=422)
    _audit(request, who, "user.add", f"user:{username}", f"{unit} {role}")
    return _back("/admin/accounts", done="added")


@router.post("/admin/accounts/{username}/{action}")
def account_action(request: Request, who: Admin, username: str, action: str, csrf_token: str = Form(""),
                   password: str = Form("")):
    check_form_csrf(request, who, csrf_token)
    _account_in_scope(request, who, username)
    ctx = get_ctx(request)
    if action in ("disable", "enable"):
        if username == who.username:
            return _back("/admin/accounts", error="self")
        accounts.set_disabled(ctx, username, action == "disable")
    elif action == "reset-password":
        try:
            accounts.reset_password(ctx, username, password)
        except accounts.AccountError as exc:
            _audit(request, who, "user.reset-password", f"user:{username}", str(exc), ok=False)
            return _back("/admin/accounts", error="password")
    else:
        raise AccessDenied("unknown account action", f"user:{username}")
    _audit(request, who, f"user.{action}", f"user:{username}")
    return _back("/admin/accounts", done=action)


# --- history ----------------------------------------------------------------------------------


@router.get("/admin/history", response_class=HTMLResponse)
def history_page(request: Request, who: Admin):
    org = get_org(request)
    scope = set(who.subtree) | {u for u, unit in org.retired.items() if unit.parent in who.subtree}
    rows = orgregistry.history(get_ctx(request), units=None if who.unit_id == org.root.id else scope, limit=300)
    return render(request, "admin_history.html", {"nav": "admin", "tab": "history", "rows": rows,
                                                  "action_names": ACTION_NAMES, "level_names": LEVEL_NAMES})
