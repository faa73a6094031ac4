"""The application context every command gets: config dir, data dir, settings, and the shared
resources built from them (the post store, the state database URL).

Library code takes a :class:`Context` instead of reading globals, so tests build one over a
temporary data dir and a test Elasticsearch index prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pipeline.config import ConfigError, Settings, default_config_dir, default_data_dir, load_settings

if TYPE_CHECKING:
    from pipeline.store.base import PostStore


@dataclass
class Context:
    config_dir: Path
    data_dir: Path
    settings: Settings
    _store: PostStore | None = field(default=None, repr=False)

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

    def store(self) -> PostStore:
        """The configured post store, opened once per context."""
        if self._store is None:
            from pipeline.store.factory import open_store

            self._store = open_store(self)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
