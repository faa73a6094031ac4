"""The application context every command gets: config dir, data dir, settings, and the shared
resources built from them.

Library code takes a :class:`Context` instead of reading globals, so tests build one over a
temporary data dir and a test Elasticsearch index prefix. Layers above the foundation keep what
they open once per context with :meth:`Context.shared` (the post store:
``yuqing.pipeline.store.open_store(ctx)``); :meth:`Context.close` closes it all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from yuqing.pipeline.core.config import (
    ConfigError,
    Settings,
    default_config_dir,
    default_data_dir,
    load_settings,
)

T = TypeVar("T")


@dataclass
class Context:
    config_dir: Path
    data_dir: Path
    settings: Settings
    _shared: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, config_dir: str | Path | None = None, data_dir: str | Path | None = None,
             environ: dict[str, str] | None = None) -> Context:
        cdir = Path(config_dir) if config_dir else default_config_dir()
        ddir = Path(data_dir) if data_dir else default_data_dir()
        if not cdir.is_dir():
            raise ConfigError(cdir, "", "config directory not found (use --config-dir or YUQING_CONFIG_DIR)")
        settings = load_settings(cdir, environ)
        try:
            ZoneInfo(settings.timezone)
        except Exception as exc:  # ZoneInfoNotFoundError, ValueError
            raise ConfigError(cdir / "settings.yaml", "timezone", f"unknown time zone {settings.timezone!r}") from exc
        return cls(config_dir=cdir, data_dir=ddir, settings=settings)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    def path(self, *parts: str) -> Path:
        """A path inside the data dir (created on first use)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir.joinpath(*parts)

    @property
    def state_url(self) -> str:
        return self.settings.state.url or f"sqlite:///{self.path('state.db').resolve()}"

    def shared(self, key: str, factory: Callable[[], T]) -> T:
        """The resource ``key`` of this context, built by ``factory()`` on first use; closed (if
        it has ``close()``) by :meth:`close`."""
        if key not in self._shared:
            self._shared[key] = factory()
        return self._shared[key]

    def close(self) -> None:
        while self._shared:
            _key, resource = self._shared.popitem()
            close = getattr(resource, "close", None)
            if close is not None:
                close()
