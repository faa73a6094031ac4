"""The org registry: the union hierarchy kept in the state database, versioned and audited.

Data flow
---------
::

    config/org.yaml ─┐ (bootstrap, later edits applied as their difference)
    shipped divisions ┼─► org_units / org_shared / org_registry ──read_tree──► OrgTree (cached by
    import, console ─┘        │ every change: one transaction,            version in org.load_org)
                              └ org_changes row(s), version + 1

* **Bootstrap** (:func:`sync`): on first use the registry takes ``org.yaml`` and the shipped
  official divisions (:mod:`yuqing.pipeline.core.divisions`). YAML units are matched to divisions
  (an explicit ``code``, else the name within the parent 街乡), so the hand-written 街乡 and
  communities keep their ids, aliases and rosters and gain their codes and official names; every
  division not in the YAML is added (``sq-<code>``). Later, an edited ``org.yaml`` is applied as
  the difference to the file last applied (its parsed content is kept in ``org_registry``): units
  the edit changed or added take the file's definition, units it removed are retired, the rest —
  including everything changed in the console or imported — is left alone. A release shipping
  newer divisions adds the new codes the same way.
* **Changes** go through :func:`write` (a :class:`Writer` in one transaction): each unit change
  is compared with the unit as stored (no change, no row), written with a row in ``org_changes``
  (who, when, via, before, after), the whole resulting tree is checked (parents active, levels,
  no cycles, codes unique) and the registry's ``version`` is raised once. Anything wrong raises
  :class:`OrgError` and nothing is written. Units are never deleted: :meth:`Writer.retire` marks
  them (a unit with active children cannot be retired), :meth:`Writer.restore` brings them back.
* **Reading** (:func:`read_tree`): all active units in display order, built without re-validating
  (what is stored was validated when written); ~0.1 s for 10,000 units (``bench/org_registry.py``).
* **Suggestions** (:func:`propose_term`): alias/landmark proposals for an admin to accept or reject
  (:func:`decide_proposal`); accepting adds the term through a normal audited change.
"""

from __future__ import annotations

import gc
import hashlib
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from yuqing.pipeline.core.config import ConfigError, load_yaml_model
from yuqing.pipeline.core.divisions import (
    Division,
    communities_by_core,
    display_name,
    divisions_digest,
    load_divisions,
    name_core,
)
from yuqing.pipeline.core.orgdb import (
    OrgChangeRow,
    OrgRegistryRow,
    OrgSharedRow,
    OrgTermProposalRow,
    OrgUnitRow,
)
from yuqing.pipeline.core.orgmodel import (
    LEVELS,
    ORG_FILE,
    Officer,
    OrgFile,
    OrgTree,
    SharedTerm,
    Unit,
    normalize_term,
)
from yuqing.pipeline.core.statedb import ensure_schema
from yuqing.pipeline.core.timeutil import now_utc, utc

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

UNITS, CHANGES, SHARED, REGISTRY, PROPOSALS = (OrgUnitRow.__table__, OrgChangeRow.__table__, OrgSharedRow.__table__,
                                               OrgRegistryRow.__table__, OrgTermProposalRow.__table__)
#: how a change reached the registry
VIAS = ("yaml", "divisions", "import", "console", "cli", "review")
TERM_KINDS = ("alias", "landmark")
#: the fields of a unit record, as stored and as compared
FIELDS = ("id", "code", "credit_code", "name", "level", "parent", "aliases", "landmarks", "address", "roster")
DIVISION_POSITION = 100_000   # divisions come after the YAML's units among their siblings
IMPORT_POSITION = 1_000_000   # imported units after both


class OrgError(ValueError):
    """A change the registry refuses; the message says which unit and why (Chinese)."""


# --- records: a unit as a plain dict -------------------------------------------------------------


def record_of(unit: Unit) -> dict[str, Any]:
    """The stored form of a unit (lists, officers as dicts without empty contacts)."""
    return {"id": unit.id, "code": unit.code, "credit_code": unit.credit_code, "name": unit.name,
            "level": unit.level, "parent": unit.parent, "aliases": list(unit.aliases),
            "landmarks": list(unit.landmarks), "address": unit.address,
            "roster": [o.model_dump(exclude_none=True, exclude_defaults=False) for o in unit.roster]}


