"""Cookie pools and proxies, read from the files or environment variables named in settings.

Cookies (``crawl.cookies_file`` or the env var named by ``crawl.cookies_env``, which may hold a
path or the JSON itself) map a pool name — by default the spider kind — to cookie strings as a
browser sends them::

    weibo:
      - "SUB=_2A25…; SUBP=0033…"
      - "SUB=_2A26…; SUBP=0033…"
    wechat: ["SNUID=…; SUID=…"]

Proxies (``crawl.proxies_file``: one URL a line, ``#`` comments; or the env var named by
``crawl.proxies_env``: comma-separated). Nothing here is ever logged in full.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from yuqing.pipeline.core.config import ConfigError, read_yaml


@dataclass(frozen=True)
class PoolCookie:
    pool: str
    index: int
    header: str

    @property
    def key(self) -> str:
        return f"{self.pool}#{self.index}"

    def as_dict(self) -> dict[str, str]:
        out = {}
        for part in self.header.split(";"):
            if "=" in part:
                k, v = part.split("=", 1)
                if k.strip():
                    out[k.strip()] = v.strip()
        return out

    def masked(self) -> str:
        names = ",".join(sorted(self.as_dict()))
        return f"{self.key} [{names}]"


def _resolve(ctx, value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else Path(ctx.config_dir) / path


def load_cookie_pools(ctx, environ: dict[str, str] | None = None) -> dict[str, list[PoolCookie]]:
    environ = os.environ if environ is None else environ
    cfg = ctx.settings.crawl
    raw = None
    where = ""
    env_value = environ.get(cfg.cookies_env, "").strip()
    if env_value:
        if env_value.startswith("{"):
            where = f"environment variable {cfg.cookies_env}"
            try:
                raw = json.loads(env_value)
            except ValueError as exc:
                raise ConfigError(where, "", f"not valid JSON: {exc}") from exc
        else:
            path = _resolve(ctx, env_value)
            where = str(path)
            raw = _read_file(path)
    elif cfg.cookies_file:
        path = _resolve(ctx, cfg.cookies_file)
        where = str(path)
        raw = _read_file(path)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(where, "", "expected a mapping {pool: [cookie strings]}")
    pools: dict[str, list[PoolCookie]] = {}
    for pool, values in raw.items():
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not all(isinstance(v, str) and "=" in v for v in values):
            raise ConfigError(where, str(pool), 'expected a list of cookie strings like "SUB=…; SUBP=…"')
        pools[str(pool)] = [PoolCookie(str(pool), i, v.strip()) for i, v in enumerate(values)]
    return pools


def _read_file(path: Path):
    if not path.exists():
        raise ConfigError(path, "", "cookies file not found")
    return read_yaml(path)  # YAML or JSON; a syntax error names the line and column


def load_proxies(ctx, environ: dict[str, str] | None = None) -> list[str]:
    environ = os.environ if environ is None else environ
    cfg = ctx.settings.crawl
    env_value = environ.get(cfg.proxies_env, "").strip()
    if env_value:
        proxies = [p.strip() for p in env_value.split(",") if p.strip()]
        where = f"environment variable {cfg.proxies_env}"
    elif cfg.proxies_file:
        path = _resolve(ctx, cfg.proxies_file)
        if not path.exists():
            raise ConfigError(path, "", "proxies file not found")
        where = str(path)
        proxies = [ln.split("#", 1)[0].strip() for ln in path.read_text(encoding="utf-8").splitlines()]
        proxies = [p for p in proxies if p]
    else:
        return []
    for p in proxies:
        if not p.startswith(("http://", "https://", "socks5://")):
            raise ConfigError(where, "", f"not a proxy URL: {p.split('@')[-1]!r} (want http://host:port)")
    return proxies
