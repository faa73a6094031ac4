"""``yuqing crawl`` without ``--out`` hands posts to the ingest stage: the store ends up holding the
same records ``--out`` writes, and the run summary counts new and already-stored posts."""

from __future__ import annotations

from conftest import read_posts, write_sources
from test_weibo_spider import serve_search, weibo_source

from yuqing.pipeline.core.context import Context
from yuqing.pipeline.store import open_store

COLLECTED = ("id", "platform", "source", "url", "title", "content", "author", "published_at", "metrics",
             "thread_id", "reply_to", "location")


def collected(post) -> dict:
    data = post.model_dump(mode="json")
    return {k: data[k] for k in COLLECTED}


def test_store_and_out_hold_the_same_records(ctx, replay, crawl, tmp_path):
    serve_search(replay)
    write_sources(ctx.config_dir, weibo_source(replay.url))
    ingested = crawl("wb", entry="yuqing")  # the command the scheduler runs
    assert ingested.code == 0, ingested.stderr[-3000:]
    assert (ingested.summary["items"], ingested.summary["new"], ingested.summary["duplicates"]) == (9, 9, 0)

    out = tmp_path / "o.jsonl"
    written = crawl("wb", "--out", str(out), data_dir=tmp_path / "other-var")
    assert written.code == 0
    from_file = {p.id: collected(p) for p in read_posts(out)}

    store_ctx = Context.load(ctx.config_dir, ctx.data_dir, environ={})
    try:
        stored = open_store(store_ctx).get_many(list(from_file))
        assert {pid: collected(p) for pid, p in stored.items()} == from_file
    finally:
        store_ctx.close()

    # a second ingesting run within the look-back: the same posts again are "duplicates", not new
    again = crawl("wb", "--since", "2026-11-26T00:00:00+08:00")
    assert again.code == 0
    assert again.summary["new"] == 0 and again.summary["duplicates"] == again.summary["items"] == 5


def test_unusable_store_fails_before_fetching(ctx, replay, crawl):
    serve_search(replay)
    write_sources(ctx.config_dir, weibo_source(replay.url))
    (ctx.data_dir / "posts.db").mkdir(parents=True)  # the SQLite file is a directory
    result = crawl("wb")
    assert result.code == 1 and "cannot open the post store" in result.stderr
    assert replay.log == []