def validate_record(rec: dict[str, Any]) -> dict[str, Any]:
    """The record through the :class:`Unit` model (field types, id, codes, officers' contacts and
    hours); :class:`OrgError` naming the unit and the field."""
    try:
        unit = Unit.model_validate({k: v for k, v in rec.items() if k in FIELDS and v is not None})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise OrgError(f"单位 {rec.get('name') or rec.get('id')!r} 的 {where} 无效：{err['msg']}") from None
    return record_of(unit)


def _row_record(row) -> dict[str, Any]:
    return {"id": row.id, "code": row.code, "credit_code": row.credit_code, "name": row.name, "level": row.level,
            "parent": row.parent_id, "aliases": list(row.aliases or []), "landmarks": list(row.landmarks or []),
            "address": row.address, "roster": list(row.roster or [])}


def _unit_from_row(row) -> Unit:
    """A :class:`Unit` from a stored row, without validation (rows were validated when written)."""
    return _construct(Unit, {
        "id": row.id, "name": row.name, "level": row.level, "parent": row.parent_id, "code": row.code,
        "credit_code": row.credit_code, "aliases": tuple(row.aliases or ()), "landmarks": tuple(row.landmarks or ()),
        "address": row.address,
        "roster": tuple(_construct(Officer, {**_OFFICER_DEFAULTS, **o}) for o in (row.roster or ()))})


def _construct(cls, values: dict):
    """What pydantic's ``model_construct`` does for a complete set of fields, without its per-field
    bookkeeping (ten times faster: reading 10,000 units is dominated by it otherwise)."""
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


_OFFICER_DEFAULTS = {k: f.default for k, f in Officer.model_fields.items() if k != "name"}


# --- the registry's state and reading ------------------------------------------------------------


@dataclass(frozen=True)
class RegistryState:
    version: int
    yaml_digest: str
    divisions_digest: str


def state(engine: Engine) -> RegistryState:
    """Version and digests in one cheap query (what :func:`yuqing.pipeline.core.org.load_org` asks on
    every call); ``version`` 0 means never written."""
    with engine.connect() as conn:
        row = conn.execute(select(REGISTRY.c.version, REGISTRY.c.yaml_digest, REGISTRY.c.divisions_digest)
                           .where(REGISTRY.c.id == 1)).first()
    if row is None:
        return RegistryState(0, "", "")
    return RegistryState(row.version, row.yaml_digest, row.divisions_digest)


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while tens of thousands of small objects are made (the
    collector would walk them all again and again; it halves the time to read 10,000 units)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_tree(engine: Engine, source: str = "registry") -> OrgTree:
    """The active hierarchy (and the retired units, for their names) as an :class:`OrgTree`."""
    with engine.connect() as conn:
        reg = conn.execute(select(REGISTRY).where(REGISTRY.c.id == 1)).first()
        with paused_gc():
            rows = conn.execute(select(UNITS).order_by(UNITS.c.position, UNITS.c.id)).all()
        shared = conn.execute(select(SHARED).order_by(SHARED.c.term)).all()
    with paused_gc():
        active = {r.id: _unit_from_row(r) for r in rows if r.status == "active"}
        retired = {r.id: _unit_from_row(r) for r in rows if r.status != "active"}
    roots = [u for u in active.values() if u.level == "district"]
    if len(roots) != 1:
        raise ConfigError(source, "units", f"the registry holds {len(roots)} active districts (exactly one needed)")
    admins = tuple(Officer.model_validate(a) for a in (reg.admins if reg else []))
    shared_terms = [SharedTerm.model_construct(term=s.term, units=tuple(u for u in s.units if u in active),
                                               note=s.note) for s in shared]
    return OrgTree(root=roots[0], units=active, admins=admins,
                   shared=[s for s in shared_terms if len(s.units) >= 2], source=source, retired=retired,
                   version=reg.version if reg else 0)


def all_records(conn: Connection) -> dict[str, dict[str, Any]]:
    """Every stored unit (active or not) as a record plus ``status`` and ``position``."""
    out = {}
    for row in conn.execute(select(UNITS)).all():
        rec = _row_record(row)
        rec["status"], rec["position"], rec["source"] = row.status, row.position, row.source
        rec["retired_at"] = row.retired_at
        out[row.id] = rec
    return out


