"""The topic taxonomy (``config/taxonomy.yaml``): fixed ids → Chinese names, descriptions, keywords.

Other areas read it for labels (``load_taxonomy(ctx).name("wage_arrears") == "欠薪讨薪"``). The
file is validated with pydantic when loaded: the twelve ids of :data:`TOPIC_IDS` must all be there,
exactly once, and nothing else — a typo fails at start with the file, key and reason. Labelled data
naming an id the taxonomy does not know fails with :class:`UnknownTopicError` saying where.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yuqing.pipeline.core.config import ConfigError, load_yaml_model
from yuqing.pipeline.core.names import SENTIMENT_NAMES  # noqa: F401 (re-exported)
from yuqing.pipeline.core.resources import shipped_config_dir

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

#: the fixed topic ids, in display order
TOPIC_IDS: tuple[str, ...] = (
    "wage_arrears", "pay_benefits", "social_insurance", "working_hours", "labor_contract", "layoffs",
    "occupational_safety", "gig_workers", "women_workers", "labor_dispute", "union_services",
    "employment_training",
)


class UnknownTopicError(ValueError):
    """A topic id that is not in the taxonomy, with where it was found."""


class Topic(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    keywords: list[str] = Field(default_factory=list)

    @field_validator("keywords", mode="before")
    @classmethod
    def _numbers_are_words(cls, v):
        # YAML reads 996 or 12351 as numbers; they are words here
        return [str(k) if isinstance(k, int) and not isinstance(k, bool) else k for k in v] if isinstance(v, list) else v

    @field_validator("id")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in TOPIC_IDS:
            raise ValueError(f"unknown topic id {v!r}; the ids are fixed: {', '.join(TOPIC_IDS)}")
        return v


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topics: list[Topic]

    @model_validator(mode="after")
    def _complete(self) -> Taxonomy:
        ids = [t.id for t in self.topics]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"topic ids listed twice: {', '.join(dupes)}")
        missing = [i for i in TOPIC_IDS if i not in ids]
        if missing:
            raise ValueError(f"topic ids missing: {', '.join(missing)}")
        return self

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.topics]

    def get(self, topic_id: str) -> Topic:
        for t in self.topics:
            if t.id == topic_id:
                return t
        raise UnknownTopicError(f"unknown topic id {topic_id!r}")

    def name(self, topic_id: str) -> str:
        """The Chinese name of ``topic_id`` (the id itself if unknown, so display never fails)."""
        for t in self.topics:
            if t.id == topic_id:
                return t.name
        return topic_id

    def names(self) -> dict[str, str]:
        return {t.id: t.name for t in self.topics}

    def check_ids(self, ids: list[str], where: str) -> list[str]:
        """Return ``ids`` if all are known, else raise :class:`UnknownTopicError` naming ``where``."""
        known = set(self.ids)
        bad = [i for i in ids if i not in known]
        if bad:
            raise UnknownTopicError(f"{where}: unknown topic id(s) {', '.join(map(repr, bad))}; "
                                    f"known ids: {', '.join(self.ids)}")
        return ids


def load_taxonomy_file(path: str | Path) -> Taxonomy:
    path = Path(path)
    return load_yaml_model(path.parent, path.name, Taxonomy)


@lru_cache(maxsize=8)
def _cached(path: str, mtime: float) -> Taxonomy:
    return load_taxonomy_file(path)


def load_taxonomy(ctx: Context | None = None) -> Taxonomy:
    """The taxonomy of ``ctx``'s config dir (or the shipped ``config/`` without a context).

    Raises :class:`yuqing.pipeline.core.config.ConfigError` naming the file and key when the file is invalid.
    """
    if ctx is not None:
        path = Path(ctx.config_dir) / "taxonomy.yaml"
    else:
        path = shipped_config_dir() / "taxonomy.yaml"
    if not path.exists():
        raise ConfigError(path, "", "file not found (the topic taxonomy is required for classification)")
    return _cached(str(path.resolve()), path.stat().st_mtime)
