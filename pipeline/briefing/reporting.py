"""Grassroots reporting (信息报送) in the briefings: the numbers of a period and their section.

:func:`collect_reporting` — for the weekly briefing's section and the monthly 通报
(:mod:`.bulletin`):

* **received** per reporting unit: the post store's own query — reports are posts of platform
  ``report`` whose ``source`` is ``report-<reporting unit>`` (:mod:`yuqing.alerts.report_post`),
  so ``yuqing stats --platform report --by source --since … --until …`` gives the same numbers
  on SQLite and Elasticsearch; rolled up to the 街乡 (the level below the scope) through the
  hierarchy;
* **adopted** at each level (街乡, 区), **urgent**, **awaiting review**, **time to first review**,
  **correspondents** — from the reports table (:mod:`yuqing.alerts.reports`) for the reports
  submitted in the period (adoption counted as of the time of writing);
* **responses** (回应口径) drafted or published in the period, with where and when they were
  published.

Who reported and what workers said never reach a briefing: the weekly section counts units only,
quotes no report text; the monthly 通报 names correspondents (the people it commends), not
workers. The texts both share are :func:`summary_text` and :func:`response_items`; the sections
are written in :mod:`.outline` (weekly) and :mod:`.bulletin` (monthly).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from yuqing.alerts.report_post import unit_of_source
from yuqing.alerts.reports import Reports
from yuqing.alerts.responses import Responses
from yuqing.pipeline.core.names import RESPONSE_STATUS_NAMES
from yuqing.pipeline.store.base import PostFilter, PostStore

if TYPE_CHECKING:
    from yuqing.pipeline.briefing.labels import Labels
    from yuqing.pipeline.briefing.period import Period
    from yuqing.pipeline.core.context import Context

TOP_UNITS = 15


def received_by_unit(store: PostStore, period: Period) -> dict[str, int]:
    """Reports received in ``period`` per reporting unit — the store's own aggregation."""
    rows = store.aggregate(PostFilter(since=period.start, until=period.end, platforms=("report",)), by=["source"])
    out: dict[str, int] = {}
    for row in rows:
        unit = unit_of_source(row.keys["source"])
        if unit is not None:
            out[unit] = out.get(unit, 0) + row.posts
    return out


def _branch(labels: Labels, scope: str, unit: str) -> str | None:
    """The unit one level below ``scope`` on ``unit``'s path (``unit`` itself at that level)."""
    path = labels.org.path(unit) if labels.org is not None and unit in labels.org else [unit]
    if scope not in path:
        return None
    i = path.index(scope)
    return path[i - 1] if i > 0 else None