# --- writing -------------------------------------------------------------------------------------


def _plain(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: rec.get(k) for k in FIELDS}


@dataclass
class Writer:
    """Changes inside one transaction (use :func:`write`). Every method compares with the unit as
    stored and does nothing when nothing changes; :attr:`changes` counts what did."""

    conn: Connection
    by: str
    via: str
    batch: str
    records: dict[str, dict[str, Any]]
    at: datetime = field(default_factory=now_utc)
    log: list[dict[str, Any]] = field(default_factory=list)
    _inserts: list[dict] = field(default_factory=list)
    _updates: dict[str, dict] = field(default_factory=dict)
    meta_changed: bool = False
    _positions: dict[str | None, int] | None = None

    @property
    def changes(self) -> int:
        return len(self.log) + int(self.meta_changed)

    def _note(self, action: str, unit_id: str, before: dict | None, after: dict | None, note: str = "") -> None:
        self.log.append({"at": self.at, "by": self.by[:100], "via": self.via, "action": action, "unit_id": unit_id,
                         "batch": self.batch, "before": before, "after": after, "note": note[:2000]})

    def next_position(self, parent: str | None, base: int = 0) -> int:
        """A position after every sibling under ``parent`` (and at least ``base``)."""
        if self._positions is None:
            self._positions = {}
            for r in self.records.values():
                key = r.get("parent")
                self._positions[key] = max(self._positions.get(key, -1), r["position"])
        pos = max(base, self._positions.get(parent, -1) + 1)
        self._positions[parent] = pos
        return pos

    def add(self, rec: dict[str, Any], *, source: str | None = None, position: int | None = None,
            note: str = "") -> str:
        """A new unit (``rec`` validated); an existing id is an error."""
        rec = validate_record(rec)
        if rec["id"] in self.records:
            raise OrgError(f"单位 ID {rec['id']!r} 已存在（{self.records[rec['id']]['name']}）")
        pos = self.next_position(rec["parent"], IMPORT_POSITION if self.via == "import" else 0) \
            if position is None else position
        stored = {**rec, "status": "active", "position": pos, "source": source or self.via}
        self.records[rec["id"]] = stored
        self._inserts.append(stored)
        self._note("add", rec["id"], None, _plain(rec), note)
        return rec["id"]

    def update(self, unit_id: str, changes: dict[str, Any], *, action: str = "update", note: str = "") -> bool:
        """Change some fields of a unit (active or retired); False when they are already so."""
        cur = self._get(unit_id)
        new = validate_record({**_plain(cur), **changes, "id": unit_id})
        if new == _plain(cur):
            return False
        before = _plain(cur)
        cur.update(new)
        self._updates.setdefault(unit_id, {}).update(new)
        if action == "update":
            action = _action_for(before, new)
        self._note(action, unit_id, before, new, note)
        return True

    def retire(self, unit_id: str, note: str = "") -> bool:
        cur = self._get(unit_id)
        if cur["status"] != "active":
            return False
        children = [r["name"] for r in self.records.values() if r.get("parent") == unit_id and r["status"] == "active"]
        if children:
            shown = "、".join(children[:5]) + ("等" if len(children) > 5 else "")
            raise OrgError(f"{cur['name']} 还有 {len(children)} 个下级单位（{shown}），请先移走或撤销它们")
        if cur["level"] == "district":
            raise OrgError("区总工会不能撤销")
        cur["status"] = "retired"
        self._updates.setdefault(unit_id, {})["status"] = "retired"
        self._updates[unit_id]["retired_at"] = self.at
        self._note("retire", unit_id, _plain(cur), None, note)
        return True

    def restore(self, unit_id: str, note: str = "") -> bool:
        cur = self._get(unit_id)
        if cur["status"] == "active":
            return False
        cur["status"] = "active"
        self._updates.setdefault(unit_id, {}).update(status="active", retired_at=None)
        self._note("restore", unit_id, None, _plain(cur), note)
        return True

    def set_meta(self, *, admins: list[dict] | None = None, shared: list[dict] | None = None) -> None:
        """Replace the system admins and/or the shared terms (from org.yaml)."""
        if admins is not None:
            self.conn.execute(update(REGISTRY).where(REGISTRY.c.id == 1).values(admins=admins))
            self.meta_changed = True
        if shared is not None:
            self.conn.execute(SHARED.delete())
            if shared:
                self.conn.execute(insert(SHARED), [{"term": s["term"], "units": list(s["units"]),
                                                   "note": s.get("note", "")} for s in shared])
            self.meta_changed = True

    def _get(self, unit_id: str) -> dict[str, Any]:
        if unit_id not in self.records:
            raise OrgError(f"没有单位 {unit_id!r}")
        return self.records[unit_id]

    def flush(self) -> int:
        """Check the resulting tree and write everything; returns the new version (unchanged when
        nothing changed)."""
        if not self.changes:
            return current_version(self.conn)
        check_records(self.records)
        now = self.at
        if self._inserts:
            self.conn.execute(insert(UNITS), [_row_values(r, now, created=True) for r in self._inserts])
        inserted = {r["id"] for r in self._inserts}
        rows = []
        for uid in self._updates:
            if uid in inserted:
                continue
            values = _row_values(self.records[uid], now, created=False)
            values["retired_at"] = self._updates[uid].get("retired_at", self.records[uid].get("retired_at"))
            rows.append({"b_id": uid, **{f"v_{k}": v for k, v in values.items() if k != "id"}})
        if rows:   # one statement, executed for every changed unit
            cols = [k[2:] for k in rows[0] if k.startswith("v_")]
            self.conn.execute(update(UNITS).where(UNITS.c.id == bindparam("b_id"))
                              .values({c: bindparam(f"v_{c}") for c in cols}), rows)
        self.conn.execute(update(REGISTRY).where(REGISTRY.c.id == 1)
                          .values(version=REGISTRY.c.version + 1, updated_at=now))
        version = current_version(self.conn)
        if self.log:
            self.conn.execute(insert(CHANGES), [{**e, "version": version} for e in self.log])
        self._inserts.clear()
        self._updates.clear()
        return version


