"""Search parameters, CSV export and chart helpers (no server needed)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from yuqing.console import charts, queries
from yuqing.pipeline.core.record import Post

TZ = ZoneInfo("Asia/Shanghai")


def _post(content: str) -> Post:
    return Post.model_validate({"id": "weibo:1", "platform": "weibo", "source": "s", "url": "https://x.example/1",
                                "content": content, "published_at": "2026-11-20T08:00:00+08:00",
                                "org_units": ["sq-fangcaodi"], "sentiment": {"label": "negative"}})


def test_csv_neutralises_formulas_and_keeps_chinese():
    text = queries.posts_csv([_post("=HYPERLINK(\"http://evil\")"), _post("拖欠工资，讨薪无门")], TZ, {},
                             lambda u: {"sq-fangcaodi": "芳草地社区"}[u])
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][5] == "'=HYPERLINK(\"http://evil\")"
    assert rows[2][5] == "拖欠工资，讨薪无门" and rows[2][7] == "负面" and rows[2][8] == "芳草地社区"


def test_empty_form_fields_are_not_filters():
    p = queries.SearchParams("", "", "", [""], [""], [], ["", " "], [""])
    assert p.is_empty() and p.units == [] and p.platforms == []


@pytest.mark.parametrize("value", ["yesterday", "2026-13-40", "7x"])
def test_bad_times_name_the_field(value):
    with pytest.raises(queries.BadQuery, match="起始时间"):
        queries.parse_when(value, "起始时间", datetime.now(timezone.utc))


def test_relative_and_local_times():
    now = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)
    assert queries.parse_when("7d", "x", now) == now - timedelta(days=7)
    local = queries.parse_when("2026-11-20", "x", now)
    assert local.utcoffset() == timedelta(hours=8) and local.hour == 0


def test_fill_buckets_puts_zeros_in_quiet_hours():
    t0 = datetime(2026, 11, 20, tzinfo=timezone.utc)
    times, values = charts.fill_buckets(t0 - timedelta(hours=2), t0 + timedelta(hours=4), 3600,
                                        {t0: 3.0, t0 + timedelta(hours=2): 1.0})
    assert times[0] == t0 - timedelta(hours=2) and len(times) == 6
    assert values == [0.0, 0.0, 3.0, 0.0, 1.0, 0.0]


@pytest.mark.parametrize("vmax,top", [(0, 1.0), (1, 1), (7, 8), (23, 30), (101, 150)])
def test_axis_scale_covers_the_maximum(vmax, top):
    got, step = charts.nice_scale(vmax)
    assert got == pytest.approx(top) and got >= vmax and step > 0


def test_chart_text_is_escaped():
    svg = charts.bar_list([("<script>alert(1)</script>", 3, 1)], title="t")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
