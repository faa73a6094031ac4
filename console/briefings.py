"""The weekly briefing archive as the caller may see it.

Entries come from ``yuqing.pipeline.briefing.list_archive(ctx)``: one directory per briefing under
``data_dir/briefings/`` with a ``meta.json`` (period, label, unit — None for the whole district —,
scope name, generated_at, headline, ``files`` by format). The caller sees only briefings of units in
their subtree (the district's briefing only from the district), and downloads only files such an
entry lists: a download names the entry's directory and the file, both looked up, never joined
onto a path from the request.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from yuqing.console.access import Principal
from yuqing.pipeline.briefing import list_archive
from yuqing.pipeline.core.context import Context

FORMAT_LABELS = {"docx": "Word", "pdf": "PDF", "html": "网页", "md": "Markdown", "json": "数据"}
FORMAT_ORDER = ("docx", "pdf", "html", "md", "json")
MEDIA_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "pdf": "application/pdf", "html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8",
               "json": "application/json"}


def _archive(ctx: Context) -> list[dict]:
    return list_archive(ctx)


def _when(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def list_for(ctx: Context, who: Principal) -> list[dict]:
    """Visible entries, newest period first, each with its downloadable ``files``."""
    root_id = who.org.root.id
    visible = []
    for meta in _archive(ctx):
        unit = meta.get("unit") or root_id
        if not who.sees_unit(unit) or not meta.get("dir"):
            continue
        folder = Path(meta["dir"])
        files = []
        for fmt in sorted(meta.get("files") or {}, key=lambda f: FORMAT_ORDER.index(f) if f in FORMAT_ORDER else 99):
            path = folder / Path(str(meta["files"][fmt])).name
            if path.is_file():
                files.append({"format": fmt, "label": FORMAT_LABELS.get(fmt, fmt.upper()), "name": path.name,
                              "size": path.stat().st_size, "path": path,
                              "href": f"{folder.name}/{path.name}"})
        if not files:
            continue
        generated = _when(meta.get("generated_at")) or datetime.fromtimestamp(folder.stat().st_mtime, timezone.utc)
        unit_obj = who.org.get(unit)
        scope = meta.get("scope_name") or (unit_obj.name if unit_obj else unit)
        visible.append({"key": folder.name, "period": meta.get("period", ""), "label": meta.get("label", ""),
                        "unit": unit, "unit_name": scope, "headline": meta.get("headline", ""),
                        "posts": meta.get("posts"), "generated_at": generated, "files": files,
                        "title": meta.get("title") or (f"{scope}舆情周报" + (f" · {meta['label']}" if meta.get("label") else ""))})
    visible.sort(key=lambda e: (str(e["period"]), e["generated_at"].timestamp()), reverse=True)
    return visible


def find_file(ctx: Context, who: Principal, key: str, name: str) -> dict | None:
    """File ``name`` of the visible briefing whose directory is ``key``, or None."""
    for e in list_for(ctx, who):
        if e["key"] == key:
            for f in e["files"]:
                if f["name"] == name:
                    return {**f, "entry": e}
    return None


def human_size(n: float) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
