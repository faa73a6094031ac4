"""Jinja2 rendering for the pages: the template environment and the values every page gets."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from console import labels
from console.access import LEVEL_LABELS
from console.briefings import human_size
from console.incidents import ACTION_LABELS, COUNT_LABELS, SEVERITY_LABELS, STATUS_LABELS

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
templates.env.globals.update(STATUS_LABELS=STATUS_LABELS, ACTION_LABELS=ACTION_LABELS,
                             LEVEL_LABELS=LEVEL_LABELS, PLATFORM_LABELS=labels.PLATFORM_LABELS,
                             SENTIMENT_LABELS=labels.SENTIMENT_LABELS, human_size=human_size)
templates.env.globals.update(SEVERITY_LABELS=SEVERITY_LABELS, COUNT_LABELS=COUNT_LABELS)


def topic_labels(request: Request) -> dict[str, str]:
    """Taxonomy id → Chinese name, loaded once per app."""
    names = getattr(request.app.state, "topics", None)
    if names is None:
        from console.deps import get_ctx

        names = request.app.state.topics = labels.topic_names(get_ctx(request))
    return names


def render(request: Request, name: str, data: dict, status_code: int = 200):
    from console.deps import current_principal, get_ctx

    ctx = get_ctx(request)
    now = datetime.now(timezone.utc)
    tz = ctx.tz
    topic_names = topic_labels(request)
    base = {"request": request, "who": current_principal(request), "now": now, "tz": tz,
            "refresh_seconds": ctx.settings.console.refresh_seconds,
            "t": lambda dt, fmt="%Y-%m-%d %H:%M": labels.fmt_time(dt, tz, fmt),
            "ago": lambda dt: labels.ago(dt, now),
            "topic_name": lambda tid: topic_names.get(tid, tid) if tid else "未分类",
            "topic_names": topic_names}
    base.update(data)
    return templates.TemplateResponse(request, name, base, status_code=status_code)
