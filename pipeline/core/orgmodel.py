"""The union hierarchy's data model: units, duty officers, shared terms, the validated tree, and
the reader of the YAML form (``config/org.yaml``, the bootstrap and export format of the registry).

Who reads the hierarchy uses :func:`yuqing.pipeline.core.org.load_org` (backed by the registry in
the state database, :mod:`yuqing.pipeline.core.orgregistry`); this module has no database.

District union (朝阳区总工会) → subdistrict/area unions (街道、地区, the CBD union, industry
unions) → community/village unions (社区、村) → enterprise unions. Every unit has an ``id``, a
Chinese ``name``, a ``level``, a ``parent`` (none for the district), ``aliases`` and ``landmarks``
used by :mod:`yuqing.alerts.linking`, and a duty ``roster`` of officers with their contacts and on-duty
hours.

File layout::

    admins:                 # receive system-health alerts (notify_admins)
      - {name: 系统管理员, email: ops@example.org, hours: always}
    units:                  # flat list, parents before or after children — order is display order
      - id: chaoyang
        name: 朝阳区总工会
        level: district
        aliases: [朝阳区]
        roster: [...]
      - id: jd-wangjing
        code: '110105026'   # optional: the statistical division code (9 digits 街乡, 12 digits 社区/村)
        name: 望京街道总工会
        level: subdistrict
        parent: chaoyang
        aliases: [望京街道, 望京]
        landmarks: [望京SOHO, 阜通东大街]
    shared:                 # a term that really belongs to several units (border landmark, common name)
      - {term: 朝阳公园, units: [jd-maizidian, dq-dongfeng], note: 公园跨两地}

Validation (fail fast, :class:`~yuqing.pipeline.core.config.ConfigError` naming file, key and reason):
field types (pydantic); duplicate ids; unknown parents; cycles; a level not deeper than its
parent's; exactly one district; malformed on-duty hours; and any term (name, alias, landmark,
normalised) claimed by two units outside ``shared`` — such a term would make linking ambiguous.

On-duty hours (``Officer.hours``): ``always``, or one or more ``DAYS HH:MM-HH:MM`` separated by
``;`` where DAYS is ``daily``, ``weekdays``, ``weekends``, a day (``mon``) or a range
(``mon-fri``); an end before the start crosses midnight (``daily 17:30-08:30``). What union staff
write in spreadsheets and forms (``工作日 8:30-17:30``, ``周一至周五 9:00～18:00；周末 9:00-12:00``,
``全天``) is turned into that form by :func:`hours_from_text`.

Units may carry their statistical division ``code`` (``110105`` the district, 9 digits a 街乡, 12 a
社区/村) and an enterprise its 统一社会信用代码 ``credit_code`` (checked with its check character,
GB 32100-2015). Texts and terms are compared after :func:`normalize_term`: NFKC (full-width →
half-width), lower case and traditional → simplified (``國貿`` = ``国贸``, ``ＣＢＤ`` = ``cbd``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yuqing.pipeline.core.config import ConfigError, load_yaml_model
from yuqing.pipeline.core.names import LEVEL_NAMES  # noqa: F401 (re-exported)
from yuqing.pipeline.core.tokenizer import normalize_text

ORG_FILE = "org.yaml"
Level = Literal["district", "subdistrict", "community", "enterprise"]
LEVELS: tuple[str, ...] = ("district", "subdistrict", "community", "enterprise")

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_SETS = {"daily": set(range(7)), "weekdays": set(range(5)), "weekends": {5, 6}}
_SPAN_RE = re.compile(r"^(?P<days>[a-z-]+)\s+(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})$")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def normalize_term(text: str) -> str:
    """How terms and texts are compared: NFKC (full-width → half-width), lower case, traditional →
    simplified. Keeps one character per character for CJK text, so offsets stay meaningful."""
    return normalize_text(text)


# --- codes ---------------------------------------------------------------------------------

CODE_RE = re.compile(r"^\d{6}(?:\d{3}){0,2}$")
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_credit_code(value: str) -> str:
    """A 统一社会信用代码 (18 characters, GB 32100-2015), upper-cased; ``ValueError`` saying what
    is wrong (length, a character outside the code's alphabet, the check character)."""
    code = unicodedata.normalize("NFKC", value).strip().upper()
    if len(code) != 18:
        raise ValueError(f"统一社会信用代码应为 18 位，实际 {len(code)} 位")
    bad = [c for c in code[:17] if c not in _CREDIT_CHARS]
    if bad or code[17] not in _CREDIT_CHARS:
        raise ValueError(f"统一社会信用代码含无效字符 {''.join(bad) or code[17]!r}（不使用 I、O、Z、S、V）")
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(code[:17], _CREDIT_WEIGHTS, strict=True))
    expected = _CREDIT_CHARS[(31 - total % 31) % 31]
    if code[17] != expected:
        raise ValueError(f"统一社会信用代码校验位错误（应为 {expected}），请核对是否抄错")
    return code