def _action_for(before: dict, after: dict) -> str:
    changed = {k for k in FIELDS if before.get(k) != after.get(k)}
    if changed == {"parent"}:
        return "move"
    if changed == {"name"}:
        return "rename"
    if changed == {"roster"}:
        return "roster"
    if changed <= {"aliases", "landmarks"}:
        return "terms"
    return "update"


def _row_values(rec: dict, now: datetime, created: bool) -> dict:
    out = {"id": rec["id"], "code": rec.get("code"), "credit_code": rec.get("credit_code"), "name": rec["name"],
           "level": rec["level"], "parent_id": rec.get("parent"), "aliases": list(rec.get("aliases") or []),
           "landmarks": list(rec.get("landmarks") or []), "address": rec.get("address"),
           "roster": list(rec.get("roster") or []), "position": rec.get("position", 0),
           "status": rec.get("status", "active"), "source": rec.get("source", "console"), "updated_at": now,
           "retired_at": None}
    if created:
        out["created_at"] = now
    return out


def current_version_of(ctx: Context) -> int:
    """The registry's version now (0: never written)."""
    return state(ensure_schema(ctx)).version


def current_version(conn: Connection) -> int:
    return conn.execute(select(REGISTRY.c.version).where(REGISTRY.c.id == 1)).scalar_one()


def check_records(records: dict[str, dict[str, Any]]) -> None:
    """The active units form one valid tree: one district, known active parents, each unit a level
    below its parent, no cycles, codes and credit codes unique among active units."""
    active = {uid: r for uid, r in records.items() if r["status"] == "active"}
    districts = [r for r in active.values() if r["level"] == "district"]
    if len(districts) != 1:
        raise OrgError(f"组织体系须有且只有一个区级单位（现有 {len(districts)} 个）")
    seen: dict[tuple[str, str], str] = {}
    for uid, r in active.items():
        for attr in ("code", "credit_code"):
            if r.get(attr):
                other = seen.setdefault((attr, r[attr]), uid)
                if other != uid:
                    what = "区划代码" if attr == "code" else "统一社会信用代码"
                    raise OrgError(f"{what} {r[attr]} 同时属于 {active[other]['name']} 和 {r['name']}")
        parent = r.get("parent")
        if r["level"] == "district":
            if parent is not None:
                raise OrgError(f"区级单位 {r['name']} 不能有上级")
            continue
        if parent is None:
            raise OrgError(f"{r['name']} 缺少上级单位")
        if parent not in active:
            state_ = "已撤销" if parent in records else "不存在"
            raise OrgError(f"{r['name']} 的上级单位 {parent} {state_}")
        if LEVELS.index(r["level"]) <= LEVELS.index(active[parent]["level"]):
            raise OrgError(f"{r['name']}（{r['level']}）不能隶属于同级或下级的 {active[parent]['name']}（{active[parent]['level']}）")
    for uid in active:
        path, cur = [uid], active[uid].get("parent")
        while cur is not None:
            if cur in path:
                raise OrgError("上级关系成环：" + " → ".join(active[x]["name"] for x in [*path, cur]))
            path.append(cur)
            cur = active[cur].get("parent")


