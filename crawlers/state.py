"""Per-source crawl state in the data dir: cursors, pause, run history, cookie verdicts.

One JSON file per source, ``<data dir>/crawl/<source>.json``, guarded by a file lock so a scheduled
run and ``yuqing sources`` never tear it::

    {"cursors": {"keyword:朝阳 欠薪": {"newest_at": ISO, "newest_id": "weibo:…", "updated_at": ISO}},
     "paused_until": ISO | null, "pause_kind": "ban", "pause_reason": "…", "consecutive_blocks": 2,
     "last_success": ISO, "newest_item_at": ISO, "alerted_status": "banned",
     "runs": [RunRecord, … newest last, at most ``crawl.history``],
     "cookies": {"weibo#0": {"status": "login", "at": ISO, "reason": "…"}}}

**Cursor semantics.** A cursor remembers the newest publish time (and id) seen for one target
(keyword, account, board, feed). The next run reads back to ``newest_at − lookback_hours`` — the
bounded look-back that refreshes edited posts, late comments and metrics — and stops paging there.
A cursor only moves forward, and only for a target whose listing was walked to its end without
error or block in that run, so a broken run never leaves a gap.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass
class RunRecord:
    """One finished run of a source (also the end-of-run summary)."""

    source: str
    started_at: str
    finished_at: str = ""
    status: str = "ok"            # ok | partial (errors) | blocked | failed | skipped (paused)
    pages: int = 0
    items: int = 0
    new: int = 0
    duplicates: int = 0           # already stored / seen twice in the run / near-duplicates
    updated: int = 0
    errors: int = 0
    bans: int = 0
    deleted: int = 0              # deleted/expired posts met (skipped or kept as stubs)
    spooled: int = 0              # handed to ingest while the store was unreachable (replayed later)
    block_kind: str | None = None
    block_reason: str | None = None
    error_samples: list[str] = field(default_factory=list)
    out: str | None = None
    newest_item_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class SourceState:
    """Load, change and save one source's state (use :meth:`locked`)."""

    def __init__(self, path: Path, data: dict[str, Any]):
        self.path = path
        self.data = data

    # -- persistence ---------------------------------------------------------------------

    @staticmethod
    def path_for(data_dir: Path, name: str) -> Path:
        return Path(data_dir) / "crawl" / f"{name}.json"

    @classmethod
    def load(cls, data_dir: Path, name: str) -> SourceState:
        path = cls.path_for(data_dir, name)
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except ValueError as exc:
                broken = path.with_suffix(f".broken-{utcnow():%Y%m%dT%H%M%S}.json")
                path.rename(broken)
                data = {"recovered_from": str(broken), "recovery_reason": str(exc)}
        else:
            data = {}
        data.setdefault("source", name)
        data.setdefault("cursors", {})
        data.setdefault("runs", [])
        data.setdefault("cookies", {})
        return cls(path, data)

    @classmethod
    @contextmanager
    def locked(cls, data_dir: Path, name: str):
        """Read-modify-write under a lock; saved when the block exits without error."""
        path = cls.path_for(data_dir, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(path) + ".lock", timeout=60):
            state = cls.load(data_dir, name)
            yield state
            state.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.data, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(self.path)

    # -- cursors -------------------------------------------------------------------------

    def cursor(self, target: str) -> dict[str, Any] | None:
        return self.data["cursors"].get(target)

    def floor(self, target: str, lookback_hours: float) -> datetime | None:
        """Oldest publish time this run needs for ``target`` (None: no cursor, read everything)."""
        cur = self.cursor(target)
        if not cur or not cur.get("newest_at"):
            return None
        return parse_iso(cur["newest_at"]) - timedelta(hours=lookback_hours)

    def advance(self, target: str, newest_at: datetime, newest_id: str, now: datetime) -> bool:
        """Move the cursor forward (never back); True if it moved."""
        cur = self.cursor(target)
        if cur and cur.get("newest_at") and parse_iso(cur["newest_at"]) >= newest_at:
            cur["checked_at"] = iso(now)
            return False
        self.data["cursors"][target] = {"newest_at": iso(newest_at), "newest_id": newest_id,
                                        "updated_at": iso(now), "checked_at": iso(now)}
        return True

    # -- pause ---------------------------------------------------------------------------

    def paused_until(self, now: datetime | None = None) -> datetime | None:
        until = parse_iso(self.data.get("paused_until"))
        if until and until > (now or utcnow()):
            return until
        return None

    def pause(self, kind: str, reason: str, now: datetime, first_minutes: float, max_hours: float) -> datetime:
        """Pause after a block; each consecutive block doubles the pause (capped)."""
        n = int(self.data.get("consecutive_blocks", 0)) + 1
        minutes = min(first_minutes * (2 ** (n - 1)), max_hours * 60)
        until = now + timedelta(minutes=minutes)
        self.data.update(consecutive_blocks=n, paused_until=iso(until), pause_kind=kind,
                         pause_reason=reason, paused_at=iso(now))
        return until

    def resume(self) -> None:
        for key in ("paused_until", "pause_kind", "pause_reason", "paused_at"):
            self.data.pop(key, None)
        self.data["consecutive_blocks"] = 0

    # -- runs ----------------------------------------------------------------------------

    def add_run(self, run: RunRecord, keep: int) -> None:
        self.data["runs"].append(run.as_dict())
        del self.data["runs"][:-keep]
        if run.status in ("ok", "partial"):
            self.data["last_success"] = run.finished_at
            if run.status == "ok":
                self.data["consecutive_blocks"] = 0
        if run.newest_item_at:
            old = parse_iso(self.data.get("newest_item_at"))
            new = parse_iso(run.newest_item_at)
            if old is None or new > old:
                self.data["newest_item_at"] = run.newest_item_at

    @property
    def runs(self) -> list[dict[str, Any]]:
        return self.data["runs"]

    # -- cookies -------------------------------------------------------------------------

    def cookie_verdict(self, key: str, status: str, reason: str, now: datetime) -> None:
        self.data["cookies"][key] = {"status": status, "reason": reason, "at": iso(now)}

    def dead_cookies(self) -> set[str]:
        return {k for k, v in self.data["cookies"].items() if v.get("status") not in ("ok", None)}