# --- on-duty hours -------------------------------------------------------------------------


@dataclass(frozen=True)
class DutySpan:
    days: frozenset[int]          # 0 = Monday
    start: time
    end: time                     # end <= start: crosses midnight (00:00-24:00 is written 00:00-00:00)

    def covers(self, local: datetime) -> bool:
        t, day = local.time(), local.weekday()
        if self.start < self.end:
            return day in self.days and self.start <= t < self.end
        # crosses midnight (or whole day when start == end): the part after midnight belongs to
        # the day the span started on
        if t >= self.start:
            return day in self.days
        return t < self.end and (day - 1) % 7 in self.days


def _parse_days(text: str) -> set[int]:
    if text in _DAY_SETS:
        return set(_DAY_SETS[text])
    if "-" in text:
        a, b = text.split("-", 1)
        if a not in _DAYS or b not in _DAYS:
            raise ValueError(f"unknown day range {text!r}")
        i, j = _DAYS.index(a), _DAYS.index(b)
        return {k % 7 for k in range(i, (j if j >= i else j + 7) + 1)}
    if text not in _DAYS:
        raise ValueError(f"unknown days {text!r}: use daily, weekdays, weekends, mon..sun or mon-fri")
    return {_DAYS.index(text)}


def _parse_clock(text: str) -> time:
    h, m = (int(x) for x in text.split(":"))
    if h == 24 and m == 0:
        return time(0, 0)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(f"bad time of day {text!r}")
    return time(h, m)


def parse_hours(spec: str) -> tuple[DutySpan, ...] | None:
    """``"always"`` → ``None`` (always on duty); otherwise the spans. Raises ``ValueError``."""
    spec = spec.strip().lower()
    if spec in ("always", "24x7", "daily 00:00-24:00"):
        return None
    spans = []
    for part in (p.strip() for p in spec.split(";")):
        if not part:
            continue
        m = _SPAN_RE.match(part)
        if not m:
            raise ValueError(f"{part!r}: expected e.g. 'mon-fri 08:30-17:30' or 'always'")
        spans.append(DutySpan(frozenset(_parse_days(m["days"])), _parse_clock(m["start"]),
                              _parse_clock(m["end"])))
    if not spans:
        raise ValueError("empty hours: use 'always' or e.g. 'mon-fri 08:30-17:30'")
    return tuple(spans)


_CN_DAY = {"一": "mon", "二": "tue", "三": "wed", "四": "thu", "五": "fri", "六": "sat", "日": "sun", "天": "sun",
           "七": "sun"}
_CN_DAY_SETS = (("工作日", "weekdays"), ("周末", "weekends"), ("双休日", "weekends"), ("每天", "daily"),
                ("每日", "daily"), ("全周", "daily"), ("天天", "daily"))
_ALWAYS = {"always", "全天", "全天候", "24小时", "24h", "7x24", "24x7", "7*24", "全年无休", "随时"}
_CN_PART = re.compile(r"^(?P<days>.*?)\s*(?P<start>\d{1,2}[:：.]\d{2})\s*[-~～至到—–]+\s*(?P<end>\d{1,2}[:：.]\d{2})$")


def _clock_text(text: str) -> str:
    """``8:30`` / ``8：30`` / ``8.30`` → ``08:30``."""
    h, m = re.split(r"[:：.]", text)
    return f"{int(h):02d}:{m}"


