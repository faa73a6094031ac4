"""Notification text: one short Chinese message per notice, rendered from
``alerts/templates/notice.txt.j2`` (text lives in the template, not in code).

A :class:`Message` has a ``subject`` (first line; the e-mail subject), a ``body`` (the whole
text; robots post it as is) and a ``payload`` (structured copy for the generic JSON webhook).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from yuqing.alerts.models import iso
from yuqing.pipeline.core.names import SEVERITY_NAMES

if TYPE_CHECKING:
    from yuqing.alerts.models import Incident
    from yuqing.pipeline.core.org import Unit

TEMPLATES = Path(__file__).resolve().parent / "templates"

HEADLINES = {
    "opened": "新发现，请尽快核实并确认。",
    "updated": "出现新的高风险帖子。",
    "reopened": "事件已重新打开。",
    "escalated:timeout": "下级单位超时未确认，已升级通知本单位。",
    "escalated:growing": "确认后仍在增长，已升级通知本单位。",
    "escalated:severity": "事态加重，已升级通知本单位。",
    "acknowledged": "已由{by}确认处置，暂停超时升级。{note}",
    "resolved": "已由{by}处置完毕：{note}",
}


@dataclass
class Notice:
    incident: Incident
    unit: Unit               # the unit whose officers receive it
    reason: str              # opened | updated | reopened | escalated:<why>
    console_url: str
    tz: Any
    at: datetime
    chain: tuple[str, ...] = ()   # names of the units notified so far, lowest first
    by: str | None = None         # who acknowledged / resolved
    note: str | None = None


@dataclass
class Message:
    subject: str
    body: str
    payload: dict[str, Any]


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                       keep_trailing_newline=False, autoescape=False)


def _window_name(window: str) -> str:
    return {"1h": "1小时", "6h": "6小时", "24h": "24小时"}.get(window, window.replace("h", "小时"))


def _growth(counts: dict) -> str:
    expected, posts = float(counts.get("expected", 0) or 0), counts.get("posts", 0)
    if expected < 0.5:
        return "平时几乎没有"
    return f"是平时的 {posts / expected:.1f} 倍"


def snippet(text: str, n: int = 40) -> str:
    flat = " ".join(text.split())
    return flat[:n] + ("…" if len(flat) > n else "")


def render_notice(notice: Notice) -> Message:
    inc = notice.incident
    counts = dict(inc.counts or {})
    trend = "expected" in counts and "posts" in counts
    link = f"{notice.console_url.rstrip('/')}/incidents/{inc.id}"
    evidence = [{"snippet": snippet(e.get("text", "")), "url": e.get("url", "")} for e in (inc.evidence or [])[:3]]
    rules = "、".join(counts.get("rules", [])) if isinstance(counts.get("rules"), list) else ""
    text = _env().get_template("notice.txt.j2").render(
        inc=inc, c={"posts": counts.get("posts", 0), "authors": counts.get("authors", 0),
                    "clusters": counts.get("clusters", 0), "engagement": counts.get("engagement", 0),
                    "expected": float(counts.get("expected", 0) or 0)},
        trend=trend, window_name=_window_name(str(counts.get("window", ""))), growth=_growth(counts),
        severity_name=SEVERITY_NAMES.get(inc.severity, inc.severity), topic_name=inc.topic_name or inc.topic,
        headline=HEADLINES.get(notice.reason, "").format(by=notice.by or "", note=notice.note or ""),
        evidence=evidence, rules=rules,
        link=link,
        chain="、".join(notice.chain) or inc.escalated_to_name)
    lines = [line for line in text.strip().splitlines()]
    payload = {
        "type": "incident", "reason": notice.reason, "incident_id": inc.id, "unit_id": inc.unit_id,
        "unit_name": inc.unit_name, "level": inc.unit_level, "topic": inc.topic, "topic_name": inc.topic_name,
        "severity": inc.severity, "status": inc.status, "escalated_to": inc.escalated_to,
        "counts": counts, "evidence": [{"id": e.get("id"), "url": e.get("url")} for e in inc.evidence or []][:3],
        "link": link, "ack_command": f"yuqing alerts ack {inc.id} --by 姓名", "at": iso(notice.at),
        "text": "\n".join(lines),
    }
    return Message(subject=lines[0], body="\n".join(lines), payload=payload)
