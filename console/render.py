"""Jinja2 rendering for the pages: the template environment and the values every page gets."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from yuqing.console import labels
from yuqing.console.briefings import human_size
from yuqing.console.deps import current_principal, get_ctx, get_org
from yuqing.console.incidents import ACTION_LABELS, COUNT_LABELS
from yuqing.pipeline.core import names
from yuqing.pipeline.core.textindex import query_tokens

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
templates.env.globals.update(STATUS_LABELS=names.STATUS_NAMES, ACTION_LABELS=ACTION_LABELS,
                             LEVEL_LABELS=names.LEVEL_NAMES, PLATFORM_LABELS=names.PLATFORM_NAMES,
                             SENTIMENT_LABELS=names.SENTIMENT_NAMES, human_size=human_size,
                             SEVERITY_LABELS=names.SEVERITY_NAMES, COUNT_LABELS=COUNT_LABELS)


def highlight(text: str, query: str, limit: int = 200) -> Markup:
    """``text`` escaped and cut to ``limit`` characters (around the first hit), query tokens in <mark>."""

    text = text or ""
    tokens = sorted({t for t in query_tokens(query) if t.strip()}, key=len, reverse=True) if query else []
    if len(text) > limit:
        first = min((i for t in tokens if (i := text.find(t)) >= 0), default=0)
        start = max(0, min(first - limit // 4, len(text) - limit))
        text = ("…" if start else "") + text[start:start + limit] + ("…" if start + limit < len(text) else "")
    if not tokens:
        return Markup.escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in tokens), re.IGNORECASE)
    out, pos = [], 0
    for m in pattern.finditer(text):
        out.append(Markup.escape(text[pos:m.start()]))
        out.append(Markup("<mark>") + Markup.escape(m.group(0)) + Markup("</mark>"))
        pos = m.end()
    out.append(Markup.escape(text[pos:]))
    return Markup("").join(out)


templates.env.filters["highlight"] = highlight


def topic_labels(request: Request) -> dict[str, str]:
    """Taxonomy id → Chinese name (loaded when the app was created)."""
    return request.app.state.topics


def render(request: Request, name: str, data: dict, status_code: int = 200):

    ctx = get_ctx(request)
    now = datetime.now(timezone.utc)
    tz = ctx.tz
    topic_names = topic_labels(request)
    org = get_org(request)
    base = {"request": request, "who": current_principal(request), "now": now, "tz": tz,
            "refresh_seconds": ctx.settings.console.refresh_seconds,
            "t": lambda dt, fmt="%Y-%m-%d %H:%M": labels.fmt_time(dt, tz, fmt),
            "ago": lambda dt: labels.ago(dt, now),
            "topic_name": lambda tid: topic_names.get(tid, tid) if tid else "未分类",
            "topic_names": topic_names,
            "unit_name": lambda uid: org.display_name(uid) if uid else ""}
    base.update(data)
    return templates.TemplateResponse(request, name, base, status_code=status_code)
