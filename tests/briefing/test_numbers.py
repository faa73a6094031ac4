"""The briefing's numbers agree with `yuqing stats` for the same week, on both stores."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from click.testing import CliRunner

from tests.briefing.conftest import WEEK, fill
from yuqing.pipeline.briefing import build_weekly
from yuqing.pipeline.briefing.period import parse_week
from yuqing.pipeline.cli.main import main


def _stats(context, period, *args: str) -> list[dict]:
    env = {"YUQING_ES_URL": context.settings.store.elasticsearch.url,
           "YUQING_ES_INDEX_PREFIX": context.settings.store.elasticsearch.index_prefix,
           "YUQING_STORE": context.settings.store.backend}
    result = CliRunner().invoke(main, ["--config-dir", str(context.config_dir), "--data-dir", str(context.data_dir),
                                       "stats", "--since", period.start.isoformat(), "--until", period.end.isoformat(),
                                       "--json", *args], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("store_ctx", ["ctx", pytest.param("es_ctx", marks=pytest.mark.es)])
def test_briefing_numbers_agree_with_stats(store_ctx, request, tmp_path):
    context = request.getfixturevalue(store_ctx)
    fill(context)
    result = build_weekly(context, WEEK, None, tmp_path / "out")
    data = json.loads(result.paths["json"].read_text(encoding="utf-8"))
    period = parse_week(WEEK, context.tz)
    prev = period.previous()

    (total,) = _stats(context, period)
    ov = data["overview"]
    assert (ov["posts"], ov["authors"], ov["clusters"]) == (total["posts"], total["authors"], total["clusters"])
    assert ov["engagement"] == pytest.approx(total["engagement"])
    assert ov["prev_posts"] == _stats(context, prev)[0]["posts"]
    assert ov["change_pct"] == round((total["posts"] - ov["prev_posts"]) / ov["prev_posts"] * 100, 1)

    sentiment = {r["sentiment"]: r["posts"] for r in _stats(context, period, "--by", "sentiment")}
    assert ov["sentiment"] == {k: sentiment.get(k, 0) for k in ("negative", "neutral", "positive")}

    topics = {r["topic"]: r["posts"] for r in _stats(context, period, "--by", "topic")}
    assert {t["topic"]: t["posts"] for t in data["topics"]} == topics
    neg_topics = {r["topic"]: r["posts"] for r in _stats(context, period, "--by", "topic", "--sentiment", "negative")}
    assert {t["topic"]: t["negative"] for t in data["topics"]} == {t: neg_topics.get(t, 0) for t in topics}
    prev_topics = {r["topic"]: r["posts"] for r in _stats(context, prev, "--by", "topic")}
    assert {t["topic"]: t["prev_posts"] for t in data["topics"]} == {t: prev_topics.get(t, 0) for t in topics}

    daily = _stats(context, period, "--interval", "1d")
    by_day = {datetime.fromisoformat(r["bucket"]): r["posts"] for r in daily}
    assert data["daily"]["posts"] == [by_day.get(datetime.fromisoformat(b), 0) for b in data["daily"]["buckets"]]
    assert sum(data["daily"]["posts"]) == ov["posts"]

    dim = data["units"]["dimension"]
    units = {r[dim]: r["posts"] for r in _stats(context, period, "--by", dim)}
    for row in data["units"]["rows"]:
        assert row["posts"] == units.get(row["unit"], 0), row["unit"]
    assert data["units"]["rows"], "the week's posts are linked to units"

    # the same holds for one unit's briefing and `stats --unit`
    unit = data["units"]["rows"][0]["unit"]
    scoped = build_weekly(context, WEEK, unit, tmp_path / "unit")
    assert scoped.data["overview"]["posts"] == _stats(context, period, "--unit", unit)[0]["posts"]
    assert scoped.data["overview"]["posts"] < ov["posts"]