@contextmanager
def write(ctx: Context, *, by: str, via: str, batch: str | None = None) -> Iterator[Writer]:
    """A :class:`Writer` in one transaction that holds the registry's write lock; committed (with
    the version raised once) when the block ends without an exception."""
    if via not in VIAS:
        raise ValueError(f"unknown via {via!r}")
    engine = ensure_schema(ctx)
    with engine.begin() as conn:
        _lock(conn)
        w = Writer(conn, by or "-", via, batch or uuid.uuid4().hex[:16], all_records(conn))
        yield w
        w.flush()


def _lock(conn: Connection) -> None:
    """Take the registry's write lock first (SQLite: the database write lock; PostgreSQL: the row)."""
    done = conn.execute(update(REGISTRY).where(REGISTRY.c.id == 1).values(version=REGISTRY.c.version))
    if done.rowcount == 0:
        conn.execute(insert(REGISTRY).values(id=1, version=0, admins=[], yaml_digest="", yaml_snapshot={},
                                             divisions_digest="", updated_at=now_utc()))
    if conn.dialect.name == "postgresql":
        conn.execute(select(REGISTRY.c.id).where(REGISTRY.c.id == 1).with_for_update())


# --- bootstrap and sync from org.yaml and the divisions -------------------------------------------


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sync(ctx: Context, yaml_path: Path | None) -> bool:
    """Bring the registry up to date with ``yaml_path`` (org.yaml) and the shipped divisions:
    bootstrap an empty registry, or apply what changed since last time. Returns whether anything
    was written. A broken org.yaml raises :class:`ConfigError` (file, key, reason)."""
    model = digest = None
    if yaml_path is not None and yaml_path.exists():
        digest = file_digest(yaml_path)
        model = _read_yaml(yaml_path, digest)
    with write(ctx, by=ORG_FILE, via="yaml", batch=f"sync-{uuid.uuid4().hex[:10]}") as w:
        if not w.records and model is None:
            raise ConfigError(yaml_path or ORG_FILE, "", "file not found (the union hierarchy is required)")
        reg = w.conn.execute(select(REGISTRY).where(REGISTRY.c.id == 1)).first()
        changed = False
        if model is not None and digest != reg.yaml_digest:
            snapshot = _apply_yaml(w, model, dict(reg.yaml_snapshot or {}))
            w.conn.execute(update(REGISTRY).where(REGISTRY.c.id == 1)
                           .values(yaml_digest=digest, yaml_snapshot=snapshot))
            changed = True
        if reg.divisions_digest != divisions_digest():
            w.via = "divisions"
            _apply_divisions(w)
            w.conn.execute(update(REGISTRY).where(REGISTRY.c.id == 1).values(divisions_digest=divisions_digest()))
            changed = True
    return changed


@lru_cache(maxsize=8)
def _read_yaml(path: Path, digest: str) -> OrgFile:
    """org.yaml parsed and checked (structure, terms) — once per content per process."""
    model = load_yaml_model(path.parent, path.name, OrgFile)
    OrgTree.from_file_model(model, path)
    return model


def _yaml_record(unit: Unit) -> dict[str, Any]:
    return record_of(unit)


