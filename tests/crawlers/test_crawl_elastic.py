"""``yuqing crawl`` into the real Elasticsearch store gives the records ``--out`` writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import read_posts, write_sources
from test_crawl_ingest import collected
from test_weibo_spider import serve_search, weibo_source

from yuqing.pipeline.store import open_store

pytestmark = pytest.mark.es


def test_crawl_into_elasticsearch_equals_out(es_ctx, es_url, es_prefix, replay, tmp_path):
    serve_search(replay)
    write_sources(es_ctx.config_dir, weibo_source(replay.url))
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    env.update(YUQING_ES_URL=es_url, YUQING_ES_INDEX_PREFIX=es_prefix)
    base = [sys.executable, "-m", "yuqing", "--config-dir", str(es_ctx.config_dir)]
    ingest = subprocess.run([*base, "--data-dir", str(es_ctx.data_dir), "crawl", "wb", "--json"],
                            capture_output=True, text=True, timeout=180, env=env)
    assert ingest.returncode == 0, ingest.stderr[-3000:]
    summary = json.loads(ingest.stdout)
    assert (summary["items"], summary["new"], summary["spooled"]) == (9, 9, 0)

    out = tmp_path / "o.jsonl"
    written = subprocess.run([*base, "--data-dir", str(tmp_path / "other"), "crawl", "wb", "--json", "--out", str(out)],
                             capture_output=True, text=True, timeout=180, env=env)
    assert written.returncode == 0, written.stderr[-3000:]
    from_file = {p.id: collected(p) for p in read_posts(out)}
    store = open_store(es_ctx)
    store.refresh()
    stored = store.get_many(list(from_file))
    assert {pid: collected(p) for pid, p in stored.items()} == from_file
