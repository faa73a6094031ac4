"""What to watch: ``config/sources.yaml`` validated into :class:`SourceConfig` objects.

A source is one thing the scheduler runs as one ``yuqing crawl NAME``::

    sources:
      - name: weibo-chaoyang-wages          # unique, [a-z0-9_-]
        spider: weibo                       # weibo | wechat | discuz | tieba | feed
        keywords: [朝阳 欠薪, 朝阳区 讨薪]    # weibo, wechat, tieba (search) — what to search
        accounts: ["1234567890"]            # weibo uids; wechat account names
        boards: ["139"]                     # discuz fids; tieba forum names
        feeds: [https://example.gov.cn/rss.xml]   # feed URLs (absolute, or relative to base_url)
        schedule: {minutes: 30}             # or {cron: "*/30 * * * *"}
        base_url: https://m.weibo.cn        # optional: a mirror or a test server
        site: bbs.example.com               # optional: stable site id for forum post ids
        lookback_hours: 24                  # re-read this much before the cursor (edited/late posts)
        max_pages: 5                        # list pages per keyword/account/board per run
        comments_min: 100                   # weibo hot comments / tieba 楼中楼 of posts with ≥ this many
        weibo_api: mobile                   # weibo accounts: mobile (m.weibo.cn) or ajax (weibo.com)
        fetch_threads: true                 # discuz/tieba: open threads, not only the lists
        cookie_pool: weibo                  # which pool in the cookies file (default: the spider)
        politeness: {download_delay: 2, concurrency: 1, autothrottle: true, retries: 3}
        enabled: true

Unknown keys, a spider without anything to watch, duplicate names or a malformed schedule fail fast
with :class:`yuqing.pipeline.core.config.ConfigError` naming the file and the key.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yuqing.pipeline.core.config import ConfigError, load_yaml_model

SPIDERS = ("weibo", "wechat", "discuz", "tieba", "feed")
SpiderKind = Literal["weibo", "wechat", "discuz", "tieba", "feed"]

#: spider → platform of the posts it produces (pipeline.record.PLATFORMS)
PLATFORM_OF = {"weibo": "weibo", "wechat": "wechat", "discuz": "forum", "tieba": "tieba", "feed": "news"}

#: spider → where it goes without a base_url
DEFAULT_BASE = {
    "weibo": "https://m.weibo.cn",
    "wechat": "https://weixin.sogou.com",
    "tieba": "https://tieba.baidu.com",
}

#: per-site politeness when a source says nothing (one request at a time for the touchy ones)
DEFAULT_POLITENESS = {
    "weibo": {"download_delay": 3.0, "concurrency": 1},
    "wechat": {"download_delay": 5.0, "concurrency": 1},
    "discuz": {"download_delay": 1.0, "concurrency": 2},
    "tieba": {"download_delay": 2.0, "concurrency": 1},
    "feed": {"download_delay": 0.5, "concurrency": 4},
}


class Politeness(BaseModel):
    model_config = ConfigDict(extra="forbid")
    download_delay: float | None = Field(default=None, ge=0)
    concurrency: int | None = Field(default=None, ge=1, le=16)
    autothrottle: bool = True
    retries: int = Field(default=3, ge=0, le=10)
    backoff_seconds: float = Field(default=2.0, ge=0)      # first retry waits this, then doubles
    backoff_max_seconds: float = Field(default=60.0, ge=0)
    timeout_seconds: float = Field(default=30.0, gt=0)


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cron: str | None = None
    minutes: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one(self) -> Schedule:
        if (self.cron is None) == (self.minutes is None):
            raise ValueError('give exactly one of {"cron": "*/30 * * * *"} or {"minutes": 30}')
        if self.cron is not None:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(self.cron)
            except ValueError as exc:
                raise ValueError(f"invalid cron expression {self.cron!r}: {exc}") from exc
        return self

    def interval_minutes(self) -> float:
        """Typical minutes between two runs (for staleness)."""
        if self.minutes is not None:
            return float(self.minutes)
        from datetime import datetime, timedelta, timezone

        from apscheduler.triggers.cron import CronTrigger

        trigger = CronTrigger.from_crontab(self.cron, timezone=timezone.utc)
        at = datetime(2026, 1, 5, tzinfo=timezone.utc)  # a Monday; weekly crons fire within 7 days
        fires = []
        prev = None
        for _ in range(8):
            nxt = trigger.get_next_fire_time(prev, at)
            if nxt is None:
                break
            fires.append(nxt)
            prev, at = nxt, nxt + timedelta(seconds=1)
        gaps = [(b - a).total_seconds() / 60 for a, b in zip(fires, fires[1:], strict=False)]
        return max(gaps) if gaps else 24 * 60

    def describe(self) -> str:
        return f"cron {self.cron}" if self.cron else f"every {self.minutes} min"


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)
    spider: SpiderKind
    schedule: Schedule
    keywords: list[str] = Field(default_factory=list)
    accounts: list[str] = Field(default_factory=list)
    boards: list[str] = Field(default_factory=list)
    feeds: list[str] = Field(default_factory=list)
    base_url: str | None = None
    site: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]+$")
    lookback_hours: float = Field(default=24, ge=0)
    max_pages: int = Field(default=5, ge=1, le=500)
    comments_min: int | None = Field(default=None, ge=0)
    weibo_api: Literal["mobile", "ajax"] = "mobile"   # accounts through m.weibo.cn or weibo.com/ajax
    fetch_threads: bool = True
    cookie_pool: str | None = None
    politeness: Politeness = Field(default_factory=Politeness)
    enabled: bool = True
    description: str = ""

    @field_validator("keywords", "accounts", "boards", "feeds")
    @classmethod
    def _non_blank(cls, v: list[str]) -> list[str]:
        cleaned = [str(x).strip() for x in v]
        if any(not x for x in cleaned):
            raise ValueError("empty entry")
        return cleaned

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^/\s]+", v):
            raise ValueError("must be an http(s) URL like https://m.weibo.cn")
        return v.rstrip("/") if v else v

    @model_validator(mode="after")
    def _targets(self) -> SourceConfig:
        allowed = {
            "weibo": ("keywords", "accounts"), "wechat": ("keywords", "accounts"),
            "discuz": ("boards",), "tieba": ("boards", "keywords"), "feed": ("feeds",),
        }[self.spider]
        for key in ("keywords", "accounts", "boards", "feeds"):
            if getattr(self, key) and key not in allowed:
                raise ValueError(f"spider {self.spider!r} does not use {key!r} (it uses {', '.join(allowed)})")
        if not any(getattr(self, key) for key in allowed):
            raise ValueError(f"spider {self.spider!r} needs at least one of: {', '.join(allowed)}")
        if self.spider == "discuz" and not self.base_url:
            raise ValueError("a discuz source needs base_url (the forum's address)")
        if self.spider == "feed" and not self.base_url:
            for url in self.feeds:
                if not re.match(r"^https?://", url):
                    raise ValueError(f"feed {url!r} is relative but the source has no base_url")
        return self

    @property
    def platform(self) -> str:
        return PLATFORM_OF[self.spider]

    @property
    def base(self) -> str:
        if not self.base_url and self.spider == "weibo" and self.weibo_api == "ajax":
            return "https://weibo.com"
        return self.base_url or DEFAULT_BASE.get(self.spider, "")

    @property
    def pool(self) -> str:
        return self.cookie_pool or self.spider

    def site_id(self) -> str:
        """Stable id of the site (forum post ids are unique per site only)."""
        if self.site:
            return self.site
        from urllib.parse import urlsplit

        return urlsplit(self.base).hostname or self.name

    def targets(self) -> list[tuple[str, str]]:
        """``(kind, value)`` for every keyword/account/board/feed — each has its own cursor."""
        out = []
        for kind in ("keywords", "accounts", "boards", "feeds"):
            out.extend((kind[:-1], v) for v in getattr(self, kind))
        return out

    def effective_politeness(self) -> dict:
        base = dict(DEFAULT_POLITENESS[self.spider])
        p = self.politeness
        if p.download_delay is not None:
            base["download_delay"] = p.download_delay
        if p.concurrency is not None:
            base["concurrency"] = p.concurrency
        base.update(autothrottle=p.autothrottle, retries=p.retries, backoff_seconds=p.backoff_seconds,
                    backoff_max_seconds=p.backoff_max_seconds, timeout_seconds=p.timeout_seconds)
        return base


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sources: list[SourceConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> SourcesFile:
        seen: set[str] = set()
        for i, s in enumerate(self.sources):
            if s.name in seen:
                raise ValueError(f"sources.{i}.name: duplicate source name {s.name!r}")
            seen.add(s.name)
        return self


def load_sources(ctx, include_disabled: bool = True) -> list[SourceConfig]:
    """All sources of ``config/sources.yaml`` (missing file: none). Raises ConfigError."""
    parsed = load_yaml_model(ctx.config_dir, "sources.yaml", SourcesFile, required=False)
    return [s for s in parsed.sources if include_disabled or s.enabled]


def get_source(ctx, name: str) -> SourceConfig:
    for source in load_sources(ctx):
        if source.name == name:
            return source
    known = ", ".join(s.name for s in load_sources(ctx)) or "(none configured)"
    raise ConfigError(ctx.config_dir / "sources.yaml", name, f"no such source; known: {known}")
