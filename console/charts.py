"""Small inline SVG charts (no scripts, no external assets, allowed by a strict CSP).

:func:`line_chart` draws time series on a shared time axis; :func:`bar_list` draws labelled
horizontal bars. Both return markup safe to insert with ``|safe`` — every text is escaped here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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


@dataclass
class _Frame:
    """The plot area of a line chart: ``n`` points across ``w``, values 0…``ymax`` up ``h``."""

    left: int
    top: int
    w: int
    h: int
    n: int
    ymax: float

    def x(self, i: float) -> float:
        return self.left + (self.w * i / (self.n - 1) if self.n > 1 else self.w / 2)

    def y(self, v: float) -> float:
        return self.top + self.h - (self.h * v / self.ymax if self.ymax else 0)


def _legend_layout(names: list[str], width: int, left: int) -> list[tuple[int, str, int, int]]:
    """(series index, name, x, row) of each legend entry, wrapping to a new row at ``width``."""
    legend, lx, row = [], left, 0
    for idx, name in enumerate(names):
        need = 24 + 13 * len(name)
        if lx + need > width and lx > left:
            lx, row = left, row + 1
        legend.append((idx, name, lx, row))
        lx += need
    return legend


def _value_scale(series: list[tuple[str, list[float]]], percent: bool) -> tuple[float, float]:
    """(axis maximum, tick step) for the values; a percent axis stops at 100%."""
    vmax = max([v for _, vals in series for v in vals if v is not None] + [0])
    if not percent:
        return nice_scale(vmax)
    ymax, ystep = nice_scale(vmax * 100 if vmax > 0 else 100)
    return min(ymax, 100) / 100, ystep / 100


def _tick_indices(n: int, width: int) -> list[int]:
    """Which of ``n`` buckets get a time label: up to 7 on a wide chart, 4 on a narrow one."""
    ticks = min(n, 7 if width >= 600 else 4)
    return [round(k * (n - 1) / (ticks - 1)) if ticks > 1 else 0 for k in range(ticks)]


def _value_grid(f: _Frame, ystep: float, percent: bool) -> list[str]:
    out = []
    for k in range(round(f.ymax / ystep) + 1):
        v = ystep * k
        yy = f.y(v)
        text = f"{v * 100:.0f}%" if percent else (f"{v:.0f}" if ystep >= 1 else f"{v:g}")
        out.append(f'<line x1="{f.left}" x2="{f.left + f.w}" y1="{yy:.1f}" y2="{yy:.1f}" class="grid"/>'
                   f'<text x="{f.left - 6}" y="{yy + 4:.1f}" text-anchor="end" class="tick">{text}</text>')
    return out


def _line_mark(f: _Frame, times: list[datetime], mark: datetime | None, mark_label: str) -> list[str]:
    """A vertical line at ``mark`` when it falls within the times shown."""
    if mark is None or f.n <= 1 or not times[0] <= mark <= times[-1]:
        return []
    span = (times[-1] - times[0]).total_seconds() or 1
    mx = f.left + f.w * (mark - times[0]).total_seconds() / span
    return [f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{f.top}" y2="{f.top + f.h}" class="mark"/>'
            f'<text x="{mx + 4:.1f}" y="{f.top + 10}" class="mark-label">{escape(mark_label)}</text>']


def _polylines(f: _Frame, name: str, vals: list[float], color: str) -> list[str]:
    """One polyline per run of values; None (no data) breaks the line."""
    runs, run = [], []
    for i, v in enumerate(vals):
        if v is None:
            runs, run = runs + [run] if run else runs, []
        else:
            run.append(f"{f.x(i):.1f},{f.y(v):.1f}")
    runs += [run] if run else []
    return [f'<polyline points="{" ".join(pts)}" fill="none" stroke="{color}" stroke-width="2" '
            f'stroke-linejoin="round"><title>{escape(name)}</title></polyline>' for pts in runs]


def _points(f: _Frame, name: str, vals: list[float], color: str, times: list[datetime], tz,
            percent: bool) -> list[str]:
    """A dot with a tooltip on each value (drawn when there are few enough points)."""
    out = []
    for i, v in enumerate(vals):
        if v is None:
            continue
        shown = f"{v * 100:.0f}%" if percent else f"{v:g}"
        stamp = times[i].astimezone(tz).strftime("%m-%d %H:%M")
        out.append(f'<circle cx="{f.x(i):.1f}" cy="{f.y(v):.1f}" r="2.5" fill="{color}">'
                   f"<title>{escape(name)} {stamp}: {shown}</title></circle>")
    return out


def _legend(legend: list[tuple[int, str, int, int]], height: int) -> list[str]:
    rows = legend[-1][3] + 1 if legend else 0
    out = []
    for idx, name, lx, row in legend:
        ly = height - 18 * (rows - row) + 4
        out.append(f'<rect x="{lx}" y="{ly}" width="10" height="10" fill="{PALETTE[idx % len(PALETTE)]}"/>'
                   f'<text x="{lx + 14}" y="{ly + 9}" class="legend">{escape(name)}</text>')
    return out


def line_chart(times: list[datetime], series: list[tuple[str, list[float]]], *, tz, title: str,
               width: int = 720, height: int = 220, percent: bool = False, time_fmt: str = "%m-%d",
               mark: datetime | None = None, mark_label: str = "") -> str:
    """Lines over ``times`` (bucket starts); ``series`` is [(name, values)], one value per time."""
    left, right, top, bottom = 44, 12, 14, 28
    # lay the legend out first: it may need several rows on a narrow chart
    legend = _legend_layout([name for name, _ in series], width, left) if len(series) > 1 else []
    if legend:
        bottom += 18 * (legend[-1][3] + 1)
        height += 18 * legend[-1][3]
    label = escape(title)
    if not times:
        return _empty_chart(width, height, label)
    ymax, ystep = _value_scale(series, percent)
    f = _Frame(left, top, width - left - right, height - top - bottom, len(times), ymax)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{label}">',
             f"<title>{label}</title>", *_value_grid(f, ystep, percent)]
    parts += [f'<text x="{f.x(i):.1f}" y="{top + f.h + 16}" text-anchor="middle" class="tick">'
              f"{escape(times[i].astimezone(tz).strftime(time_fmt))}</text>" for i in _tick_indices(f.n, width)]
    parts += _line_mark(f, times, mark, mark_label)
    for idx, (name, vals) in enumerate(series):
        color = PALETTE[idx % len(PALETTE)]
        parts += _polylines(f, name, vals, color)
        if f.n <= 48:
            parts += _points(f, name, vals, color, times, tz, percent)
    parts += _legend(legend, height)
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
    for i in _tick_indices(n, width):
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
