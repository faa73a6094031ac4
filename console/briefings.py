"""The weekly briefing archive as the caller may see it.

Entries come from ``pipeline.briefing.list_archive(ctx)`` (files under ``data_dir/briefings/``).
A briefing covers one unit (None: the whole district, i.e. the root unit); the caller sees only
briefings of units in their subtree, and downloads only files that such an entry lists — a name
is looked up, never joined onto a path.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from console.access import Principal
from pipeline.context import Context

FORMAT_LABELS = {"docx": "Word", "pdf": "PDF", "html": "网页", "md": "Markdown", "json": "数据", "png": "图表"}
MEDIA_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "pdf": "application/pdf", "html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8",
               "json": "application/json", "png": "image/png", "csv": "text/csv; charset=utf-8"}


def _get(entry, key, default=None):
    return entry.get(key, default) if isinstance(entry, dict) else getattr(entry, key, default)


def _entries(ctx: Context) -> list[dict]:
    try:
        from pipeline.briefing import list_archive
    except ImportError:  # briefing area not installed: read the directory
        list_archive = None
    out = []
    if list_archive is not None:
        for e in list_archive(ctx):
            paths = _get(e, "paths") or {}
            if not paths and _get(e, "path"):
                p = Path(_get(e, "path"))
                paths = {p.suffix.lstrip("."): p}
            out.append({"week": str(_get(e, "week", "") or ""), "unit": _get(e, "unit") or _get(e, "unit_id"),
                        "title": _get(e, "title") or "",
                        "paths": {str(k): Path(v) for k, v in dict(paths).items()},
                        "created_at": _get(e, "created_at") or _get(e, "generated_at")})
        return out
    root = ctx.data_dir / "briefings"
    for p in sorted(root.rglob("*")) if root.is_dir() else []:
        if p.is_file():
            out.append({"week": p.stem, "unit": None, "title": "", "paths": {p.suffix.lstrip("."): p},
                        "created_at": None})
    return out


def list_for(ctx: Context, who: Principal) -> list[dict]:
    """Visible entries, newest week first; each path has a download ``name``."""
    root_id = who.org.root.id
    visible = []
    for e in _entries(ctx):
        unit = e["unit"] or root_id
        if not who.sees_unit(unit):
            continue
        unit_obj = who.org.get(unit)
        files = []
        for fmt, path in sorted(e["paths"].items()):
            if path.is_file():
                st = path.stat()
                files.append({"format": fmt, "label": FORMAT_LABELS.get(fmt, fmt.upper()), "name": path.name,
                              "size": st.st_size, "path": path})
        if not files:
            continue
        created = e["created_at"]
        if created is None:
            created = datetime.fromtimestamp(max(f["path"].stat().st_mtime for f in files), timezone.utc)
        elif isinstance(created, str):
            created = datetime.fromisoformat(created)
        visible.append({**e, "unit": unit, "unit_name": unit_obj.name if unit_obj else unit, "files": files,
                        "created_at": created})
    visible.sort(key=lambda e: (e["week"], e["created_at"].timestamp()), reverse=True)
    return visible


def find_file(ctx: Context, who: Principal, name: str) -> dict | None:
    """The file called ``name`` among the caller's visible briefings, or None."""
    for e in list_for(ctx, who):
        for f in e["files"]:
            if f["name"] == name:
                return {**f, "entry": e}
    return None


def human_size(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