def _apply_yaml(w: Writer, model: OrgFile, snapshot: dict) -> dict:
    """Apply org.yaml against the snapshot of the file last applied; returns the new snapshot."""
    old_units: dict[str, dict] = snapshot.get("units", {})
    new_units = {u.id: _yaml_record(u) for u in model.units}
    matches = _match_divisions(model)
    for pos, unit in enumerate(model.units):
        rec = dict(new_units[unit.id])
        if old_units.get(unit.id) == rec and unit.id in w.records:
            continue
        division = matches.get(unit.id)
        stored = w.records.get(unit.id)
        if division is None and not rec.get("code") and stored is not None and stored.get("code"):
            division = _division_by_code().get(stored["code"])   # renamed in the file: still the same division
        if division is not None and not rec.get("code"):
            rec["code"] = division.code
        if division is not None and division.name not in rec["aliases"] and division.name != rec["name"]:
            rec["aliases"] = [*rec["aliases"], division.name]
        if stored is None:
            _free_code(w, rec.get("code"), unit.id)
            w.add(rec, source="yaml", position=pos)
        else:
            if stored["status"] != "active":
                w.restore(unit.id, note="org.yaml 中重新列出")
            _free_code(w, rec.get("code"), unit.id)
            w.update(unit.id, rec, note="org.yaml 已修改")
            w.records[unit.id]["position"] = pos
            w._updates.setdefault(unit.id, {})["position"] = pos
    for uid in old_units.keys() - new_units.keys():
        if uid in w.records and w.records[uid]["status"] == "active":
            if any(r.get("parent") == uid and r["status"] == "active" for r in w.records.values()):
                continue   # still has children (imported or added later): kept, an admin decides
            w.retire(uid, note="已从 org.yaml 删除")
    admins = [a.model_dump(exclude_none=True) for a in model.admins]
    shared = [s.model_dump() for s in model.shared]
    if snapshot.get("admins") != admins or not snapshot:
        w.set_meta(admins=admins)
    if snapshot.get("shared") != shared or not snapshot:
        w.set_meta(shared=shared)
    return {"units": new_units, "admins": admins, "shared": shared}


def _free_code(w: Writer, code: str | None, unit_id: str) -> None:
    """A YAML unit taking a division code: the division's own unit (added from the shipped list
    before the YAML named it) is retired into it — its children move over."""
    if not code:
        return
    for uid, r in list(w.records.items()):
        if uid != unit_id and r.get("code") == code and r["status"] == "active" and r.get("source") == "divisions":
            for cid, c in list(w.records.items()):
                if c.get("parent") == uid and c["status"] == "active":
                    w.update(cid, {"parent": unit_id}, note=f"随区划 {code} 并入 {unit_id}")
            w.update(uid, {"code": None})
            w.retire(uid, note=f"org.yaml 的 {unit_id} 对应同一区划 {code}")


@lru_cache(maxsize=1)
def _division_by_code() -> dict[str, Division]:
    return {d.code: d for d in load_divisions()}


def _match_divisions(model: OrgFile) -> dict[str, Division]:
    """YAML unit id → the official division it is: an explicit ``code``, else the district by its
    level, a 街乡 by its name (``朝外街道总工会`` ↔ ``朝外街道``), a community by its name's core
    within its 街乡 (preferring the same kind, 社区 or 村)."""
    divisions = load_divisions()
    by_code = {d.code: d for d in divisions}
    out: dict[str, Division] = {}
    streets = {d.name: d for d in divisions if d.level == "subdistrict"}
    for unit in model.units:
        if unit.code:
            if unit.code in by_code:
                out[unit.id] = by_code[unit.code]
            continue
        if unit.level == "district":
            out[unit.id] = divisions[0]
        elif unit.level == "subdistrict":
            for name in (unit.name.removesuffix("总工会").removesuffix("工会"), *unit.aliases):
                if name in streets:
                    out[unit.id] = streets[name]
                    break
    for unit in model.units:
        if unit.level != "community" or unit.id in out or unit.code:
            continue
        street = out.get(unit.parent or "")
        core, village = name_core(unit.name)
        found = [d for d in communities_by_core().get(core, ()) if street is None or d.parent_code == street.code]
        if len(found) > 1:
            found = [d for d in found if d.is_village == village] or found
        if len(found) == 1:
            out[unit.id] = found[0]
    return out


