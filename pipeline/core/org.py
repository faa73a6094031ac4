"""The union hierarchy: who a post concerns and who must hear about it — the one way every area
reads it, :func:`load_org` (``ctx`` → :class:`OrgTree`).

District union (朝阳区总工会) → 街乡 unions (街道、地区, plus the CBD union and industry unions) →
community/village unions (社区、村, all 768 of the official statistical list) → enterprise unions.
The hierarchy lives in the **org registry** in the state database
(:mod:`yuqing.pipeline.core.orgregistry`): bootstrapped from ``config/org.yaml`` and the shipped
official divisions (:mod:`yuqing.pipeline.core.divisions`), changed by ``yuqing org import`` and the
console's admin pages, every change versioned and logged. ``org.yaml`` stays the bootstrap and
export format: an edit to it is applied to the registry as its difference to the file last applied.

:func:`load_org` keeps the tree in process and asks the registry for its version on every call
(one small query); a change anywhere (another process, the console) is seen at the next call.
The model (:class:`Unit`, :class:`Officer`, :class:`OrgTree` …) is in
:mod:`yuqing.pipeline.core.orgmodel` and re-exported here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from yuqing.pipeline.core import orgregistry
from yuqing.pipeline.core.config import ConfigError
from yuqing.pipeline.core.divisions import divisions_digest
from yuqing.pipeline.core.orgmodel import (  # noqa: F401 (re-exported: the hierarchy's interface)
    LEVEL_NAMES,
    LEVELS,
    ORG_FILE,
    DutySpan,
    Level,
    Officer,
    OrgFile,
    OrgTree,
    SharedTerm,
    Unit,
    check_credit_code,
    hours_from_text,
    load_org_file,
    normalize_term,
    parse_hours,
)
from yuqing.pipeline.core.statedb import ensure_schema

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

_CACHE_SIZE = 4


@dataclass(frozen=True)
class _Cached:
    stat: tuple[int, int] | None     # org.yaml's (mtime_ns, size) when last checked
    version: int
    tree: OrgTree


_cache: OrderedDict[tuple[str, str], _Cached] = OrderedDict()
_lock = threading.Lock()


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size


def org_file(ctx: Context) -> Path:
    return Path(ctx.config_dir) / ORG_FILE


def load_org(ctx: Context) -> OrgTree:
    """The validated hierarchy of ``ctx`` (its state database's registry, kept up to date with its
    ``org.yaml``). Raises :class:`ConfigError` for a broken ``org.yaml`` (file, key, reason), or when
    there is neither a registry nor an ``org.yaml``."""
    path = org_file(ctx)
    engine = ensure_schema(ctx)
    key = (ctx.state_url, str(path.resolve()))
    stat = _stat(path)
    with _lock:
        cached = _cache.get(key)
        st = orgregistry.state(engine)
        fresh_file = cached is not None and cached.stat == stat
        if fresh_file and st.version == cached.version and st.divisions_digest == divisions_digest():
            _cache.move_to_end(key)
            return cached.tree
        yaml_changed = stat is not None and (not fresh_file and orgregistry.file_digest(path) != st.yaml_digest)
        if st.version == 0 or yaml_changed or st.divisions_digest != divisions_digest():
            if stat is None and st.version == 0:
                raise ConfigError(path, "", "file not found (the union hierarchy is required)")
            orgregistry.sync(ctx, path if stat is not None else None)
        tree = orgregistry.read_tree(engine, source=f"{path} + 状态数据库组织库")
        _cache[key] = _Cached(stat, tree.version, tree)
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        return tree


def forget_cache() -> None:
    """Drop the cached trees (tests that replace a database file under the same URL)."""
    with _lock:
        _cache.clear()
