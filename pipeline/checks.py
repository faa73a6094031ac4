"""Every configuration file validated at once, by the one reader each file has.

Readers: ``settings.yaml`` — :func:`yuqing.pipeline.core.config.load_settings` (when the context is
made); ``org.yaml`` — :func:`yuqing.pipeline.core.org.load_org`; ``taxonomy.yaml`` —
:func:`yuqing.pipeline.core.taxonomy.load_taxonomy`; ``alerts.yaml`` —
:func:`yuqing.alerts.rules.load_alerts_config`; ``sources.yaml`` —
:func:`yuqing.crawlers.sources.load_sources`; the crawl cookies and proxies files named in
``crawl:`` — :mod:`yuqing.crawlers.credentials`. A long-running service (``yuqing run``,
``yuqing serve``) calls :func:`require_valid_config` before it starts, so a broken file stops it at
once with the file, the key and the reason instead of failing every job later;
``yuqing config check`` prints the verdict for each file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from yuqing.alerts.rules import load_alerts_config
from yuqing.crawlers.credentials import load_cookie_pools, load_proxies
from yuqing.crawlers.sources import load_sources
from yuqing.pipeline.core.config import ConfigError
from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.org import load_org
from yuqing.pipeline.core.taxonomy import load_taxonomy


@dataclass
class FileCheck:
    file: str
    what: str                    # Chinese: what the file holds
    error: ConfigError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


#: (file, what it holds, reader)
READERS: list[tuple[str, str, Callable[[Context], object]]] = [
    ("org.yaml", "工会组织体系与值班表", load_org),
    ("taxonomy.yaml", "话题分类", load_taxonomy),
    ("alerts.yaml", "预警规则与阈值", load_alerts_config),
    ("sources.yaml", "采集源", load_sources),
    ("crawl cookies", "采集 Cookie 池", load_cookie_pools),
    ("crawl proxies", "采集代理", load_proxies),
]


def check_config(ctx: Context) -> list[FileCheck]:
    """Validate every configuration file of ``ctx`` (``settings.yaml`` was validated when ``ctx``
    was loaded); one :class:`FileCheck` each, in :data:`READERS` order."""
    out = [FileCheck("settings.yaml", "全局设置")]
    for file, what, reader in READERS:
        check = FileCheck(file, what)
        try:
            reader(ctx)
        except ConfigError as exc:
            check.error = exc
        out.append(check)
    return out


def require_valid_config(ctx: Context) -> None:
    """Raise the first :class:`ConfigError` of :func:`check_config`, if any."""
    for check in check_config(ctx):
        if check.error is not None:
            raise check.error
