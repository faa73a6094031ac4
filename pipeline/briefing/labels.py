"""Chinese names for what the store holds as ids, as the briefing reads them: topics from the
taxonomy (:func:`yuqing.pipeline.core.taxonomy.load_taxonomy`) and units from the hierarchy
(:func:`yuqing.pipeline.core.org.load_org`). Both files are validated when loaded: a broken one
stops the briefing with the file, key and reason instead of printing ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from yuqing.pipeline.core.names import PLATFORM_NAMES, SENTIMENT_NAMES  # noqa: F401 (re-exported)
from yuqing.pipeline.core.org import OrgTree, load_org
from yuqing.pipeline.core.taxonomy import load_taxonomy

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context


@dataclass
class Labels:
    topics: dict[str, str] = field(default_factory=dict)
    org: OrgTree | None = None

    def topic(self, tid: str) -> str:
        return self.topics.get(tid, tid)

    def unit(self, uid: str) -> str:
        if self.org is not None:
            unit = self.org.get(uid)
            if unit is not None:
                return unit.name
        return uid

    def level(self, uid: str) -> str | None:
        unit = self.org.get(uid) if self.org is not None else None
        return unit.level if unit is not None else None

    def subtree(self, uid: str) -> set[str]:
        if self.org is None or uid not in self.org:
            return {uid}
        return set(self.org.subtree(uid))

    def children(self, uid: str | None) -> list[str] | None:
        """Ids of the units one level below ``uid`` (the district when ``None``), in the file's
        order; ``None`` when no hierarchy is given."""
        if self.org is None:
            return None
        parent = uid or self.org.root.id
        return [k.id for k in self.org.children(parent)]

    @property
    def root_name(self) -> str | None:
        return self.org.root.name if self.org is not None else None


def load_labels(ctx: Context) -> Labels:
    """Topic and unit names of ``ctx``'s config (raises ConfigError for a broken file)."""
    return Labels(topics=load_taxonomy(ctx).names(), org=load_org(ctx))