def _apply_divisions(w: Writer) -> None:
    """Every shipped division has an active unit: the one carrying its code, else a new one
    (``sq-<code>`` / ``jx-<code>``) under the unit of its parent code. Names of existing units are
    the union's; a changed official name is added to the aliases."""
    by_code = {r["code"]: uid for uid, r in w.records.items() if r.get("code") and r["status"] == "active"}
    for i, d in enumerate(load_divisions()):
        uid = by_code.get(d.code)
        if uid is not None:
            rec = w.records[uid]
            if d.name != rec["name"] and d.name not in rec["aliases"]:
                w.update(uid, {"aliases": [*rec["aliases"], d.name]}, note="官方区划名称")
            continue
        parent = by_code.get(d.parent_code or "")
        if d.level != "district" and parent is None:
            raise OrgError(f"区划 {d.code} {d.name} 的上级 {d.parent_code} 没有对应单位")
        new_id = ("sq-" if d.level == "community" else "jx-") + d.code
        if d.level == "district":
            new_id = "chaoyang"
        if new_id in w.records:
            w.restore(new_id)
            w.update(new_id, {"code": d.code, "parent": parent})
        else:
            w.add({"id": new_id, "code": d.code, "name": display_name(d.name), "level": d.level,
                   "parent": parent, "aliases": [d.name] if display_name(d.name) != d.name else []},
                  source="divisions", position=DIVISION_POSITION + i)
        by_code[d.code] = new_id


# --- history -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    id: int
    at: datetime
    by: str
    via: str
    action: str
    unit_id: str
    version: int
    batch: str | None
    before: dict | None
    after: dict | None
    note: str

    def fields_changed(self) -> list[str]:
        if self.before is None or self.after is None:
            return []
        return [k for k in FIELDS if self.before.get(k) != self.after.get(k)]


def history(ctx: Context, *, unit_id: str | None = None, units: Iterable[str] | None = None,
            batch: str | None = None, limit: int = 200) -> list[Change]:
    """Changes newest first, of one unit, of a set of units, or of one batch."""
    engine = ensure_schema(ctx)
    q = select(CHANGES).order_by(CHANGES.c.id.desc())
    if unit_id is not None:
        q = q.where(CHANGES.c.unit_id == unit_id)
    if batch is not None:
        q = q.where(CHANGES.c.batch == batch)
    with engine.connect() as conn:
        if units is not None:
            wanted = set(units)
            rows = [r for r in conn.execute(q.limit(limit * 20)).all() if r.unit_id in wanted][:limit]
        else:
            rows = conn.execute(q.limit(limit)).all()
    return [Change(r.id, utc(r.at), r.by, r.via, r.action, r.unit_id, r.version, r.batch, r.before, r.after, r.note)
            for r in rows]


# --- alias and landmark suggestions ----------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    id: int
    unit_id: str
    term: str
    kind: str
    source: str
    proposed_by: str
    evidence: list
    count: int
    status: str
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    note: str


def propose_term(ctx: Context, unit_id: str, term: str, kind: str, *, source: str, by: str,
                 evidence: dict | str | None = None) -> int:
    """Suggest ``term`` as an alias or landmark (``kind``) of ``unit_id`` for an admin's review.

    ``source`` says where it comes from (e.g. ``"correction"`` for an analyst's unit correction,
    ``"console"``), ``by`` who or what proposed it, ``evidence`` an optional post id, text or dict
    kept with it. The same pending (unit, term, kind) is proposed once: a repeat adds its evidence
    and raises the count. Returns the proposal's id. Raises :class:`OrgError` for an unknown or
    retired unit, an unknown kind, or a term shorter than two characters or already the unit's.
    """
    term = " ".join(term.split())
    if kind not in TERM_KINDS:
        raise OrgError(f"未知的词条类型 {kind!r}（alias 或 landmark）")
    if len(normalize_term(term)) < 2 or len(term) > 100:
        raise OrgError(f"词条 {term!r} 长度须为 2–100 个字符")
    engine = ensure_schema(ctx)
    now = now_utc()
    item = evidence if isinstance(evidence, dict) else ({"text": evidence} if evidence else None)
    with engine.begin() as conn:
        unit = conn.execute(select(UNITS).where(UNITS.c.id == unit_id)).first()
        if unit is None or unit.status != "active":
            raise OrgError(f"没有在用的单位 {unit_id!r}")
        norm = normalize_term(term)
        if norm in {normalize_term(t) for t in [unit.name, *(unit.aliases or []), *(unit.landmarks or [])]}:
            raise OrgError(f"“{term}”已是 {unit.name} 的名称、别名或地标")
        row = conn.execute(select(PROPOSALS).where(PROPOSALS.c.unit_id == unit_id, PROPOSALS.c.term == term,
                                                   PROPOSALS.c.kind == kind, PROPOSALS.c.status == "pending")).first()
        if row is not None:
            ev = list(row.evidence or [])
            if item is not None and len(ev) < 50:
                ev.append({**item, "by": by, "at": now.isoformat()})
            conn.execute(update(PROPOSALS).where(PROPOSALS.c.id == row.id)
                         .values(count=row.count + 1, evidence=ev, updated_at=now))
            return row.id
        ev = [{**item, "by": by, "at": now.isoformat()}] if item is not None else []
        return conn.execute(insert(PROPOSALS).values(
            unit_id=unit_id, term=term, kind=kind, source=source[:50], proposed_by=by[:100], evidence=ev, count=1,
            status="pending", created_at=now, updated_at=now, note="")).inserted_primary_key[0]