def _cn_days(text: str) -> str:
    text = text.strip().replace("星期", "周").replace("礼拜", "周")
    if not text:
        return "daily"
    for cn, en in _CN_DAY_SETS:
        if text == cn:
            return en
    m = re.fullmatch(r"周([一二三四五六日天七])(?:\s*[-~～至到—–]\s*周?([一二三四五六日天七]))?", text)
    if m:
        return _CN_DAY[m[1]] + (f"-{_CN_DAY[m[2]]}" if m[2] else "")
    return text


def hours_from_text(text: str | None) -> str:
    """On-duty hours as union staff write them → the ``hours`` form (checked); empty → ``always``.
    Raises ``ValueError`` with a Chinese reason."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    if not raw or raw.lower() in _ALWAYS:
        return "always"
    parts = []
    for part in re.split(r"[;；,，、\n]+", raw):
        part = part.strip()
        if not part:
            continue
        whole = re.fullmatch(r"(?P<days>.*?)\s*(?:全天|全天候|24小时)", part)
        if whole:
            parts.append(f"{_cn_days(whole['days'].lower())} 00:00-00:00")
            continue
        m = _CN_PART.match(part)
        if not m:
            raise ValueError(f"无法识别的值班时间 {part!r}：请写成“工作日 08:30-17:30”“周一至周五 9:00-18:00”或“全天”")
        start, end = (_clock_text(m[k]) for k in ("start", "end"))
        parts.append(f"{_cn_days(m['days'].lower())} {start}-{end}")
    spec = "; ".join(parts)
    try:
        parse_hours(spec)
    except ValueError as exc:
        raise ValueError(f"值班时间 {raw!r} 无效：{exc}") from None
    return spec


# --- the file's schema ---------------------------------------------------------------------


class Officer(BaseModel):
    """A duty officer (值班员) and the channels that reach them. Any contact may be absent."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    role: str = ""
    phone: str | None = None             # shown in messages; there is no SMS channel
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")
    wecom: str | None = None             # WeCom group robot webhook URL
    dingtalk: str | None = None          # DingTalk robot webhook URL (access_token=...)
    dingtalk_secret: str | None = None   # the robot's signing secret (SEC...)
    webhook: str | None = None           # generic JSON webhook URL
    hours: str = "always"

    @field_validator("hours")
    @classmethod
    def _check_hours(cls, v: str) -> str:
        parse_hours(v)
        return v

    @field_validator("wecom", "dingtalk", "webhook")
    @classmethod
    def _check_url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://\S+$", v):
            raise ValueError(f"not an http(s) URL: {v!r}")
        return v

    def on_duty(self, at: datetime, tz) -> bool:
        spans = parse_hours(self.hours)
        if spans is None:
            return True
        local = at.astimezone(tz)
        return any(s.covers(local) for s in spans)

    def contacts(self) -> dict[str, str]:
        """Channel name → address, for the channels this officer has."""
        return {k: v for k in ("email", "wecom", "dingtalk", "webhook") if (v := getattr(self, k))}


