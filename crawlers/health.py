"""Collection health: is each source actually collecting? A silent crawler must never look like a
quiet week.

Per source, from its run history (:mod:`yuqing.crawlers.state`):

* ``last_success`` / ``last_run`` and their age; ``freshness`` = age of the newest post collected;
* ``items_per_run`` (mean over the last ``crawl.health_window`` runs), ``error_rate`` (runs with
  errors or failures) and ``ban_rate`` (runs stopped by a block) over the same window;
* ``status``:
    ``paused``   blocked (ban / captcha / login wall) and waiting out its pause;
    ``stale``    no successful run for ``stale_factor`` × the schedule interval (at least
                 ``stale_min_hours``) — including a source that never ran;
    ``failing``  error rate at or above ``crawl.alert_error_rate`` (over at least 3 runs);
    ``empty``    the last 5 successful runs collected nothing, after runs that did — the pages
                 still load but no longer yield posts (a changed layout, a soft block);
    ``ok``       otherwise; ``disabled`` for sources switched off.

:func:`review` compares a source's status with the one last alerted: entering ``paused``, ``stale``
or ``failing`` raises a health alert, returning to ``ok`` sends a recovery note. Every such event is
appended to ``<data dir>/crawl/health-events.jsonl`` and sent with the ``notify(ctx, subject, body)``
the caller passes (the command line and the scheduler pass ``yuqing.alerts.api.notify_admins``, so
the crawlers never import the alerts area). If sending fails the event stays recorded with the error.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from yuqing.crawlers.sources import SourceConfig, load_sources
from yuqing.crawlers.state import SourceState, parse_iso, utcnow
from yuqing.pipeline.core.names import SOURCE_STATUS_NAMES

logger = logging.getLogger(__name__)

#: how a health event reaches the administrators: ``notify(ctx, subject, body)``
Notify = Callable[..., object]

BAD = ("paused", "stale", "failing", "empty")
EMPTY_RUNS = 5  # this many successful runs in a row with nothing, after runs that had posts


@dataclass
class Health:
    source: str
    status: str
    reason: str
    last_run: str | None
    last_success: str | None
    newest_item_at: str | None
    freshness_hours: float | None
    items_per_run: float
    error_rate: float
    ban_rate: float
    runs: int
    paused_until: str | None
    cursor_targets: int

    def as_dict(self) -> dict:
        return asdict(self)


def assess(ctx, source: SourceConfig, state: SourceState, now: datetime | None = None) -> Health:
    now = now or utcnow()
    cfg = ctx.settings.crawl
    window = [r for r in state.runs if r.get("status") != "skipped"][-cfg.health_window:]
    n = len(window)
    items = sum(r.get("items", 0) for r in window) / n if n else 0.0
    errors = sum(1 for r in window if r.get("status") in ("failed", "partial")) / n if n else 0.0
    bans = sum(1 for r in window if r.get("status") == "blocked") / n if n else 0.0
    last_success = parse_iso(state.data.get("last_success"))
    newest = parse_iso(state.data.get("newest_item_at"))
    paused = state.paused_until(now)
    interval_h = source.schedule.interval_minutes() / 60
    stale_after = max(cfg.stale_factor * interval_h, cfg.stale_min_hours)
    if not source.enabled:
        status, reason = "disabled", "source disabled in sources.yaml"
    elif paused:
        status = "paused"
        reason = f"{state.data.get('pause_kind', 'blocked')}: {state.data.get('pause_reason', '')} — paused until {paused.isoformat()}"
    elif last_success is None:
        status, reason = "stale", "never collected successfully" if window else "never ran"
    elif now - last_success > timedelta(hours=stale_after):
        hours = (now - last_success).total_seconds() / 3600
        status, reason = "stale", f"last success {hours:.1f} h ago (expected every {interval_h:g} h)"
    elif n >= 3 and errors >= cfg.alert_error_rate:
        status, reason = "failing", f"{errors:.0%} of the last {n} runs had errors"
    elif _went_empty(state.runs):
        status, reason = "empty", (f"the last {EMPTY_RUNS} successful runs collected nothing after runs that "
                                   "did — a changed page layout or a silent block?")
    else:
        status, reason = "ok", ""
    return Health(
        source=source.name, status=status, reason=reason,
        last_run=window[-1]["finished_at"] if window else None,
        last_success=state.data.get("last_success"), newest_item_at=state.data.get("newest_item_at"),
        freshness_hours=round((now - newest).total_seconds() / 3600, 1) if newest else None,
        items_per_run=round(items, 1), error_rate=round(errors, 3), ban_rate=round(bans, 3), runs=n,
        paused_until=paused.isoformat() if paused else None, cursor_targets=len(state.data["cursors"]),
    )


def _went_empty(runs: list[dict]) -> bool:
    done = [r for r in runs if r.get("status") in ("ok", "partial")]
    recent, earlier = done[-EMPTY_RUNS:], done[:-EMPTY_RUNS]
    return (len(recent) == EMPTY_RUNS and all(r.get("items", 0) == 0 for r in recent)
            and any(r.get("items", 0) > 0 for r in earlier))


def review(ctx, source: SourceConfig, state: SourceState, now: datetime | None = None,
           notify: Notify | None = None) -> dict | None:
    """Raise a health alert (or recovery note) when the status changed; returns the event if any.

    ``notify(ctx, subject, body)`` sends it to the administrators (the apps pass
    :func:`yuqing.alerts.api.notify_admins`); the event is logged in ``health-events.jsonl``
    whether or not it could be sent. Mutates ``state`` (``alerted_status``); the caller saves it.
    """
    now = now or utcnow()
    health = assess(ctx, source, state, now)
    previous = state.data.get("alerted_status", "ok")
    if health.status == previous or health.status == "disabled":
        return None
    if health.status == "ok" and previous not in BAD:
        return None
    state.data["alerted_status"] = health.status
    if health.status in BAD:
        subject = f"【采集告警】数据源 {source.name} {SOURCE_STATUS_NAMES[health.status]}"
    else:
        subject = f"【采集恢复】数据源 {source.name} 已恢复正常"
    body = "\n".join([
        f"数据源：{source.name}（{source.spider}，{source.schedule.describe()}）",
        f"状态：{SOURCE_STATUS_NAMES.get(health.status, health.status)}",
        f"原因：{health.reason or '—'}",
        f"最近成功采集：{health.last_success or '从未'}",
        f"最新帖子时间：{health.newest_item_at or '无'}",
        f"近{health.runs}次运行：平均每次 {health.items_per_run} 条，出错率 {health.error_rate:.0%}，"
        f"封禁率 {health.ban_rate:.0%}",
        "处理建议：检查 Cookie / 代理（yuqing sources check），必要时更换账号或降低频率。"
        if health.status in ("paused", "failing") else
        "处理建议：检查站点页面是否改版、关键词是否仍有效（yuqing crawl NAME --since 7d --out 试采）。"
        if health.status == "empty" else "",
    ]).strip()
    event = {"at": now.isoformat(), "source": source.name, "status": health.status, "previous": previous,
             "subject": subject, "body": body, "health": health.as_dict(), "delivered": False}
    if notify is None:
        event["delivery_error"] = "no notifier given (recorded only)"
    else:
        try:
            notify(ctx, subject, body)
            event["delivered"] = True
        except Exception as exc:  # the event is recorded whatever the channel does
            event["delivery_error"] = f"{type(exc).__name__}: {exc}"
            logger.error("health alert for %s not delivered: %s", source.name, exc)
    path = ctx.path("crawl", "health-events.jsonl")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(event, ensure_ascii=False) + "\n")
    logger.warning("health event: %s", subject)
    return event


def review_all(ctx, now: datetime | None = None, notify: Notify | None = None) -> list[dict]:
    """Review every enabled source (for the scheduler: catches sources that silently stopped)."""
    events = []
    for source in load_sources(ctx):
        with SourceState.locked(ctx.data_dir, source.name) as state:
            event = review(ctx, source, state, now, notify)
        if event:
            events.append(event)
    return events


def read_events(ctx, limit: int = 50) -> list[dict]:
    path = ctx.data_dir / "crawl" / "health-events.jsonl"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()[-limit:]
    return [json.loads(line) for line in lines if line.strip()]
