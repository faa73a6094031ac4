"""Importing the union's own lists (enterprise unions, rosters) into the org registry.

``yuqing org import FILE.xlsx|FILE.csv [--dry-run] [--by NAME]`` and the console's import page
call :func:`plan_import` then :func:`apply_plan`.

File
    ``.xlsx`` (the first sheet) or ``.csv`` in UTF-8 (with or without BOM) or GBK/GB18030 (what
    Excel and WPS save). The first non-empty row is the header; a row whose first cell starts with
    ``#`` is a comment. Headers in Chinese or English (:data:`COLUMNS`; spaces, case and full-width
    forms do not matter); unknown headers are reported and ignored. The template is
    ``config/org-import-template.csv`` (``yuqing org template --out 模板.xlsx`` writes it as .xlsx).

Rows
    One row per unit, or several rows for one unit with one duty officer each (联系人, 邮箱, 电话,
    值班时间 …): rows naming the same unit (same 统一社会信用代码, else same 单位ID, else same 单位名称
    and 上级单位) are one unit, and its roster is exactly the officers of its rows. A row names
    either a new enterprise union or an existing unit (by 单位ID, 统一社会信用代码 or its name): an
    existing unit takes the non-empty cells (aliases and landmarks are added to its own; an empty
    cell changes nothing; a unit's roster is replaced only when the file gives officers for it).

Parents
    上级单位 is a unit id, a statistical code (9 or 12 digits) or a name — the unit's name, alias or
    the short forms people write (``南郎家园社区``, ``皮村``), when it names one unit. With no
    上级单位, a new unit goes under the 社区/村 its 地址 names (else the 街乡 it names); an address
    naming none is a rejected row.

Diff, atomicity, idempotence
    :func:`plan_import` compares every unit with the registry and sorts them into new, changed
    (which fields, before → after), unchanged and rejected (row, column, reason). A plan with a
    rejected row is refused whole: nothing is written. :func:`apply_plan` writes all changes in one
    transaction (:func:`yuqing.pipeline.core.orgregistry.write`, via ``import``, one batch);
    importing the same file again finds everything unchanged and writes nothing.
    ``scope`` (the console's admin subtree) rejects rows that touch units outside it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from yuqing.alerts.linking import Linker, linker_for
from yuqing.alerts.shortforms import enterprise_short
from yuqing.pipeline.core import orgregistry
from yuqing.pipeline.core.org import (
    LEVEL_NAMES,
    OrgTree,
    check_credit_code,
    hours_from_text,
    load_org,
    normalize_term,
)
from yuqing.pipeline.core.orgregistry import OrgError

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

#: field → the headers accepted for it (compared after :func:`_header_key`)
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("单位名称", "名称", "企业名称", "工会名称", "name", "unit_name"),
    "credit_code": ("统一社会信用代码", "信用代码", "社会信用代码", "credit_code", "uscc"),
    "parent": ("上级单位", "上级", "上级工会", "parent"),
    "address": ("地址", "注册地址", "单位地址", "address"),
    "aliases": ("别名", "简称", "aliases", "alias"),
    "contact_name": ("联系人", "值班员", "联系人姓名", "contact_name", "contact"),
    "contact_email": ("邮箱", "电子邮箱", "电子邮件", "email", "contact_email"),
    "contact_phone": ("电话", "联系电话", "手机", "手机号", "phone", "contact_phone"),
    "hours": ("值班时间", "在岗时间", "hours"),
    "id": ("单位id", "单位编号", "id", "unit_id"),
    "level": ("层级", "单位层级", "级别", "level"),
    "landmarks": ("地标", "landmarks"),
    "contact_role": ("职务", "联系人职务", "contact_role", "role"),
    "wecom": ("企业微信", "企业微信机器人", "wecom"),
    "dingtalk": ("钉钉", "钉钉机器人", "dingtalk"),
}
HEADER_LABELS = {f: names[0] for f, names in COLUMNS.items()}
UNIT_FIELDS = ("id", "name", "credit_code", "parent", "address", "aliases", "level", "landmarks")
OFFICER_FIELDS = ("contact_name", "contact_email", "contact_phone", "hours", "contact_role", "wecom", "dingtalk")
LEVEL_WORDS = {"企业": "enterprise", "企业工会": "enterprise", "enterprise": "enterprise", "社区": "community",
               "村": "community", "社区/村": "community", "社区(村)": "community", "community": "community",
               "街乡": "subdistrict", "街道": "subdistrict", "地区": "subdistrict", "乡": "subdistrict",
               "subdistrict": "subdistrict"}
_SPLIT = re.compile(r"[、;；,，|/\n]+")
_PHONE = re.compile(r"^[0-9+\-()（）\s转]{5,30}$")
_CODE = re.compile(r"^\d{6}(?:\d{3}){0,2}$")


class ImportFileError(ValueError):
    """The file cannot be read as a roster (format, encoding, no name column); says why."""


# --- reading --------------------------------------------------------------------------------------


def _header_key(text: str) -> str:
    return re.sub(r"[\s_\-（）()]+", "", unicodedata.normalize("NFKC", text).lower())


_HEADER_INDEX = {_header_key(h): f for f, names in COLUMNS.items() for h in names}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return unicodedata.normalize("NFKC", str(value)).strip()


def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(f"{name}：无法识别的文字编码（请另存为 UTF-8 或 GBK 的 CSV，或 .xlsx）")


def read_rows(data: bytes, filename: str) -> Iterator[tuple[int, list[str]]]:
    """``(row number as the spreadsheet shows it, cells)`` of every row of the file."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise ImportFileError(f"{filename}：不是有效的 .xlsx 文件（{exc}）") from None
        try:
            sheet = book.worksheets[0]
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, [_cell(v) for v in row]
        finally:
            book.close()
    elif suffix in (".csv", ".txt"):
        text = _decode(data, filename)
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
            yield number, [_cell(v) for v in row]
    elif suffix == ".xls":
        raise ImportFileError(f"{filename}：不支持旧版 .xls，请在 Excel/WPS 中另存为 .xlsx 或 CSV")
    else:
        raise ImportFileError(f"{filename}：只接受 .xlsx 或 .csv 文件")