def collect_reporting(ctx: Context, store: PostStore, period: Period, unit: str | None,
                      labels: Labels) -> dict[str, Any]:
    org = labels.org
    scope = unit or (org.root.id if org is not None else "")
    in_scope = labels.subtree(scope) if org is not None else None
    received = {u: n for u, n in received_by_unit(store, period).items() if in_scope is None or u in in_scope}
    reports = Reports(ctx).list(since=period.start, until=period.end, reporter_units=in_scope, limit=1_000_000)
    per_unit: dict[str, Counter] = defaultdict(Counter)
    people: dict[str, Counter] = defaultdict(Counter)
    names: dict[str, tuple[str, str]] = {}
    waits = []
    for r in reports:
        c = per_unit[r.reporter_unit_id]
        c["filed"] += 1
        levels = r.adopted_levels()
        c["adopted"] += bool(levels)
        for lv in levels:
            c[lv] += 1
        c["urgent"] += r.urgency == "urgent"
        c["pending"] += r.first_reviewed_at is None and r.status != "returned"
        c["returned"] += r.status == "returned"
        p = people[r.reporter_username]
        p.update({"received": 1, "adopted": int(bool(levels)), "district": int("district" in levels),
                  "subdistrict": int("subdistrict" in levels)})
        names[r.reporter_username] = (r.reporter_name or r.reporter_username, r.reporter_unit_id)
        if r.first_reviewed_at is not None:
            waits.append((r.first_reviewed_at - r.created_at).total_seconds() / 3600)
    units = sorted(set(received) | set(per_unit))
    rows = [{"unit": u, "name": labels.unit(u), "level": labels.level(u), "received": int(received.get(u, 0)),
             "filed": per_unit[u]["filed"], "adopted": per_unit[u]["adopted"],
             "subdistrict": per_unit[u]["subdistrict"], "district": per_unit[u]["district"],
             "urgent": per_unit[u]["urgent"], "pending": per_unit[u]["pending"]} for u in units]
    rows.sort(key=lambda r: (-r["adopted"], -r["district"], -r["received"], r["unit"]))
    branches: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        b = _branch(labels, scope, r["unit"]) if org is not None else None
        key = b or scope
        for k in ("received", "adopted", "subdistrict", "district", "urgent"):
            branches[key][k] += r[k]
    branch_rows = sorted(({"unit": b, "name": labels.unit(b), **{k: int(v) for k, v in c.items()}}
                          for b, c in branches.items()), key=lambda r: (-r.get("received", 0), r["unit"]))
    correspondents = sorted(({"name": names[u][0], "unit": names[u][1], "unit_name": labels.unit(names[u][1]),
                              **{k: int(v) for k, v in c.items()}} for u, c in people.items()),
                            key=lambda r: (-r["adopted"], -r["district"], -r["received"], r["name"]))
    total = sum(received.values())
    return {
        "received": total, "filed": len(reports),
        "not_in_store": max(0, len(reports) - total),
        "adopted": sum(r["adopted"] for r in rows), "subdistrict": sum(r["subdistrict"] for r in rows),
        "district": sum(r["district"] for r in rows), "urgent": sum(r["urgent"] for r in rows),
        "pending": sum(r["pending"] for r in rows), "returned": sum(per_unit[u]["returned"] for u in per_unit),
        "reporting_units": sum(1 for r in rows if r["received"] or r["filed"]),
        "first_review_hours": round(statistics.mean(waits), 1) if waits else None,
        "reviewed": len(waits), "units": rows, "branches": branch_rows, "correspondents": correspondents,
        "responses": _responses(ctx, period, in_scope, labels),
    }


def _responses(ctx: Context, period: Period, in_scope: set[str] | None, labels: Labels) -> list[dict[str, Any]]:
    out = []
    for row in Responses(ctx).list(since=period.start, until=period.end, units=in_scope):
        pubs = [(p, datetime.fromisoformat(p["at"]).astimezone(ctx.tz)) for p in row.publications or []]
        about = f"事件#{row.incident_id}" if row.incident_id else f"报送#{row.report_id}"
        out.append({"id": row.id, "about": about, "unit": labels.unit(row.unit_id), "text": row.text,
                    "status": RESPONSE_STATUS_NAMES.get(row.status, row.status), "outlets": row.outlets,
                    "published": [{"where": p["where"], "url": p.get("url", ""), "at": f"{at:%m-%d %H:%M}"}
                                  for p, at in pubs if period.start <= at < period.end]})
    return sorted(out, key=lambda r: r["id"])


def _hours(h: float | None) -> str:
    if h is None:
        return "暂无审核记录"
    return f"{h * 60:.0f}分钟" if h < 1 else f"{h:g}小时"


def summary_text(rep: dict[str, Any], when: str) -> str:
    if not rep["received"] and not rep["filed"]:
        return f"{when}未收到基层工会的信息报送。"
    text = (f"{when}共收到{rep['reporting_units']}个基层单位报送的舆情信息{rep['received']}条"
            + (f"（其中紧急{rep['urgent']}条）" if rep["urgent"] else "")
            + f"，已采用{rep['adopted']}条（街乡级{rep['subdistrict']}条、区级{rep['district']}条），"
            f"退回{rep['returned']}条，待审核{rep['pending']}条；平均首次审核用时{_hours(rep['first_review_hours'])}。")
    if rep["not_in_store"]:
        text += f"另有{rep['not_in_store']}条报送尚未入库。"
    return text


def response_items(rep: dict[str, Any]) -> list[str]:
    items = []
    for r in rep["responses"]:
        where = "；".join(f"{p['where']}（{p['at']}）" for p in r["published"])
        items.append(f"【{r['status']}】{r['unit']}就{r['about']}：{r['text'][:120]}"
                     + (f" 已发布于：{where}" if where else (f" 拟发布于：{r['outlets']}" if r["outlets"] else "")))
    return items
