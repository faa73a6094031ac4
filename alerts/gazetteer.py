"""The shipped gazetteer of Chaoyang (``data/org/chaoyang-gazetteer.yaml``): places people write
instead of a unit's name, terms with several meanings, and places outside Chaoyang whose names
contain a Chaoyang one. Its one reader; :mod:`yuqing.alerts.linking` puts it into the automaton
after the registry's own terms.

Units are named by statistical code or id and resolved against the current hierarchy by
:func:`resolve`: a place whose unit is missing (retired, or an id the deployment does not have)
is left out, never an error — the registry decides what exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from yuqing.pipeline.core.config import load_yaml_model
from yuqing.pipeline.core.orgmodel import OrgTree
from yuqing.pipeline.core.resources import shipped

GAZETTEER_FILE = shipped("data", "org", "chaoyang-gazetteer.yaml")


class SenseSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    unit: str | None = None
    outside: str | None = None
    prior: float = Field(gt=0, le=1)
    cues: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _one_target(self):
        if (self.unit is None) == (self.outside is None):
            raise ValueError("a sense has either `unit` or `outside`")
        return self


class SenseTerm(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    term: str = Field(min_length=2)
    senses: tuple[SenseSpec, ...] = Field(min_length=2)


class OutsideTerm(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    term: str = Field(min_length=2)
    where: str


class GazetteerFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    places: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    senses: tuple[SenseTerm, ...] = ()
    outside: tuple[OutsideTerm, ...] = ()


@dataclass(frozen=True)
class Sense:
    unit: str | None          # a unit id, or None: outside Chaoyang (``where`` says what)
    where: str
    prior: float
    cues: tuple[str, ...]


@dataclass(frozen=True)
class Gazetteer:
    places: tuple[tuple[str, str], ...]            # (term, unit id)
    senses: dict[str, tuple[Sense, ...]]           # term → its senses (at least one in Chaoyang)
    outside: tuple[tuple[str, str], ...]           # (term, where)


@cache
def read_gazetteer(path: Path = GAZETTEER_FILE) -> GazetteerFile:
    return load_yaml_model(path.parent, path.name, GazetteerFile)


def _unit_id(org: OrgTree, ref: str) -> str | None:
    if ref in org.units:
        return ref
    unit = org.by_code(ref)
    return unit.id if unit else None


def resolve(org: OrgTree, path: Path = GAZETTEER_FILE) -> Gazetteer:
    """The gazetteer with its units resolved against ``org`` (missing units left out)."""
    data = read_gazetteer(path)
    places = []
    for ref, terms in data.places.items():
        uid = _unit_id(org, ref)
        if uid is not None:
            places.extend((t, uid) for t in terms)
    senses: dict[str, tuple[Sense, ...]] = {}
    for st in data.senses:
        resolved = []
        for s in st.senses:
            if s.unit is not None:
                uid = _unit_id(org, s.unit)
                if uid is not None:
                    resolved.append(Sense(uid, org.display_name(uid), s.prior, s.cues))
            else:
                resolved.append(Sense(None, s.outside or "", s.prior, s.cues))
        if any(s.unit for s in resolved) and len(resolved) >= 2:
            senses[st.term] = tuple(resolved)
    return Gazetteer(tuple(places), senses, tuple((o.term, o.where) for o in data.outside))
