"""The briefing archive: ``data_dir/briefings/<period>[-<unit>]/`` holding the .docx, .html,
.md, ``data.json`` (every number), ``charts/*.png`` and ``meta.json`` (what, when, mailed to whom).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

ARCHIVE_DIR = "briefings"


def archive_root(ctx: Context) -> Path:
    return ctx.path(ARCHIVE_DIR)


def archive_dir(ctx: Context, period_key: str, unit: str | None) -> Path:
    return archive_root(ctx) / (f"{period_key}-{unit}" if unit else period_key)


def write_meta(out_dir: Path, meta: dict[str, Any]) -> Path:
    path = out_dir / "meta.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)
    return path


def read_meta(out_dir: Path) -> dict[str, Any] | None:
    path = out_dir / "meta.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def record_mailing(out_dir: Path, recipients: list[str], at: datetime, error: str | None = None) -> None:
    meta = read_meta(out_dir) or {}
    meta.setdefault("mailings", []).append({"at": at.isoformat(), "to": recipients, "error": error})
    write_meta(out_dir, meta)


def list_archive(ctx: Context) -> list[dict[str, Any]]:
    """Archived briefings, newest period first: the ``meta.json`` of each with its ``dir``."""
    root = ctx.data_dir / ARCHIVE_DIR
    if not root.is_dir():
        return []
    out = []
    for sub in root.iterdir():
        meta = read_meta(sub) if sub.is_dir() else None
        if meta:
            meta["dir"] = str(sub)
            out.append(meta)
    out.sort(key=lambda m: (m.get("period_start", ""), m.get("unit") or "", m.get("generated_at", "")), reverse=True)
    return out
