"""The monthly 信息报送通报: how many reports each grassroots unit sent and how many were adopted,
ranking units and correspondents by adopted reports — in the briefing's official layout (same
Word writer, HTML and Markdown renderers: :mod:`.docx_writer`, :mod:`.render`).

Numbers come from :func:`yuqing.pipeline.briefing.reporting.collect_reporting` (received from the
post store's own aggregation, adoption from the reports table); the ranking is by reports adopted
(at any level), then adopted at the district, then received. Written to the archive
(``data_dir/briefings/<YYYY-MM>-reporting[-<unit>]/``) with ``data.json`` and ``meta.json``, so the
console's briefing archive lists it. ``yuqing briefing reporting --month 2026-11``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yuqing.pipeline.briefing import archive
from yuqing.pipeline.briefing.build import BriefingError, BriefingResult
from yuqing.pipeline.briefing.docx_writer import write_docx
from yuqing.pipeline.briefing.labels import load_labels
from yuqing.pipeline.briefing.outline import Section, masthead
from yuqing.pipeline.briefing.period import Period, last_complete_month, parse_month
from yuqing.pipeline.briefing.render import write_html, write_markdown
from yuqing.pipeline.briefing.reporting import collect_reporting, response_items, summary_text
from yuqing.pipeline.store import open_store

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

RANK_ROWS = 20


def _overview(rep: dict[str, Any], label: str) -> Section:
    s = Section(1, "总体情况")
    s.add("para", text=summary_text(rep, f"{label}，"))
    if rep["received"]:
        share = rep["adopted"] / rep["received"] * 100 if rep["received"] else 0
        s.add("para", text=f"采用率{share:.1f}%。紧急信息做到第一时间上报的{rep['urgent']}条。")
    return s


def _branches(rep: dict[str, Any]) -> Section:
    s = Section(2, "各街乡报送与采用情况")
    if not rep["branches"] or not rep["received"]:
        s.add("para", text="本月各街乡均未报送信息。")
        return s
    s.add("table", headers=["街乡", "报送", "采用", "街乡级采用", "区级采用", "紧急"], rows=[
        [b["name"], str(b.get("received", 0)), str(b.get("adopted", 0)), str(b.get("subdistrict", 0)),
         str(b.get("district", 0)), str(b.get("urgent", 0))] for b in rep["branches"]],
        note="按报送单位所属街乡汇总；采用数为截至成文时本月报送信息的采用情况。")
    return s


def _units(rep: dict[str, Any]) -> Section:
    s = Section(3, "基层单位排名")
    rows = [u for u in rep["units"] if u["received"] or u["filed"]]
    if not rows:
        s.add("para", text="本月无基层单位报送信息。")
        return s
    best = "、".join(u["name"] for u in rows[:3] if u["adopted"])
    if best:
        s.add("para", text=f"按采用数排名，{best}报送信息质量较高，予以通报表扬。")
    s.add("table", headers=["名次", "单位", "报送", "采用", "区级采用", "紧急"], rows=[
        [str(i), u["name"], str(u["received"]), str(u["adopted"]), str(u["district"]), str(u["urgent"])]
        for i, u in enumerate(rows[:RANK_ROWS], 1)],
        widths_cm=[1.4, 5.6, 2.0, 2.0, 2.2, 2.4],
        note=None if len(rows) <= RANK_ROWS else f"列出前{RANK_ROWS}名（完整数据见 data.json）。")
    return s


def _people(rep: dict[str, Any]) -> Section:
    s = Section(4, "信息员排名")
    rows = [p for p in rep["correspondents"] if p["adopted"]]
    if not rows:
        s.add("para", text="本月暂无信息被采用的信息员。")
        return s
    s.add("table", headers=["名次", "信息员", "单位", "报送", "采用", "区级采用"], rows=[
        [str(i), p["name"], p["unit_name"], str(p["received"]), str(p["adopted"]), str(p["district"])]
        for i, p in enumerate(rows[:RANK_ROWS], 1)], widths_cm=[1.4, 3.0, 5.2, 2.0, 2.0, 2.0])
    return s


def _responses(rep: dict[str, Any]) -> Section:
    s = Section(5, "工会回应口径")
    items = response_items(rep)
    if items:
        s.add("bullets", items=items)
    else:
        s.add("para", text="本月未发布回应口径。")
    return s


def requirement_items(rep: dict[str, Any]) -> list[str]:
    items = ["各基层工会要发挥信息员作用，对涉及职工切身利益的热点问题、社情民意和职工诉求，做到第一时间发现、第一时间上报。",
             "紧急信息（群体性事件、高处讨薪、伤亡等）须即时报送，报送后保持联系、跟进报告处置进展。"]
    if rep["pending"]:
        items.append(f"尚有{rep['pending']}条报送待审核，请各街乡工会及时审核，对有价值的信息及时采用并上报。")
    silent = [b["name"] for b in rep["branches"] if not b.get("received")]
    if silent:
        items.append("本月未报送信息的单位：" + "、".join(silent) + "，请加强信息报送工作。")
    return items


def _requirements(rep: dict[str, Any]) -> Section:
    s = Section(6, "工作要求")
    s.add("bullets", items=requirement_items(rep))
    return s


def bulletin_outline(data: dict[str, Any]) -> list[Section]:
    rep = data["reporting"]
    return [_overview(rep, data["period"]["label"]), _branches(rep), _units(rep), _people(rep), _responses(rep),
            _requirements(rep)]


def resolve_month(ctx: Context, month: str | None, now: datetime | None = None) -> Period:
    if month is None:
        return last_complete_month(now or datetime.now(timezone.utc), ctx.tz)
    try:
        return parse_month(month, ctx.tz)
    except ValueError as exc:
        raise BriefingError(str(exc)) from exc


def build_reporting_bulletin(ctx: Context, month: str | None = None, unit: str | None = None,
                             out_dir: Path | None = None, now: datetime | None = None) -> BriefingResult:
    """Write the 信息报送通报 of ``month`` (``2026-11``; ``None`` = last complete month)."""
    labels = load_labels(ctx)
    if unit and labels.org is not None and labels.org.get(unit) is None:
        raise BriefingError(f"unit {unit!r} is not in org.yaml (see `yuqing org show` for the ids)")
    period = resolve_month(ctx, month, now)
    generated = (now or datetime.now(timezone.utc)).astimezone(ctx.tz)
    store = open_store(ctx)
    store.refresh()
    cfg = ctx.settings.briefing
    data: dict[str, Any] = {
        "period": {"kind": period.kind, "key": period.key, "label": period.label, "start": period.start.isoformat(),
                   "end": period.end.isoformat()},
        "unit": unit, "scope_name": labels.unit(unit) if unit else (labels.root_name or cfg.issuer),
        "issuer": cfg.issuer, "generated_at": generated.isoformat(),
        "reporting": collect_reporting(ctx, store, period, unit, labels),
    }
    # what the briefing's mail (yuqing.pipeline.briefing.mail) and the CLI read of every briefing
    data["overview"] = {"headline": summary_text(data["reporting"], f"{period.label}，")}
    data["observations"] = {"findings": [], "advice": requirement_items(data["reporting"]), "watch": []}
    out = Path(out_dir) if out_dir else archive.archive_dir(ctx, f"{period.key}-reporting", unit)
    out.mkdir(parents=True, exist_ok=True)
    outline = bulletin_outline(data)
    stem = f"reporting-{period.key}" + (f"-{unit}" if unit else "")
    paths = {"docx": write_docx(out / f"{stem}.docx", data, outline, {}, generated),
             "html": write_html(out / f"{stem}.html", data, outline, {}, generated),
             "md": write_markdown(out / f"{stem}.md", data, outline, {}, generated)}
    paths["json"] = out / "data.json"
    paths["json"].write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    head = masthead(data, generated)
    rep = data["reporting"]
    archive.write_meta(out, {
        "kind": "month", "period": period.key, "label": period.label, "unit": unit, "title": head["title"],
        "scope_name": data["scope_name"], "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(), "generated_at": generated.isoformat(), "posts": rep["received"],
        "headline": data["overview"]["headline"], "files": {k: p.name for k, p in paths.items()}, "mailings": [],
    })
    return BriefingResult(period, unit, out, paths, {}, data, generated)