def _column_letter(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


@dataclass
class Row:
    number: int
    values: dict[str, str]                       # field → cell (non-empty only)
    columns: dict[str, str]                      # field → column letter


@dataclass
class Sheet:
    rows: list[Row]
    header_row: int
    unknown: list[str]                           # headers not understood (ignored)
    fields: list[str]


def parse_sheet(data: bytes, filename: str) -> Sheet:
    it = read_rows(data, filename)
    header: list[str] | None = None
    header_row = 0
    rows: list[Row] = []
    mapping: dict[int, str] = {}
    unknown: list[str] = []
    for number, cells in it:
        if not any(cells) or (cells and cells[0].startswith("#")):
            continue
        if header is None:
            header, header_row = cells, number
            for i, h in enumerate(cells):
                if not h:
                    continue
                f = _HEADER_INDEX.get(_header_key(h))
                if f is None:
                    unknown.append(f"{_column_letter(i)} 列“{h}”")
                elif f in mapping.values():
                    raise ImportFileError(f"{filename}：第 {number} 行表头“{h}”与另一列重复（都表示 {HEADER_LABELS[f]}）")
                else:
                    mapping[i] = f
            if "name" not in mapping.values():
                raise ImportFileError(f"{filename}：第 {number} 行表头中没有“单位名称”（或 name）列；"
                                      f"可用表头见 config/org-import-template.csv")
            continue
        values, cols = {}, {}
        for i, f in mapping.items():
            if i < len(cells) and cells[i]:
                values[f], cols[f] = cells[i], _column_letter(i)
        for f, i in ((f, i) for i, f in mapping.items()):
            cols.setdefault(f, _column_letter(i))
        rows.append(Row(number, values, cols))
    if header is None:
        raise ImportFileError(f"{filename}：文件是空的")
    return Sheet(rows, header_row, unknown, sorted(set(mapping.values()), key=list(COLUMNS).index))


# --- the plan -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejection:
    row: int
    column: str          # letter, or "" for the whole row
    header: str          # the field's Chinese header
    reason: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" + (f" {self.column} 列（{self.header}）" if self.column else "")
        return f"{where}：{self.reason}"


@dataclass
class Planned:
    rows: list[int]
    unit_id: str
    record: dict[str, Any]
    before: dict[str, Any] | None = None         # None: new
    fields: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.record["name"]


@dataclass
class ImportPlan:
    filename: str
    digest: str
    version: int                                 # registry version the plan was made against
    new: list[Planned] = field(default_factory=list)
    changed: list[Planned] = field(default_factory=list)
    unchanged: list[Planned] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows: int = 0
    applied_version: int | None = None
    batch: str | None = None

    @property
    def ok(self) -> bool:
        return not self.rejected

    def summary(self) -> dict[str, int]:
        return {"rows": self.rows, "new": len(self.new), "changed": len(self.changed),
                "unchanged": len(self.unchanged), "rejected": len(self.rejected)}

    def as_dict(self) -> dict:
        def unit(p: Planned) -> dict:
            out = {"rows": p.rows, "unit_id": p.unit_id, "name": p.name, "parent": p.record.get("parent"),
                   "level": p.record.get("level")}
            if p.before is not None:
                out["changes"] = {f: {"before": p.before.get(f), "after": p.record.get(f)} for f in p.fields}
            return out
        return {"file": self.filename, "sha256": self.digest, "summary": self.summary(), "ok": self.ok,
                "new": [unit(p) for p in self.new], "changed": [unit(p) for p in self.changed],
                "unchanged": [{"rows": p.rows, "unit_id": p.unit_id, "name": p.name} for p in self.unchanged],
                "rejected": [{"row": r.row, "column": r.column, "header": r.header, "reason": r.reason}
                             for r in self.rejected],
                "warnings": self.warnings, "applied_version": self.applied_version, "batch": self.batch}


class _Reject(Exception):
    def __init__(self, row: Row, fld: str | None, reason: str):
        self.rejection = Rejection(row.number, row.columns.get(fld, "") if fld else "",
                                   HEADER_LABELS.get(fld, "") if fld else "", reason)


@dataclass
class _Index:
    """Lookups over the current hierarchy for resolving names, codes and parents."""

    org: OrgTree
    linker: Linker
    names: dict[str, list[str]]                  # normalised name/alias/short form → unit ids
    credit: dict[str, str]

    @classmethod
    def of(cls, org: OrgTree) -> _Index:
        linker = linker_for(org)
        names: dict[str, list[str]] = {}
        for unit in org.units.values():
            for term in (unit.name, *unit.aliases):
                names.setdefault(normalize_term(term), []).append(unit.id)
        for norm, entry in linker.entries.items():
            if entry.kind in ("short", "core") and len(entry.units) >= 1:
                for uid in entry.units:
                    if uid not in names.get(norm, []):
                        names.setdefault(norm, []).append(uid)
        credit = {u.credit_code: u.id for u in org.units.values() if u.credit_code}
        return cls(org, linker, names, credit)

    def by_name(self, text: str) -> list[str]:
        return list(dict.fromkeys(self.names.get(normalize_term(text), [])))


def _split_terms(text: str) -> list[str]:
    return [t.strip() for t in _SPLIT.split(text) if t.strip()]


def _group_key(row: Row) -> tuple:
    v = row.values
    if v.get("credit_code"):
        return ("credit", unicodedata.normalize("NFKC", v["credit_code"]).upper())
    if v.get("id"):
        return ("id", v["id"])
    return ("name", normalize_term(v.get("name", "")), normalize_term(v.get("parent", "")))


def _describe(org: OrgTree, uid: str) -> str:
    unit = org.get(uid)
    if unit is None:
        return uid
    parent = org.display_name(unit.parent) if unit.parent else ""
    return f"{unit.name}（{uid}{'，' + parent if parent else ''}）"


def _resolve_parent(idx: _Index, row: Row, text: str) -> str:
    org = idx.org
    text = text.strip()
    if text in org.units:
        return text
    if _CODE.match(text):
        unit = org.by_code(text)
        if unit is None:
            raise _Reject(row, "parent", f"区划代码 {text} 不在朝阳区的区划中（或该单位已撤销）")
        return unit.id
    found = [u for u in idx.by_name(text) if org.units[u].level != "enterprise"] or idx.by_name(text)
    if not found:
        raise _Reject(row, "parent", f"找不到上级单位“{text}”（可填单位ID、区划代码或单位名称）")
    if len(found) > 1:
        shown = "；".join(_describe(org, u) for u in found[:4])
        raise _Reject(row, "parent", f"“{text}”对应多个单位：{shown}。请改填单位ID或区划代码")
    return found[0]


def _parent_from_address(idx: _Index, row: Row, address: str) -> str:
    org = idx.org
    communities: list[tuple[str, ...]] = []
    streets: set[str] = set()
    for m in idx.linker.find(address):
        units = tuple(u for u in m.units if u in org.units)
        levels = {org.units[u].level for u in units}
        if levels == {"community"}:
            communities.append(units)
        elif levels == {"subdistrict"}:
            streets.update(units)
    single = {u[0] for u in communities if len(u) == 1}
    if len(single) == 1:
        return single.pop()
    if not single and communities:
        common = org.common_ancestor([u for group in communities for u in group])
        if common != org.root.id:
            return common
    if len(streets) == 1 and not single:
        return streets.pop()
    if len(single) > 1:
        shown = "、".join(org.display_name(u) for u in sorted(single))
        raise _Reject(row, "address", f"地址中有多个社区（{shown}），请填写上级单位")
    raise _Reject(row, "parent", "未填写上级单位，地址中也找不到朝阳区的社区（村）或街乡；请填写上级单位")


def _officer(row: Row) -> dict[str, Any] | None:
    v = row.values
    if not any(v.get(f) for f in OFFICER_FIELDS):
        return None
    if not v.get("contact_name"):
        fld = next(f for f in OFFICER_FIELDS if v.get(f))
        raise _Reject(row, "contact_name", f"填写了{HEADER_LABELS[fld]}，但没有联系人姓名")
    officer: dict[str, Any] = {"name": v["contact_name"]}
    if v.get("contact_role"):
        officer["role"] = v["contact_role"]
    if v.get("contact_email"):
        email = v["contact_email"]
        if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
            raise _Reject(row, "contact_email", f"邮箱格式不对：{email!r}")
        officer["email"] = email
    if v.get("contact_phone"):
        if not _PHONE.match(v["contact_phone"]):
            raise _Reject(row, "contact_phone", f"电话格式不对：{v['contact_phone']!r}")
        officer["phone"] = v["contact_phone"]
    for f in ("wecom", "dingtalk"):
        if v.get(f):
            if not re.match(r"^https?://\S+$", v[f]):
                raise _Reject(row, f, f"{HEADER_LABELS[f]}应为机器人的 http(s) 网址")
            officer[f] = v[f]
    try:
        officer["hours"] = hours_from_text(v.get("hours"))
    except ValueError as exc:
        raise _Reject(row, "hours", str(exc)) from None
    return officer


def _new_id(idx: _Index, rec: dict[str, Any], taken: set[str]) -> str:
    if rec.get("credit_code"):
        base = "qy-" + rec["credit_code"].lower()
    else:
        digest = hashlib.sha1(f"{normalize_term(rec['name'])}|{rec.get('parent')}".encode()).hexdigest()[:10]
        base = f"qy-{digest}"
    uid, n = base, 2
    while uid in idx.org.units or uid in idx.org.retired or uid in taken:
        uid, n = f"{base}-{n}", n + 1
    return uid


def _plan_unit(idx: _Index, rows: list[Row], scope: set[str] | None, taken: set[str]) -> Planned:
    """One unit from its rows: resolved, validated, compared with the registry."""
    org = idx.org
    first = rows[0]
    v = dict(first.values)
    for row in rows[1:]:
        for f in UNIT_FIELDS:
            if row.values.get(f) and v.get(f) and normalize_term(row.values[f]) != normalize_term(v[f]):
                raise _Reject(row, f, f"与第 {first.number} 行（同一单位）的{HEADER_LABELS[f]}不一致")
            if row.values.get(f) and not v.get(f):
                v[f] = row.values[f]
    if not v.get("name"):
        raise _Reject(first, "name", "单位名称为空")
    credit = None
    if v.get("credit_code"):
        try:
            credit = check_credit_code(v["credit_code"])
        except ValueError as exc:
            raise _Reject(first, "credit_code", str(exc)) from None
    level = None
    if v.get("level"):
        level = LEVEL_WORDS.get(_header_key(v["level"]))
        if level is None:
            raise _Reject(first, "level", f"无法识别的层级“{v['level']}”（企业、社区/村 或 街乡）")
    # which unit: by id, credit code, or name
    existing: str | None = None
    if v.get("id"):
        if v["id"] in org.units:
            existing = v["id"]
        elif v["id"] in org.retired:
            raise _Reject(first, "id", f"单位 {v['id']} 已撤销；请先在控制台恢复它")
    if existing is None and credit and credit in idx.credit:
        existing = idx.credit[credit]
    if existing is None and not v.get("id"):
        same = idx.by_name(v["name"])
        if level:
            same = [u for u in same if org.units[u].level == level]
        if credit:
            same = [u for u in same if not org.units[u].credit_code]
        if len(same) > 1 and v.get("parent"):
            parent = _resolve_parent(idx, first, v["parent"])
            same = [u for u in same if org.units[u].parent == parent]
        if len(same) > 1:
            shown = "；".join(_describe(org, u) for u in same[:4])
            raise _Reject(first, "name", f"“{v['name']}”对应多个已有单位：{shown}。请填写单位ID或上级单位")
        if same:
            existing = same[0]
    officers = []
    for row in rows:
        o = _officer(row)
        if o is not None:
            officers.append(o)
    cur = orgregistry.record_of(org.units[existing]) if existing else None
    if cur is not None:
        rec = dict(cur)
        if v.get("name") and normalize_term(v["name"]) != normalize_term(cur["name"]) and v.get("id"):
            rec["name"] = v["name"]
    else:
        rec = {"id": v.get("id"), "name": v["name"], "level": level or "enterprise", "parent": None,
               "aliases": [], "landmarks": [], "roster": [], "code": None, "credit_code": None, "address": None}
    if credit:
        if cur is not None and cur.get("credit_code") and cur["credit_code"] != credit:
            raise _Reject(first, "credit_code", f"{cur['name']} 的统一社会信用代码是 {cur['credit_code']}，与文件不同")
        rec["credit_code"] = credit
    if level and cur is not None and level != cur["level"]:
        raise _Reject(first, "level", f"{cur['name']} 是{LEVEL_NAMES[cur['level']]}，不能改为{LEVEL_NAMES[level]}")
    if v.get("address"):
        rec["address"] = v["address"]
    if v.get("parent"):
        parent = _resolve_parent(idx, first, v["parent"])
        if parent == existing:
            raise _Reject(first, "parent", "上级单位不能是它自己")
        rec["parent"] = parent
    elif cur is None:
        if not v.get("address"):
            raise _Reject(first, "parent", "未填写上级单位，也没有地址可据以确定上级")
        rec["parent"] = _parent_from_address(idx, first, v["address"])
    for f in ("aliases", "landmarks"):
        if v.get(f):
            rec[f] = list(dict.fromkeys([*rec[f], *_split_terms(v[f])]))
            short = [t for t in rec[f] if len(normalize_term(t)) < 2]
            if short:
                raise _Reject(first, f, f"“{short[0]}”太短（至少两个字）")
    if officers:
        rec["roster"] = officers
    parent = org.get(rec["parent"]) if rec.get("parent") else None
    if parent is not None and parent.level == "enterprise" and rec["level"] == "enterprise":
        raise _Reject(first, "parent", f"上级单位 {parent.name} 是企业工会；企业工会的上级应为社区（村）、街乡或行业工会")
    if scope is not None:
        if existing and existing not in scope:
            raise _Reject(first, "name", f"{_describe(org, existing)} 不在您管理的范围内")
        if rec.get("parent") and rec["parent"] not in scope:
            raise _Reject(first, "parent", f"上级单位 {_describe(org, rec['parent'])} 不在您管理的范围内")
    if cur is None:
        if rec.get("id"):
            if rec["id"] in taken:
                raise _Reject(first, "id", f"单位ID {rec['id']} 在文件中重复")
        else:
            rec["id"] = _new_id(idx, rec, taken)
    try:
        rec = orgregistry.validate_record(rec)
    except OrgError as exc:
        fld = next((f for f in ("id", "name", "aliases", "landmarks") if f in str(exc)), None)
        raise _Reject(first, fld, str(exc)) from None
    taken.add(rec["id"])
    numbers = [r.number for r in rows]
    if cur is None:
        return Planned(numbers, rec["id"], rec)
    fields = [f for f in orgregistry.FIELDS if cur.get(f) != rec.get(f)]
    return Planned(numbers, rec["id"], rec, cur, fields)


def plan_import(ctx: Context, data: bytes, filename: str, *, scope: Iterable[str] | None = None,
                org: OrgTree | None = None) -> ImportPlan:
    """Read ``data`` (the file's bytes) and compare it with the registry. Raises
    :class:`ImportFileError` when the file itself cannot be read."""
    org = org or load_org(ctx)
    sheet = parse_sheet(data, filename)
    plan = ImportPlan(Path(filename).name, hashlib.sha256(data).hexdigest(), org.version, rows=len(sheet.rows))
    if sheet.unknown:
        plan.warnings.append("忽略了无法识别的表头：" + "、".join(sheet.unknown))
    idx = _Index.of(org)
    scope_set = set(scope) if scope is not None else None
    groups: dict[tuple, list[Row]] = {}
    for row in sheet.rows:
        groups.setdefault(_group_key(row), []).append(row)
    taken: set[str] = set()
    seen_units: dict[str, int] = {}
    for rows in groups.values():
        try:
            planned = _plan_unit(idx, rows, scope_set, taken)
        except _Reject as exc:
            plan.rejected.append(exc.rejection)
            continue
        if planned.unit_id in seen_units:
            plan.rejected.append(Rejection(rows[0].number, "", "", f"与第 {seen_units[planned.unit_id]} 行是同一单位"
                                           f"（{planned.name}），但信用代码、单位ID或上级单位不同"))
            continue
        seen_units[planned.unit_id] = rows[0].number
        (plan.new if planned.before is None else plan.changed if planned.fields else plan.unchanged).append(planned)
    plan.rejected.sort(key=lambda r: (r.row, r.column))
    _warn_ambiguous_terms(plan, idx)
    return plan


def _warn_ambiguous_terms(plan: ImportPlan, idx: _Index) -> None:
    """New aliases that other units already use (they still link, resolved by context), and new
    enterprises whose short name is an existing unit's (perhaps the same union twice)."""
    for p in plan.new:
        short = enterprise_short(p.name)
        others = [u for u in idx.by_name(short) if u != p.unit_id] if short != p.name else []
        if others:
            plan.warnings.append(f"第 {p.rows[0]} 行 {p.name} 可能与已有单位 {_describe(idx.org, others[0])} 重复："
                                 "如是同一单位，请填写其单位ID")
    for p in [*plan.new, *plan.changed]:
        for term in p.record.get("aliases", []):
            others = [u for u in idx.by_name(term) if u != p.unit_id]
            if others:
                plan.warnings.append(f"第 {p.rows[0]} 行 {p.name} 的别名“{term}”也属于 "
                                     f"{'、'.join(idx.org.display_name(u) for u in others[:3])}：关联时将按上下文判断")
                break


def apply_plan(ctx: Context, plan: ImportPlan, *, by: str) -> ImportPlan:
    """Write a plan without rejected rows in one transaction; no-op when nothing changes. Raises
    :class:`OrgError` when the plan has rejected rows or the registry changed since it was made."""
    if not plan.ok:
        raise OrgError(f"{plan.filename} 有 {len(plan.rejected)} 行被拒绝，未导入任何内容")
    if not plan.new and not plan.changed:
        plan.applied_version = plan.version
        return plan
    note = f"导入 {plan.filename}（sha256 {plan.digest[:12]}）"
    with orgregistry.write(ctx, by=by, via="import", batch=f"import-{plan.digest[:12]}-{plan.version}") as w:
        if orgregistry.current_version(w.conn) != plan.version:
            raise OrgError("组织库在预览之后已被修改，请重新预览后再导入")
        for p in plan.new:
            w.add(p.record, source="import", note=f"{note} 第 {p.rows[0]} 行")
        for p in plan.changed:
            w.update(p.unit_id, p.record, note=f"{note} 第 {p.rows[0]} 行")
        plan.batch = w.batch
    plan.applied_version = orgregistry.current_version_of(ctx)
    return plan