class Unit(BaseModel):
    """One union unit. ``parent`` is ``None`` only for the district."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str = Field(min_length=1)
    level: Level
    parent: str | None = None
    code: str | None = None              # statistical division code (110105…)
    credit_code: str | None = None       # 统一社会信用代码 of an enterprise
    aliases: tuple[str, ...] = ()
    landmarks: tuple[str, ...] = ()
    address: str | None = None
    roster: tuple[Officer, ...] = ()

    @field_validator("id")
    @classmethod
    def _check_id(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError("ids are lower-case ASCII: letters, digits, '.', '_' or '-'")
        return v

    @field_validator("code")
    @classmethod
    def _check_code(cls, v: str | None) -> str | None:
        if v is not None and not CODE_RE.match(v):
            raise ValueError(f"division codes have 6, 9 or 12 digits, got {v!r}")
        return v

    @field_validator("credit_code")
    @classmethod
    def _check_credit(cls, v: str | None) -> str | None:
        return None if v is None else check_credit_code(v)

    @property
    def terms(self) -> list[tuple[str, str]]:
        """(term, kind) used for linking: the name, aliases and landmarks."""
        out = [(self.name, "name")]
        out += [(a, "alias") for a in self.aliases]
        out += [(x, "landmark") for x in self.landmarks]
        return out


class SharedTerm(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    term: str = Field(min_length=1)
    units: tuple[str, ...] = Field(min_length=2)
    note: str = ""


class OrgFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    admins: tuple[Officer, ...] = ()
    units: list[Unit] = Field(min_length=1)
    shared: list[SharedTerm] = Field(default_factory=list)


# --- the tree ------------------------------------------------------------------------------


@dataclass
class OrgTree:
    """The validated hierarchy. Build with :func:`load_org` (or :meth:`from_file_model`)."""

    root: Unit
    units: dict[str, Unit]
    admins: tuple[Officer, ...] = ()
    shared: list[SharedTerm] = field(default_factory=list)
    source: str = ORG_FILE
    retired: dict[str, Unit] = field(default_factory=dict)   # units retired from the registry (kept for names)
    version: int = 0                                          # the registry's version this tree was read at
    _children: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _subtrees: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    _codes: dict[str, str] = field(default_factory=dict, repr=False)
    _names: dict[str, list[str]] = field(default_factory=dict, repr=False)   # built on first find()

    def __post_init__(self) -> None:
        self._children = {uid: [] for uid in self.units}
        for unit in self.units.values():
            if unit.parent is not None:
                self._children[unit.parent].append(unit.id)
            if unit.code:
                self._codes[unit.code] = unit.id

    # -- the contract --------------------------------------------------------------------

    def get(self, unit_id: str) -> Unit | None:
        return self.units.get(unit_id)

    def __getitem__(self, unit_id: str) -> Unit:
        try:
            return self.units[unit_id]
        except KeyError:
            raise KeyError(f"unknown union unit {unit_id!r} (not in {self.source})") from None

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self.units

    def __len__(self) -> int:
        return len(self.units)

    def children(self, unit_id: str) -> list[Unit]:
        """Direct children, in file order."""
        return [self.units[c] for c in self._children[self[unit_id].id]]

    def subtree(self, unit_id: str) -> set[str]:
        """Ids of the unit and everything below it."""
        if unit_id not in self._subtrees:
            out = {self[unit_id].id}
            stack = list(self._children[unit_id])
            while stack:
                uid = stack.pop()
                out.add(uid)
                stack.extend(self._children[uid])
            self._subtrees[unit_id] = frozenset(out)
        return set(self._subtrees[unit_id])

    def ancestors(self, unit_id: str) -> list[str]:
        """Parent first, up to and including the district."""
        out = []
        parent = self[unit_id].parent
        while parent is not None:
            out.append(parent)
            parent = self.units[parent].parent
        return out

    def level_units(self, level: str) -> list[Unit]:
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}: one of {', '.join(LEVELS)}")
        return [u for u in self.units.values() if u.level == level]

    # -- helpers -------------------------------------------------------------------------

    def path(self, unit_id: str) -> list[str]:
        """The unit and its ancestors, most specific first."""
        return [unit_id, *self.ancestors(unit_id)]

    def path_of(self, unit_ids: Iterable[str]) -> list[str]:
        """Union of :meth:`path` over ``unit_ids`` — what a post's ``org_path`` holds."""
        seen: dict[str, None] = {}
        for uid in unit_ids:
            for x in self.path(uid):
                seen.setdefault(x)
        return list(seen)

    def depth(self, unit_id: str) -> int:
        return len(self.ancestors(unit_id))

    def most_specific(self, unit_ids: Iterable[str]) -> list[str]:
        """Drop every unit that is an ancestor of another in the set."""
        ids = list(dict.fromkeys(unit_ids))
        covered: set[str] = set()
        for uid in ids:
            covered.update(self.ancestors(uid))
        return [u for u in ids if u not in covered]

    def common_ancestor(self, unit_ids: Iterable[str]) -> str:
        """The deepest unit whose subtree holds all of ``unit_ids`` (the district at worst)."""
        paths = [self.path(u)[::-1] for u in unit_ids]
        if not paths:
            return self.root.id
        common = self.root.id
        for level in zip(*paths, strict=False):
            if len(set(level)) != 1:
                break
            common = level[0]
        return common

    def display_name(self, unit_id: str) -> str:
        unit = self.get(unit_id) or self.retired.get(unit_id)
        return unit.name if unit else unit_id

    def by_code(self, code: str) -> Unit | None:
        """The active unit carrying the statistical division ``code``."""
        uid = self._codes.get(code)
        return self.units[uid] if uid else None

    def find(self, text: str) -> list[Unit]:
        """Active units a user may mean by ``text``: an id, a division code, or a name or alias
        (compared normalised). Several when a name is not unique."""
        text = text.strip()
        if text in self.units:
            return [self.units[text]]
        if (unit := self.by_code(text)) is not None:
            return [unit]
        if not self._names:   # built whole, then published (threads may race here harmlessly)
            names: dict[str, list[str]] = {}
            for u in self.units.values():
                for term in dict.fromkeys(normalize_term(x) for x in (u.name, *u.aliases)):
                    names.setdefault(term, []).append(u.id)
            self._names = names
        return [self.units[uid] for uid in self._names.get(normalize_term(text), [])]

    def roster_unit(self, unit_id: str) -> Unit:
        """The unit itself if it has a roster, else its nearest ancestor with one."""
        for uid in self.path(unit_id):
            if self.units[uid].roster:
                return self.units[uid]
        return self.root

    def on_duty(self, unit_id: str, at: datetime, tz) -> list[Officer]:
        """Officers of :meth:`roster_unit` on duty at ``at``; all of them if nobody is."""
        roster = self.roster_unit(unit_id).roster
        duty = [o for o in roster if o.on_duty(at, tz)]
        return duty or list(roster)

    def walk(self, unit_id: str | None = None) -> Iterable[tuple[int, Unit]]:
        """(depth, unit) in display order, depth-first from ``unit_id`` (default: the root)."""
        start = self[unit_id] if unit_id else self.root
        stack = [(0, start.id)]
        while stack:
            depth, uid = stack.pop()
            yield depth, self.units[uid]
            stack.extend((depth + 1, c) for c in reversed(self._children[uid]))

    # -- construction --------------------------------------------------------------------

    @classmethod
    def from_file_model(cls, model: OrgFile, source: str | Path = ORG_FILE) -> OrgTree:
        """Structural validation of a parsed file; raises :class:`ConfigError`."""
        src = str(source)
        index = _index_units(model, src)
        units = {u.id: u for u in model.units}
        districts = [u for u in model.units if u.level == "district"]
        if len(districts) != 1:
            raise ConfigError(src, "units", f"exactly one unit of level district is needed, found {len(districts)}")
        _check_codes(model, index, src)
        _check_parents(model, units, index, src)
        _check_cycles(model, units, index, src)  # before levels: clearer
        _check_levels(model, units, index, src)
        _check_terms(model, index, src)
        return cls(root=districts[0], units=units, admins=model.admins, shared=list(model.shared), source=src)


