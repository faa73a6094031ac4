"""Chinese names for what the store holds as ids: topics and union units.

Topics come from ``classifiers.taxonomy.load_taxonomy(ctx)`` and units from
``alerts.org.load_org(ctx)`` (owned by the classifiers and alerts areas). Both are imported lazily;
while a module or its YAML file is absent the briefing falls back to the ids, so it never fails
for want of a label.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.context import Context

log = logging.getLogger(__name__)

SENTIMENT_NAMES = {"negative": "负面", "neutral": "中性", "positive": "正面"}
PLATFORM_NAMES = {"weibo": "微博", "wechat": "微信公众号", "forum": "论坛", "tieba": "贴吧", "news": "新闻"}


def _names_from_taxonomy(tax: Any) -> dict[str, str]:
    """Accept the shapes a taxonomy object may reasonably have: a mapping id → name (or → object
    with ``name``), an object with ``names``/``topics``, or a list of topics with ``id``/``name``."""
    if tax is None:
        return {}
    for attr in ("names", "topics", "by_id"):
        inner = getattr(tax, attr, None)
        if inner is not None and not callable(inner):
            return _names_from_taxonomy(inner)
    out: dict[str, str] = {}
    if isinstance(tax, Mapping):
        for key, value in tax.items():
            out[str(key)] = str(value if isinstance(value, str) else getattr(value, "name", None)
                                or (value.get("name") if isinstance(value, Mapping) else None) or key)
        return out
    if isinstance(tax, list | tuple):
        for item in tax:
            tid = getattr(item, "id", None) or (item.get("id") if isinstance(item, Mapping) else None)
            name = getattr(item, "name", None) or (item.get("name") if isinstance(item, Mapping) else None)
            if tid:
                out[str(tid)] = str(name or tid)
    return out


@dataclass
class Labels:
    topics: dict[str, str] = field(default_factory=dict)
    org: Any = None  # alerts.org.OrgTree or None

    def topic(self, tid: str) -> str:
        return self.topics.get(tid, tid)

    def unit(self, uid: str) -> str:
        if self.org is not None:
            unit = self.org.get(uid) if hasattr(self.org, "get") else None
            if unit is not None:
                return unit.name
        return uid

    def level(self, uid: str) -> str | None:
        unit = self.org.get(uid) if self.org is not None else None
        return getattr(unit, "level", None)

    def subtree(self, uid: str) -> set[str]:
        if self.org is None:
            return {uid}
        try:
            return set(self.org.subtree(uid))
        except (KeyError, ValueError):
            return {uid}

    def children(self, uid: str | None) -> list[str] | None:
        """Ids of the units one level below ``uid`` (the district when ``None``), in the file's
        order; ``None`` when the hierarchy is unknown."""
        if self.org is None:
            return None
        parent = uid or self.org.root.id
        kids = self.org.children(parent)
        return [k if isinstance(k, str) else k.id for k in kids]

    @property
    def root_name(self) -> str | None:
        return self.org.root.name if self.org is not None else None


def load_labels(ctx: Context) -> Labels:
    labels = Labels()
    try:
        from classifiers.taxonomy import load_taxonomy  # classifiers area

        labels.topics = _names_from_taxonomy(load_taxonomy(ctx))
    except ImportError:
        log.info("classifiers.taxonomy not available: topics shown by id")
    except Exception as exc:  # a broken taxonomy file must not stop the briefing
        log.warning("taxonomy not loaded, topics shown by id: %s", exc)
    try:
        from alerts.org import load_org  # alerts area

        labels.org = load_org(ctx)
    except ImportError:
        log.info("alerts.org not available: units shown by id")
    except Exception as exc:
        log.warning("org hierarchy not loaded, units shown by id: %s", exc)
    return labels
