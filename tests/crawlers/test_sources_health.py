"""sources.yaml validation, cursors and pauses, health assessment and alerts, ``yuqing sources``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from click.testing import CliRunner
from conftest import write_sources

from yuqing.crawlers.health import assess, read_events, review
from yuqing.crawlers.sources import load_sources
from yuqing.crawlers.state import RunRecord, SourceState
from yuqing.pipeline.cli.main import main
from yuqing.pipeline.core.config import ConfigError

NOW = datetime(2026, 11, 26, 4, 0, tzinfo=timezone.utc)


def test_shipped_sources_file_is_valid(ctx):
    sources = load_sources(ctx)
    assert {s.spider for s in sources} == {"weibo", "wechat", "tieba", "discuz", "feed"}
    assert all(s.schedule.interval_minutes() > 0 for s in sources)


@pytest.mark.parametrize("entry,key,reason", [
    ({"name": "x", "spider": "weibo", "schedule": {"minutes": 30}}, "sources.0", "needs at least one of"),
    ({"name": "x", "spider": "weibo", "keywords": ["a"], "schedule": {"cron": "61 * * * *"}}, "sources.0.schedule",
     "invalid cron"),
    ({"name": "x", "spider": "weibo", "keywords": ["a"], "schedule": {"cron": "* * * * *", "minutes": 5}},
     "sources.0.schedule", "exactly one"),
    ({"name": "x", "spider": "discuz", "boards": ["2"], "schedule": {"minutes": 30}}, "sources.0", "needs base_url"),
    ({"name": "x", "spider": "feed", "boards": ["2"], "schedule": {"minutes": 30}}, "sources.0", "does not use"),
    ({"name": "X Y", "spider": "feed", "feeds": ["http://a"], "schedule": {"minutes": 30}}, "sources.0.name", ""),
    ({"name": "x", "spider": "twitter", "keywords": ["a"], "schedule": {"minutes": 30}}, "sources.0.spider", ""),
    ({"name": "x", "spider": "weibo", "keywords": ["a"], "schedule": {"minutes": 30}, "cookies": "SUB=1"},
     "sources.0.cookies", "Extra inputs"),
])
def test_bad_sources_fail_fast_naming_the_key(ctx, entry, key, reason):
    (ctx.config_dir / "sources.yaml").write_text(yaml.safe_dump({"sources": [entry]}), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_sources(ctx)
    assert err.value.key == key and reason in err.value.reason
    assert "sources.yaml" in str(err.value)


def test_duplicate_names_rejected(ctx):
    entry = {"name": "x", "spider": "feed", "feeds": ["http://a"], "schedule": {"minutes": 30}}
    (ctx.config_dir / "sources.yaml").write_text(yaml.safe_dump({"sources": [entry, entry]}), encoding="utf-8")
    with pytest.raises(ConfigError, match="duplicate source name"):
        load_sources(ctx)


def test_cron_interval():
    from yuqing.crawlers.sources import Schedule

    assert Schedule(cron="*/20 * * * *").interval_minutes() == 20
    assert Schedule(cron="0 8 * * 1").interval_minutes() == 7 * 24 * 60
    assert Schedule(minutes=45).interval_minutes() == 45


def test_cursor_moves_forward_only_and_floor_has_lookback(tmp_path):
    with SourceState.locked(tmp_path, "s") as st:
        assert st.floor("keyword:a", 6) is None
        assert st.advance("keyword:a", NOW, "weibo:1", NOW)
        assert not st.advance("keyword:a", NOW - timedelta(hours=1), "weibo:0", NOW)
    st = SourceState.load(tmp_path, "s")
    assert st.cursor("keyword:a")["newest_id"] == "weibo:1"
    assert st.floor("keyword:a", 6) == NOW - timedelta(hours=6)


def test_pause_doubles_and_is_capped(tmp_path):
    st = SourceState.load(tmp_path, "s")
    first = st.pause("ban", "HTTP 418", NOW, first_minutes=30, max_hours=1)
    second = st.pause("ban", "HTTP 418", NOW, first_minutes=30, max_hours=1)
    third = st.pause("ban", "HTTP 418", NOW, first_minutes=30, max_hours=1)
    assert (first - NOW, second - NOW, third - NOW) == (timedelta(minutes=30), timedelta(hours=1), timedelta(hours=1))
    assert st.paused_until(NOW) == third and st.paused_until(third + timedelta(seconds=1)) is None


def test_corrupt_state_file_is_set_aside(tmp_path):
    path = SourceState.path_for(tmp_path, "s")
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    st = SourceState.load(tmp_path, "s")
    assert st.data["cursors"] == {} and "recovered_from" in st.data
    assert list(path.parent.glob("s.broken-*.json"))


def run(status: str, at: datetime, items: int = 5) -> RunRecord:
    return RunRecord(source="s", started_at=at.isoformat(), finished_at=at.isoformat(), status=status, items=items)


def test_health_stale_failing_and_recovery_events(ctx):
    write_sources(ctx.config_dir, {"name": "s", "spider": "feed", "feeds": ["http://a.test/rss"],
                                   "schedule": {"minutes": 60}})
    source = load_sources(ctx)[0]
    st = SourceState.load(ctx.data_dir, "s")
    assert assess(ctx, source, st, NOW).status == "stale"  # never ran
    st.add_run(run("ok", NOW - timedelta(hours=1)), keep=50)
    health = assess(ctx, source, st, NOW)
    assert health.status == "ok" and health.items_per_run == 5 and health.error_rate == 0
    # three intervals (3 h) without success → stale → one alert, recorded even without alert channels
    later = NOW + timedelta(hours=3, minutes=1)
    event = review(ctx, source, st, later)
    assert event["status"] == "stale" and "数据源 s" in event["subject"] and "停滞" in event["subject"]
    assert review(ctx, source, st, later) is None  # no repeat while unchanged
    for i in range(3):
        st.add_run(run("failed", later + timedelta(minutes=i), items=0), keep=50)
    st.add_run(run("ok", later + timedelta(minutes=5)), keep=50)
    health = assess(ctx, source, st, later + timedelta(minutes=6))
    assert health.status == "failing" and health.error_rate == 0.6
    assert review(ctx, source, st, later + timedelta(minutes=6))["status"] == "failing"
    for i in range(6):
        st.add_run(run("ok", later + timedelta(minutes=10 + i)), keep=50)
    recovered = review(ctx, source, st, later + timedelta(minutes=20))
    assert recovered["status"] == "ok" and "恢复" in recovered["subject"]
    assert [e["status"] for e in read_events(ctx)] == ["stale", "failing", "ok"]


def test_health_alert_reaches_the_admin_outbox(ctx):
    """Given the alerts notifier (as the commands give it), a paused source queues a message to every
    admin (outbox)."""
    from sqlalchemy import select

    from yuqing.alerts.api import notify_admins
    from yuqing.alerts.models import OutboxMessage
    from yuqing.pipeline.core.statedb import engine_for, session_factory

    write_sources(ctx.config_dir, {"name": "s", "spider": "feed", "feeds": ["http://a.test/rss"]})
    source = load_sources(ctx)[0]
    st = SourceState.load(ctx.data_dir, "s")
    st.pause("captcha", "搜狗反爬验证页", NOW, 30, 24)
    event = review(ctx, source, st, NOW, notify=notify_admins)
    assert event["delivered"] is True, event.get("delivery_error")
    with session_factory(engine_for(ctx))() as session:
        queued = session.scalars(select(OutboxMessage)).all()
    assert queued, "no admin message queued"
    assert all(event["subject"] in m.subject and "搜狗反爬验证页" in m.body for m in queued)


def test_sources_listing_json(ctx):
    write_sources(ctx.config_dir, {"name": "s", "spider": "feed", "feeds": ["http://a.test/rss"]})
    with SourceState.locked(ctx.data_dir, "s") as st:
        st.advance("feed:http://a.test/rss", NOW, "news:1", NOW)
        st.add_run(run("ok", datetime.now(timezone.utc)), keep=50)
    result = CliRunner().invoke(main, ["--config-dir", str(ctx.config_dir), "--data-dir", str(ctx.data_dir),
                                       "sources", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows[0]["name"] == "s" and rows[0]["health"]["status"] == "ok"
    assert rows[0]["cursors"]["feed:http://a.test/rss"]["newest_id"] == "news:1"
    assert rows[0]["last_run"]["items"] == 5


def test_crawl_unknown_source_is_a_clear_error(ctx):
    result = CliRunner().invoke(main, ["--config-dir", str(ctx.config_dir), "--data-dir", str(ctx.data_dir),
                                       "crawl", "nope"])
    assert result.exit_code == 1 and "no such source" in result.output and "weibo-chaoyang-labour" in result.output


def test_runs_that_suddenly_collect_nothing_raise_an_empty_alert(ctx):
    write_sources(ctx.config_dir, {"name": "s", "spider": "feed", "feeds": ["http://a.test/rss"]})
    source = load_sources(ctx)[0]
    st = SourceState.load(ctx.data_dir, "s")
    for i in range(3):
        st.add_run(run("ok", NOW + timedelta(minutes=i), items=8), keep=50)
    for i in range(4):
        st.add_run(run("ok", NOW + timedelta(minutes=10 + i), items=0), keep=50)
    assert assess(ctx, source, st, NOW + timedelta(minutes=20)).status == "ok"  # four quiet runs: a quiet spell
    st.add_run(run("ok", NOW + timedelta(minutes=15), items=0), keep=50)
    event = review(ctx, source, st, NOW + timedelta(minutes=20))
    assert event["status"] == "empty" and "页面结构可能已变化" in event["subject"]