def _index_units(model: OrgFile, src: str) -> dict[str, int]:
    """Each unit id → its position in ``units``; a duplicate id is an error."""
    index: dict[str, int] = {}
    for i, unit in enumerate(model.units):
        if unit.id in index:
            raise ConfigError(src, f"units.{i}.id", f"duplicate id {unit.id!r} (first at units.{index[unit.id]})")
        index[unit.id] = i
    return index


def _check_codes(model: OrgFile, index: dict[str, int], src: str) -> None:
    """A division code or credit code belongs to one unit."""
    for attr in ("code", "credit_code"):
        seen: dict[str, str] = {}
        for unit in model.units:
            value = getattr(unit, attr)
            if value is None:
                continue
            if value in seen:
                raise ConfigError(src, f"units.{index[unit.id]}.{attr}",
                                  f"{value!r} is also the {attr} of {seen[value]!r}")
            seen[value] = unit.id


def _check_parents(model: OrgFile, units: dict[str, Unit], index: dict[str, int], src: str) -> None:
    """The district has no parent; every other unit has a known one."""
    for unit in model.units:
        key = f"units.{index[unit.id]}.parent"
        if unit.level == "district":
            if unit.parent is not None:
                raise ConfigError(src, key, f"the district {unit.id!r} cannot have a parent")
        elif unit.parent is None:
            raise ConfigError(src, key, f"{unit.id!r} ({unit.level}) needs a parent")
        elif unit.parent not in units:
            raise ConfigError(src, key, f"unknown parent {unit.parent!r} of {unit.id!r}")


