"""Building a briefing: resolve the period, collect the numbers, draw the charts, write .docx,
.html, .md and ``data.json``, record it in the archive, and (for the scheduled run) mail it."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yuqing.pipeline.briefing import archive, charts
from yuqing.pipeline.briefing.data import collect
from yuqing.pipeline.briefing.docx_writer import write_docx
from yuqing.pipeline.briefing.labels import load_labels
from yuqing.pipeline.briefing.mail import MailError, compose, send
from yuqing.pipeline.briefing.outline import build_outline, masthead
from yuqing.pipeline.briefing.period import (
    Period,
    day_period,
    last_complete_week,
    parse_week,
    previous_day,
    week_period,
)
from yuqing.pipeline.briefing.render import write_html, write_markdown
from yuqing.pipeline.store import open_store
from yuqing.pipeline.store.base import PostFilter

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

log = logging.getLogger(__name__)


class BriefingError(Exception):
    """A briefing cannot be built as asked (unknown unit, malformed week); says why."""


@dataclass
class BriefingResult:
    period: Period
    unit: str | None
    out_dir: Path
    paths: dict[str, Path]                      # docx, html, md, json
    charts: dict[str, Path] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    generated_at: datetime | None = None

    @property
    def title(self) -> str:
        return masthead(self.data, self.generated_at)["title"]

    def attachment_names(self) -> dict[str, Path]:
        head = masthead(self.data, self.generated_at)
        stem = f"{head['title']}-{head['issue']}"
        return {f"{stem}.docx": self.paths["docx"], f"{stem}.html": self.paths["html"]}


def resolve_week(ctx: Context, week: str | None, now: datetime | None = None) -> Period:
    """``None`` → the last complete week; ``latest`` → the week of the newest stored post."""
    if week is None:
        return last_complete_week(now or datetime.now(timezone.utc), ctx.tz)
    if week.strip().lower() == "latest":
        page = open_store(ctx).search(PostFilter(), limit=1)
        if not page.posts:
            raise BriefingError("week 'latest': the store holds no posts yet")
        return week_period(page.posts[0].published_at.astimezone(ctx.tz).date(), ctx.tz)
    try:
        return parse_week(week, ctx.tz)
    except ValueError as exc:
        raise BriefingError(str(exc)) from exc


def _check_unit(labels, unit: str | None) -> None:
    if unit and labels.org is not None and labels.org.get(unit) is None:
        raise BriefingError(f"unit {unit!r} is not in org.yaml (see `yuqing org show` for the ids)")


def build(ctx: Context, period: Period, unit: str | None = None, out_dir: Path | None = None,
          now: datetime | None = None) -> BriefingResult:
    """Write the briefing of ``period`` for the district or ``unit``'s subtree.

    ``out_dir`` defaults to the archive (``data_dir/briefings/<period>[-<unit>]``); either way a
    ``meta.json`` is written so the directory shows up in :func:`list_archive` when it is the archive.
    """
    labels = load_labels(ctx)
    _check_unit(labels, unit)
    generated = (now or datetime.now(timezone.utc)).astimezone(ctx.tz)
    out = Path(out_dir) if out_dir else archive.archive_dir(ctx, period.key, unit)
    out.mkdir(parents=True, exist_ok=True)
    data = collect(ctx, period, unit, labels)
    data["generated_at"] = generated.isoformat()
    chart_paths = charts.draw_all(data, out / "charts")
    outline = build_outline(data, chart_paths)
    stem = f"briefing-{period.key}" + (f"-{unit}" if unit else "")
    paths = {
        "docx": write_docx(out / f"{stem}.docx", data, outline, chart_paths, generated),
        "html": write_html(out / f"{stem}.html", data, outline, chart_paths, generated),
        "md": write_markdown(out / f"{stem}.md", data, outline, chart_paths, generated),
    }
    paths["json"] = out / "data.json"
    paths["json"].write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    previous = archive.read_meta(out) or {}
    archive.write_meta(out, {
        "kind": period.kind, "period": period.key, "label": period.label, "unit": unit,
        "scope_name": data["scope_name"], "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(), "generated_at": generated.isoformat(),
        "posts": data["overview"]["posts"], "headline": data["overview"]["headline"],
        "files": {k: p.name for k, p in paths.items()}, "mailings": previous.get("mailings", []),
    })
    log.info("briefing written", extra={"period": period.key, "unit": unit, "dir": str(out)})
    return BriefingResult(period, unit, out, paths, chart_paths, data, generated)


def build_weekly(ctx: Context, week: str | None = None, unit: str | None = None,
                 out_dir: Path | None = None, now: datetime | None = None) -> BriefingResult:
    """The weekly briefing (舆情周报) of ``week`` (``2026-W47``, ``latest``, or ``None`` for the last
    complete week) for the district or ``unit``'s subtree."""
    return build(ctx, resolve_week(ctx, week, now), unit, out_dir, now)


def build_daily(ctx: Context, day: str | None = None, unit: str | None = None,
                out_dir: Path | None = None, now: datetime | None = None) -> BriefingResult:
    """The daily digest (舆情日报) of ``day`` (``2026-11-23``; ``None`` = yesterday)."""
    if day is None:
        period = previous_day(now or datetime.now(timezone.utc), ctx.tz)
    else:
        try:
            period = day_period(datetime.fromisoformat(day).date(), ctx.tz)
        except ValueError as exc:
            raise BriefingError(f"day {day!r}: use YYYY-MM-DD") from exc
    return build(ctx, period, unit, out_dir, now)


def mail_briefing(ctx: Context, result: BriefingResult, recipients: list[str]) -> None:
    """Mail ``result`` to ``recipients`` (attachments: .docx and .html) and note it in meta.json.
    Raises :class:`yuqing.pipeline.briefing.mail.MailError` when the server refuses."""

    smtp = ctx.settings.notify.smtp
    msg = compose(smtp.sender, recipients, f"{result.title}（{result.period.label}）", result.data,
                  result.attachment_names())
    at = datetime.now(timezone.utc)
    try:
        send(smtp, msg)
    except MailError as exc:
        archive.record_mailing(result.out_dir, recipients, at, str(exc))
        raise
    archive.record_mailing(result.out_dir, recipients, at)
