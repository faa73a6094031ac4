"""Small inline SVG charts (no scripts, no external assets, allowed by a strict CSP).

:func:`line_chart` draws time series on a shared time axis; :func:`bar_list` draws labelled
horizontal bars. Both return markup safe to insert with ``|safe`` — every text is escaped here.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from html import escape

PALETTE = ("#c0392b", "#2c6fbb", "#e67e22", "#27ae60", "#8e44ad", "#16a085", "#7f8c8d")


def _empty_chart(width: int, height: int, label: str, text_y: float | None = None) -> str:
    """The placeholder drawn where a chart has no data (``label`` is already escaped)."""
    y = height / 2 if text_y is None else text_y
    return (f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{label}">'
            f'<text x="{width / 2}" y="{y}" text-anchor="middle" class="empty">暂无数据</text></svg>')

def nice_scale(vmax: float, ticks: int = 4) -> tuple[float, float]:
    """(axis maximum, tick step) with steps of 1, 2 or 5 × 10^k and about ``ticks`` intervals."""
    if vmax <= 0:
        return 1.0, 0.25
    raw = vmax / ticks
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    if vmax >= 1 and step < 1:
        step = 1.0
    return step * math.ceil(vmax / step - 1e-9), step


def fill_buckets(start: datetime, end: datetime, step_seconds: int, values: dict[datetime, float]) -> tuple[
        list[datetime], list[float]]:
    """Every bucket from the first key at or after ``start`` (aligned like the store's) up to ``end``,
    zero where the store returned nothing — quiet hours must show as zero, not be skipped."""
    if not values:
        return [], []
    first = min(values)
    step = timedelta(seconds=step_seconds)
    while first - step >= start:
        first -= step
    times, t = [], first
    while t < end:
        times.append(t)
        t += step
    return times, [values.get(t, 0.0) for t in times]


def responsive(draw, **kwargs) -> str:
    """Two renderings of one chart — wide for desks, narrow (bigger text) for phones; CSS shows one."""
    wide = draw(width=720, **kwargs)
    narrow = draw(width=400, **kwargs)
    return f'<div class="chart-wide">{wide}</div><div class="chart-narrow">{narrow}</div>'


def line_chart(times: list[datetime], series: list[tuple[str, list[float]]], *, tz, title: str,
               width: int = 720, height: int = 220, percent: bool = False, time_fmt: str = "%m-%d",
               mark: datetime | None = None, mark_label: str = "") -> str:
    """Lines over ``times`` (bucket starts); ``series`` is [(name, values)], one value per time."""
    left, right, top, bottom = 44, 12, 14, 28
    legend, lx, row = [], 44, 0
    if len(series) > 1:  # lay the legend out first: it may need several rows on a narrow chart
        for idx, (name, _) in enumerate(series):
            need = 24 + 13 * len(name)
            if lx + need > width and lx > left:
                lx, row = left, row + 1
            legend.append((idx, name, lx, row))
            lx += need
        bottom += 18 * (row + 1)
        height += 18 * row
    w, h = width - left - right, height - top - bottom
    n = len(times)
    label = escape(title)
    if n == 0:
        return _empty_chart(width, height, label)
    vmax = max([v for _, vals in series for v in vals if v is not None] + [0])
    if percent:
        ymax, ystep = nice_scale(vmax * 100 if vmax > 0 else 100)
        ymax, ystep = min(ymax, 100) / 100, ystep / 100
    else:
        ymax, ystep = nice_scale(vmax)

    def x(i: float) -> float:
        return left + (w * i / (n - 1) if n > 1 else w / 2)

    def y(v: float) -> float:
        return top + h - (h * v / ymax if ymax else 0)

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{label}">',
             f"<title>{label}</title>"]
    for k in range(round(ymax / ystep) + 1):
        v = ystep * k
        yy = y(v)
        text = f"{v * 100:.0f}%" if percent else (f"{v:.0f}" if ystep >= 1 else f"{v:g}")
        parts.append(f'<line x1="{left}" x2="{left + w}" y1="{yy:.1f}" y2="{yy:.1f}" class="grid"/>'
                     f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end" class="tick">{text}</text>')
    ticks = min(n, 7 if width >= 600 else 4)
    for k in range(ticks):
        i = round(k * (n - 1) / (ticks - 1)) if ticks > 1 else 0
        parts.append(f'<text x="{x(i):.1f}" y="{top + h + 16}" text-anchor="middle" class="tick">'
                     f"{escape(times[i].astimezone(tz).strftime(time_fmt))}</text>")
    if mark is not None and n > 1 and times[0] <= mark <= times[-1]:
        span = (times[-1] - times[0]).total_seconds() or 1
        mx = left + w * (mark - times[0]).total_seconds() / span
        parts.append(f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{top}" y2="{top + h}" class="mark"/>'
                     f'<text x="{mx + 4:.1f}" y="{top + 10}" class="mark-label">{escape(mark_label)}</text>')
    for idx, (name, vals) in enumerate(series):
        color = PALETTE[idx % len(PALETTE)]
        runs, run = [], []  # None (no data) breaks the line
        for i, v in enumerate(vals):
            if v is None:
                runs, run = runs + [run] if run else runs, []
            else:
                run.append(f"{x(i):.1f},{y(v):.1f}")
        runs += [run] if run else []
        for pts in runs:
            parts.append(f'<polyline points="{" ".join(pts)}" fill="none" stroke="{color}" stroke-width="2" '
                         f'stroke-linejoin="round"><title>{escape(name)}</title></polyline>')
        if n <= 48:
            for i, v in enumerate(vals):
                if v is None:
                    continue
                shown = f"{v * 100:.0f}%" if percent else f"{v:g}"
                stamp = times[i].astimezone(tz).strftime("%m-%d %H:%M")
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{color}">'
                             f"<title>{escape(name)} {stamp}: {shown}</title></circle>")
    rows = legend[-1][3] + 1 if legend else 0
    for idx, name, lx, row in legend:
        color = PALETTE[idx % len(PALETTE)]
        ly = height - 18 * (rows - row) + 4
        parts.append(f'<rect x="{lx}" y="{ly}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{lx + 14}" y="{ly + 9}" class="legend">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_list(items: list[tuple[str, float, float]], *, title: str, width: int = 440,
             unit_label: str = "条") -> str:
    """Horizontal bars: [(label, total, highlighted part)] — the part (e.g. negative posts) is drawn
    darker inside its bar."""
    label = escape(title)
    row, label_w, right = 26, 120, 84
    height = max(row * len(items) + 8, 40)
    if not items:
        return _empty_chart(width, 40, label, text_y=24)
    vmax = max(t for _, t, _ in items) or 1
    w = width - label_w - right
    parts = [f'<svg class="chart bars" viewBox="0 0 {width} {height}" role="img" aria-label="{label}">',
             f"<title>{label}</title>"]
    for i, (name, total, part) in enumerate(items):
        y = 4 + i * row
        bw, pw = w * total / vmax, w * part / vmax
        short = name if len(name) <= 8 else name[:7] + "…"
        pct = f"，负面 {part / total * 100:.0f}%" if total else ""
        parts.append(f'<g><title>{escape(name)}：{total:g} {unit_label}{pct}</title>'
                     f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" class="bar-label">{escape(short)}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{bw:.1f}" height="{row - 8}" class="bar"/>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{pw:.1f}" height="{row - 8}" class="bar-part"/>'
                     f'<text x="{label_w + bw + 6:.1f}" y="{y + 16}" class="bar-value">{total:g}'
                     f'{escape(pct.replace("，负面 ", " · 负"))}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def column_chart(times: list[datetime], totals: list[float], parts: list[float], *, tz, title: str,
                 total_label: str, part_label: str, width: int = 720, height: int = 220, time_fmt: str = "%m-%d",
                 mark: datetime | None = None, mark_label: str = "") -> str:
    """Counts over time as columns, ``parts`` (e.g. negative posts) drawn darker inside each column.
    Sparse hours read better as columns than as a line jumping between zero and one."""
    left, right, top, bottom = 44, 12, 14, 46
    w, h = width - left - right, height - top - bottom
    n = len(times)
    label = escape(title)
    if n == 0:
        return _empty_chart(width, height, label)
    ymax, ystep = nice_scale(max(totals + [0]))
    slot = w / n
    bar = max(slot * 0.8, 1.0)

    def y(v: float) -> float:
        return top + h - h * v / ymax

    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{label}">',
           f"<title>{label}</title>"]
    for k in range(round(ymax / ystep) + 1):
        v = ystep * k
        out.append(f'<line x1="{left}" x2="{left + w}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid"/>'
                   f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" class="tick">{v:g}</text>')
    for i, (t, total, part) in enumerate(zip(times, totals, parts, strict=True)):
        x = left + i * slot + (slot - bar) / 2
        stamp = escape(t.astimezone(tz).strftime("%m-%d %H:%M"))
        tip = f"{stamp}：{escape(total_label)} {total:g}，{escape(part_label)} {part:g}"
        if total:
            out.append(f'<g><title>{tip}</title>'
                       f'<rect x="{x:.1f}" y="{y(total):.1f}" width="{bar:.1f}" height="{y(0) - y(total):.1f}" class="col"/>'
                       f'<rect x="{x:.1f}" y="{y(part):.1f}" width="{bar:.1f}" height="{y(0) - y(part):.1f}" '
                       f'class="col-part"/></g>')
    ticks = min(n, 7 if width >= 600 else 4)
    for k in range(ticks):
        i = round(k * (n - 1) / (ticks - 1)) if ticks > 1 else 0
        out.append(f'<text x="{left + (i + 0.5) * slot:.1f}" y="{top + h + 16}" text-anchor="middle" class="tick">'
                   f"{escape(times[i].astimezone(tz).strftime(time_fmt))}</text>")
    if mark is not None and times[0] <= mark:
        span = (times[-1] - times[0]).total_seconds() + (times[1] - times[0]).total_seconds() if n > 1 else 1
        mx = left + min(w, w * (mark - times[0]).total_seconds() / span)
        out.append(f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{top}" y2="{top + h}" class="mark"/>'
                   f'<text x="{mx - 4:.1f}" y="{top + 10}" text-anchor="end" class="mark-label">{escape(mark_label)}</text>')
    ly = height - 12
    out.append(f'<rect x="{left}" y="{ly}" width="10" height="10" class="col"/>'
               f'<text x="{left + 14}" y="{ly + 9}" class="legend">{escape(total_label)}</text>'
               f'<rect x="{left + 34 + 13 * len(total_label)}" y="{ly}" width="10" height="10" class="col-part"/>'
               f'<text x="{left + 48 + 13 * len(total_label)}" y="{ly + 9}" class="legend">{escape(part_label)}</text>')
    out.append("</svg>")
    return "".join(out)