def _proposal(r) -> Proposal:
    return Proposal(r.id, r.unit_id, r.term, r.kind, r.source, r.proposed_by, list(r.evidence or []), r.count,
                    r.status, utc(r.created_at), utc(r.updated_at), utc(r.decided_at), r.decided_by, r.note)


def proposals(ctx: Context, *, status: str | None = "pending", units: Iterable[str] | None = None,
              limit: int = 500) -> list[Proposal]:
    """Suggestions, most often proposed first; of one status, of a set of units."""
    engine = ensure_schema(ctx)
    q = select(PROPOSALS).order_by(PROPOSALS.c.count.desc(), PROPOSALS.c.id.desc())
    if status:
        q = q.where(PROPOSALS.c.status == status)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    wanted = set(units) if units is not None else None
    return [_proposal(r) for r in rows if wanted is None or r.unit_id in wanted][:limit]


def get_proposal(ctx: Context, proposal_id: int) -> Proposal | None:
    with ensure_schema(ctx).connect() as conn:
        row = conn.execute(select(PROPOSALS).where(PROPOSALS.c.id == proposal_id)).first()
    return _proposal(row) if row is not None else None


def decide_proposal(ctx: Context, proposal_id: int, accept: bool, *, by: str, note: str = "",
                    term: str | None = None) -> Proposal:
    """Accept (the term is added to the unit, an audited change) or reject a pending proposal.
    ``term`` may correct the wording when accepting."""
    with write(ctx, by=by, via="review") as w:
        row = w.conn.execute(select(PROPOSALS).where(PROPOSALS.c.id == proposal_id)).first()
        if row is None:
            raise OrgError(f"没有建议 #{proposal_id}")
        if row.status != "pending":
            raise OrgError(f"建议 #{proposal_id} 已处理（{row.status}）")
        if accept:
            unit = w.records.get(row.unit_id)
            if unit is None or unit.get("status") != "active":
                raise OrgError(f"单位 {row.unit_id} 已不在用，不能采纳")
            field_ = "aliases" if row.kind == "alias" else "landmarks"
            value = " ".join((term or row.term).split())
            if value not in unit[field_]:
                w.update(row.unit_id, {field_: [*unit[field_], value]}, action="terms",
                         note=f"采纳建议 #{proposal_id}（{row.source}）" + (f"：{note}" if note else ""))
        w.conn.execute(update(PROPOSALS).where(PROPOSALS.c.id == proposal_id).values(
            status="accepted" if accept else "rejected", decided_at=now_utc(), decided_by=by[:100],
            note=note[:2000], updated_at=now_utc()))
    found = get_proposal(ctx, proposal_id)
    assert found is not None
    return found


# --- export --------------------------------------------------------------------------------------


def export_file(tree: OrgTree) -> dict[str, Any]:
    """The active registry as an ``org.yaml`` document (units in display order, codes included)."""
    units = []
    for _depth, unit in tree.walk():
        units.append({k: v for k, v in record_of(unit).items() if v not in (None, [], ())} | {"id": unit.id})
    ordered = [{k: u[k] for k in ("id", "code", "credit_code", "name", "level", "parent", "aliases", "landmarks",
                                  "address", "roster") if k in u} for u in units]
    return {"admins": [a.model_dump(exclude_none=True) for a in tree.admins], "units": ordered,
            "shared": [s.model_dump() for s in tree.shared]}
