"""Alert rules and thresholds (``config/alerts.yaml``), validated once at load.

Sections (every key has a documented default, so a missing file means the defaults):

``detection``   trend detection thresholds — see :mod:`yuqing.alerts.detect` for the method.
``severity``    how a trend's strength maps to low / medium / high / critical.
``escalation``  how far up an incident starts, how long before an unacknowledged incident
                escalates, what counts as "still growing" after acknowledgement.
``delivery``    retries, backoff and timeouts of the outbox.
``high_risk``   single-post rules: regular-expression patterns that alert regardless of volume.
``immediate``   the ingest-time check (:mod:`yuqing.alerts.immediate`): high-risk posts and urgent
                grassroots reports alert as they are ingested, not at the next evaluation.

Bad values raise :class:`~yuqing.pipeline.core.config.ConfigError` naming ``alerts.yaml``, the key and the reason.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yuqing.pipeline.core.config import ConfigError, load_yaml_model
from yuqing.pipeline.store.base import parse_interval

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

ALERTS_FILE = "alerts.yaml"
Severity = Literal["low", "medium", "high", "critical"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Window(_M):
    span: str                     # e.g. 1h
    min_volume: float = Field(gt=0)  # minimum weighted volume in the window

    @field_validator("span")
    @classmethod
    def _span(cls, v: str) -> str:
        parse_interval(v)
        if parse_interval(v) % 3600:
            raise ValueError("windows are whole hours (the baseline is hourly)")
        return v

    @property
    def hours(self) -> int:
        return parse_interval(self.span) // 3600


class Detection(_M):
    windows: list[Window] = Field(default_factory=lambda: [
        Window(span="1h", min_volume=4), Window(span="6h", min_volume=6), Window(span="24h", min_volume=10)])
    baseline_weeks: int = Field(default=4, ge=1, le=12)
    daily_baseline_days: int = Field(default=3, ge=0, le=27)
    level_weight: float = Field(default=0.5, ge=0, le=1)
    high_risk_overlap_hours: float = Field(default=6, ge=0, le=24)
    parallel_queries: int = Field(default=4, ge=1, le=16)
    p_value: float = Field(default=1e-4, gt=0, lt=0.5)
    min_ratio: float = Field(default=2.0, ge=1.0)
    prior_rate_per_hour: float = Field(default=0.05, gt=0)
    dispersion: float = Field(default=0.3, ge=0)
    author_weight: float = Field(default=0.7, ge=0, le=1)
    engagement_weight: float = Field(default=0.15, ge=0, le=1)
    engagement_scale: float = Field(default=50.0, gt=0)
    explained_share: float = Field(default=0.6, gt=0, le=1)
    evidence_posts: int = Field(default=3, ge=1, le=10)
    topics: list[str] = Field(default_factory=list)

    @field_validator("windows")
    @classmethod
    def _windows(cls, v: list[Window]) -> list[Window]:
        if not v:
            raise ValueError("at least one window is needed")
        spans = [w.hours for w in v]
        if len(set(spans)) != len(spans):
            raise ValueError("two windows have the same span")
        if max(spans) > 168:
            raise ValueError("windows longer than a week (168h) cannot be compared with past weeks")
        return sorted(v, key=lambda w: w.hours)


class SeverityRule(_M):
    severity: Severity
    min_excess: float = Field(default=0, ge=0)     # weighted volume above the baseline
    min_ratio: float = Field(default=1, ge=1)
    min_units: int = Field(default=1, ge=1)         # distinct descendant units involved


class Escalation(_M):
    start_levels_up: dict[Severity, int] = Field(
        default_factory=lambda: {"low": 0, "medium": 1, "high": 2, "critical": 3})
    ack_minutes: dict[Severity, float] = Field(
        default_factory=lambda: {"low": 240, "medium": 60, "high": 30, "critical": 15})
    growth_factor: float = Field(default=1.5, gt=1)
    reopen_cooldown_hours: float = Field(default=24, ge=0)
    update_factor: float = Field(default=1.25, gt=1)

    @model_validator(mode="after")
    def _complete(self) -> Escalation:
        for name in ("start_levels_up", "ack_minutes"):
            missing = {"low", "medium", "high", "critical"} - set(getattr(self, name))
            if missing:
                raise ValueError(f"{name}: missing {', '.join(sorted(missing))}")
        if any(v <= 0 for v in self.ack_minutes.values()):
            raise ValueError("ack_minutes must be positive")
        return self


class Delivery(_M):
    max_attempts: int = Field(default=10, ge=1)
    backoff_seconds: list[float] = Field(default_factory=lambda: [30, 60, 120, 300, 600, 1800, 3600])
    timeout_seconds: float = Field(default=10, gt=0)
    batch: int = Field(default=200, ge=1)
    claim_seconds: float = Field(default=120, gt=0)

    @field_validator("backoff_seconds")
    @classmethod
    def _backoff(cls, v: list[float]) -> list[float]:
        if not v or any(x < 0 for x in v):
            raise ValueError("give one or more non-negative delays")
        return v

    def delay(self, attempts: int) -> float:
        return self.backoff_seconds[min(attempts, len(self.backoff_seconds)) - 1]


class HighRiskRule(_M):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    severity: Severity = "high"
    keywords: list[str] = Field(min_length=1)           # full-text search terms that find candidates
    patterns: list[str] = Field(min_length=1)
    requires: list[str] = Field(default_factory=list)   # and at least one of these must match too
    excludes: list[str] = Field(default_factory=list)   # none of these may match (news of the past…)
    ignore: list[str] = Field(default_factory=list)     # removed from the text first (negations: 无人员伤亡)

    @field_validator("patterns", "requires", "excludes", "ignore")
    @classmethod
    def _compile(cls, v: list[str]) -> list[str]:
        for p in v:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"bad regular expression {p!r}: {exc}") from exc
        return v

    def matches(self, text: str, common_excludes: list[str] = ()) -> str | None:
        """The matched phrase if ``text`` satisfies the rule, else ``None``."""
        for p in self.ignore:
            text = re.sub(p, "", text)
        hit = None
        for p in self.patterns:
            m = re.search(p, text)
            if m:
                hit = m.group(0)
                break
        if hit is None:
            return None
        if self.requires and not any(re.search(p, text) for p in self.requires):
            return None
        if any(re.search(p, text) for p in self.excludes) or any(re.search(p, text) for p in common_excludes):
            return None
        return hit


class Immediate(_M):
    enabled: bool = True
    max_age_hours: float = Field(default=6, gt=0, le=72)   # older posts (backfills, replays) wait for the cycle
    urgent_report_severity: Severity = "high"              # how far up an urgent report is heard at once
    deliver_now: bool = True                               # send what it queued at once (else the outbox job)


class AlertsConfig(_M):
    detection: Detection = Field(default_factory=Detection)
    severity: list[SeverityRule] = Field(default_factory=lambda: [
        SeverityRule(severity="critical", min_excess=60, min_ratio=5),
        SeverityRule(severity="high", min_excess=25, min_ratio=3),
        SeverityRule(severity="medium", min_excess=8, min_ratio=2),
        SeverityRule(severity="low")])
    escalation: Escalation = Field(default_factory=Escalation)
    delivery: Delivery = Field(default_factory=Delivery)
    high_risk: list[HighRiskRule] = Field(default_factory=list)
    high_risk_excludes: list[str] = Field(default_factory=list)   # apply to every high-risk rule
    immediate: Immediate = Field(default_factory=Immediate)

    @field_validator("high_risk_excludes")
    @classmethod
    def _compile_common(cls, v: list[str]) -> list[str]:
        return HighRiskRule._compile(v)

    @field_validator("high_risk")
    @classmethod
    def _unique(cls, v: list[HighRiskRule]) -> list[HighRiskRule]:
        ids = [r.id for r in v]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"duplicate rule id {sorted(dup)[0]!r}")
        return v

    def severity_for(self, excess: float, ratio: float, units: int = 1) -> Severity:
        for rule in self.severity:
            if excess >= rule.min_excess and ratio >= rule.min_ratio and units >= rule.min_units:
                return rule.severity
        return "low"


_cache: dict[tuple[str, float], AlertsConfig] = {}


def load_alerts_config(ctx: Context) -> AlertsConfig:
    """``config/alerts.yaml`` validated (defaults when absent); cached until the file changes."""
    path = Path(ctx.config_dir) / ALERTS_FILE
    mtime = path.stat().st_mtime if path.exists() else 0.0
    key = (str(path.resolve()), mtime)
    if key not in _cache:
        cfg = load_yaml_model(Path(ctx.config_dir), ALERTS_FILE, AlertsConfig, required=False)
        levels = [r.severity for r in cfg.severity]
        if "low" not in levels:
            raise ConfigError(path, "severity", "the list must end with a catch-all rule for low")
        _cache.clear()
        _cache[key] = cfg
    return _cache[key]