def _check_cycles(model: OrgFile, units: dict[str, Unit], index: dict[str, int], src: str) -> None:
    """Following parents from any unit never comes back to a unit already passed."""
    for unit in model.units:
        seen = [unit.id]
        parent = unit.parent
        while parent is not None:
            if parent in seen:
                loop = " → ".join([*seen[seen.index(parent):], parent])
                raise ConfigError(src, f"units.{index[unit.id]}.parent", f"cycle in parents: {loop}")
            seen.append(parent)
            parent = units[parent].parent


def _check_levels(model: OrgFile, units: dict[str, Unit], index: dict[str, int], src: str) -> None:
    """Every unit is at a deeper level than its parent."""
    for unit in model.units:
        if unit.parent is not None:
            parent = units[unit.parent]
            if LEVELS.index(unit.level) <= LEVELS.index(parent.level):
                raise ConfigError(src, f"units.{index[unit.id]}.level",
                                  f"{unit.id!r} is a {unit.level} under {parent.id!r}, a {parent.level}: "
                                  "a unit must be at a deeper level than its parent")


def _check_terms(model: OrgFile, index: dict[str, int], src: str) -> None:
    """No term may point at two units unless it is declared under ``shared``."""
    shared_terms = _shared_terms(model, index, src)
    owners: dict[str, tuple[str, str]] = {}  # normalised term → (unit id, key)
    for unit in model.units:
        i = index[unit.id]
        for kind, values in (("name", [unit.name]), ("aliases", unit.aliases), ("landmarks", unit.landmarks)):
            for k, term in enumerate(values):
                key = f"units.{i}.{kind}" + ("" if kind == "name" else f".{k}")
                norm = normalize_term(term.strip())
                _check_term(term, norm, key, unit.id, shared_terms, owners, src)
                owners.setdefault(norm, (unit.id, key))


def _shared_terms(model: OrgFile, index: dict[str, int], src: str) -> dict[str, int]:
    """Each normalised term under ``shared`` → its position there, the entries checked."""
    shared_terms: dict[str, int] = {}
    for j, sh in enumerate(model.shared):
        norm = normalize_term(sh.term.strip())
        if norm in shared_terms:
            raise ConfigError(src, f"shared.{j}.term", f"{sh.term!r} is listed twice under shared")
        shared_terms[norm] = j
        for uid in sh.units:
            if uid not in index:
                raise ConfigError(src, f"shared.{j}.units", f"unknown unit {uid!r}")
        if len(set(sh.units)) != len(sh.units):
            raise ConfigError(src, f"shared.{j}.units", "a unit is listed twice")
    return shared_terms


def _check_term(term: str, norm: str, key: str, unit_id: str, shared_terms: dict[str, int],
                owners: dict[str, tuple[str, str]], src: str) -> None:
    """A unit's term (at ``key``) is long enough, not also shared, and not another unit's."""
    if len(norm) < 2:
        raise ConfigError(src, key, f"{term!r} is too short to link on (2 characters at least)")
    if norm in shared_terms:
        raise ConfigError(src, key, f"{term!r} is also declared under shared.{shared_terms[norm]}; "
                          "list it in one place only")
    if norm in owners and owners[norm][0] != unit_id:
        other, other_key = owners[norm]
        raise ConfigError(
            src, key, f"{term!r} would link ambiguously: it is also {other_key} of {other!r}. "
            "Make it specific to one unit, or declare it under `shared` with both units")


def load_org_file(path: str | Path) -> OrgTree:
    path = Path(path)
    model = load_yaml_model(path.parent, path.name, OrgFile)
    return OrgTree.from_file_model(model, path)
