"""Elasticsearch store behaviour beyond parity: month routing, spooling while the node is
unreachable, and the error messages an operator sees (idempotence, last-copy-wins and the empty
store are checked for both backends in ``test_store_writes.py``)."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from store_helpers import ingest, write_jsonl

from yuqing.pipeline.cli.main import main as cli
from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.record import Post
from yuqing.pipeline.store import open_store
from yuqing.pipeline.store.base import PostFilter, StoreError, StoreUnavailable
from yuqing.pipeline.store.elastic import ElasticStore, month_index, posts_index_template
from yuqing.pipeline.synthetic import generate_posts

pytestmark = pytest.mark.es
CST = timezone(timedelta(hours=8))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(pid: str, when: datetime, **kw) -> Post:
    return Post(id=pid, platform=pid.split(":")[0], source="t", content=kw.pop("content", "朝阳区某公司拖欠工资"),
                published_at=when, **kw)


def test_template_maps_every_record_field():
    props = posts_index_template("x")["template"]["mappings"]["properties"]
    assert set(Post.model_fields) <= set(props), set(Post.model_fields) - set(props)
    assert props["text_seg"]["analyzer"] == "whitespace"
    assert props["author"]["properties"]["name"]["fields"]["text"]["type"] == "text"


def test_month_routing_and_alias(es_ctx):
    store: ElasticStore = open_store(es_ctx)
    # 23:30 and 00:30 local are the same UTC day but different local months
    late_oct = datetime(2026, 10, 31, 23, 30, tzinfo=CST)
    early_nov = datetime(2026, 11, 1, 0, 30, tzinfo=CST)
    res = store.upsert_many([post("weibo:a", late_oct), post("weibo:b", early_nov)])
    assert (res.created, res.updated) == (2, 0)
    store.refresh()
    prefix = es_ctx.settings.store.elasticsearch.index_prefix
    aliases = store.es.indices.get_alias(name=f"{prefix}-posts")
    assert set(aliases) == {f"{prefix}-posts-2026.10", f"{prefix}-posts-2026.11"}
    where = {h["_id"]: h["_index"] for h in store.es.search(index=f"{prefix}-posts")["hits"]["hits"]}
    assert where == {"weibo:a": f"{prefix}-posts-2026.10", "weibo:b": f"{prefix}-posts-2026.11"}
    mapping = store.es.indices.get_mapping(index=f"{prefix}-posts-2026.10")
    assert next(iter(mapping.values()))["mappings"]["properties"]["org_path"] == {"type": "keyword"}

    # the post moves month on re-ingest: the old copy goes, nothing doubles — both while the
    # first copy is not yet searchable and after a refresh, from a fresh store instance
    res = store.upsert_many([post("weibo:a", early_nov + timedelta(days=3))])
    assert (res.created, res.updated) == (0, 1)
    store.refresh()
    fresh = ElasticStore(es_ctx.settings.store.elasticsearch, es_ctx.tz)
    res = fresh.upsert_many([post("weibo:b", late_oct - timedelta(days=40))])
    assert (res.created, res.updated) == (0, 1)
    fresh.refresh()
    where = {h["_id"]: h["_index"] for h in store.es.search(index=f"{prefix}-posts")["hits"]["hits"]}
    assert where == {"weibo:a": f"{prefix}-posts-2026.11", "weibo:b": f"{prefix}-posts-2026.09"}
    assert store.count() == 2
    assert fresh.get("weibo:b").published_at == late_oct - timedelta(days=40)
    assert month_index("p", datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc), es_ctx.tz) == "p-posts-2026.12"


def test_bulk_item_failure_is_reported_not_lost(es_ctx):
    store: ElasticStore = open_store(es_ctx)
    good = post("forum:1", datetime(2026, 11, 2, 9, tzinfo=CST))
    bad = post("forum:2", datetime(2026, 11, 2, 9, tzinfo=CST))
    bad.thread_id = "x" * 40000  # keyword term over Lucene's 32 KB limit: refused by the index
    res = store.upsert_many([good, bad])
    assert res.created == 1
    assert [pid for pid, _ in res.failed] == ["forum:2"]
    assert "thread_id" in res.failed[0][1]  # the reason names the field
    store.refresh()
    assert store.count() == 1


def test_unreachable_node_spools_then_replays(tmp_path, config_dir, es_url, es_prefix, dataset_path):
    data_dir = tmp_path / "var"
    down_url = f"http://127.0.0.1:{free_port()}"
    down = Context.load(config_dir, data_dir, environ={"YUQING_ES_URL": down_url, "YUQING_ES_INDEX_PREFIX": es_prefix})
    down.settings.store.elasticsearch.max_retries = 1
    records = list(generate_posts(120, seed=5))
    head = write_jsonl(tmp_path / "head.jsonl", records[:50])
    whole = write_jsonl(tmp_path / "all.jsonl", records)
    report = ingest_quiet(down, whole)
    assert report.spooled == 120 and report.stored == 0
    assert down_url in report.errors[0]
    down.close()

    env = {"YUQING_CONFIG_DIR": str(config_dir), "YUQING_DATA_DIR": str(data_dir),
           "YUQING_ES_URL": down_url, "YUQING_ES_INDEX_PREFIX": es_prefix}
    out = CliRunner().invoke(cli, ["store", "health", "--json"], env=env)
    assert out.exit_code == 1, out.output
    info = json.loads(out.output)
    assert info["status"] == "unreachable" and info["spooled_posts"] == 120 and down_url in info["error"]

    # back up: ingesting part of the file again first replays the spool, then upserts
    up = Context.load(config_dir, data_dir, environ={"YUQING_ES_URL": es_url, "YUQING_ES_INDEX_PREFIX": es_prefix})
    report = ingest(up, head)
    assert report.replayed == 120 and report.stored == 0 and report.updated == 50
    assert open_store(up).count() == 120
    out = CliRunner().invoke(cli, ["store", "health", "--json"], env={**env, "YUQING_ES_URL": es_url})
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["spooled_posts"] == 0 and json.loads(out.output)["posts"] == 120
    assert ingest(up, whole).stored == 0
    assert open_store(up).count() == 120
    up.close()


def test_store_replay_command(tmp_path, config_dir, es_url, es_prefix):
    data_dir = tmp_path / "var"
    down = Context.load(config_dir, data_dir, environ={"YUQING_ES_URL": f"http://127.0.0.1:{free_port()}",
                                                       "YUQING_ES_INDEX_PREFIX": es_prefix})
    down.settings.store.elasticsearch.max_retries = 0
    assert ingest_quiet(down, write_jsonl(tmp_path / "p.jsonl", generate_posts(30, seed=3))).spooled == 30
    env = {"YUQING_CONFIG_DIR": str(config_dir), "YUQING_DATA_DIR": str(data_dir),
           "YUQING_ES_URL": es_url, "YUQING_ES_INDEX_PREFIX": es_prefix}
    out = CliRunner().invoke(cli, ["store", "replay"], env=env)
    assert out.exit_code == 0, out.output
    assert "30" in out.output
    up = Context.load(config_dir, data_dir, environ={"YUQING_ES_URL": es_url, "YUQING_ES_INDEX_PREFIX": es_prefix})
    open_store(up).refresh()
    assert open_store(up).count() == 30
    up.close()


def ingest_quiet(ctx, path):
    from yuqing.pipeline.dedupe import DedupeStage
    from yuqing.pipeline.ingest import Ingestor
    from yuqing.pipeline.normalise import NormaliseStage

    return Ingestor(ctx, stages=[NormaliseStage(), DedupeStage(ctx)]).ingest_path(path)


class _AuthRefusing(http.server.BaseHTTPRequestHandler):
    """A real HTTP server answering like a secured Elasticsearch node to bad credentials."""

    status = 401

    def _reply(self):
        body = json.dumps({"error": {"root_cause": [{"type": "security_exception", "reason": "unable to authenticate"}],
                                     "type": "security_exception", "reason": "unable to authenticate"},
                           "status": self.status}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-elastic-product", "Elasticsearch")
        self.send_header("WWW-Authenticate", 'Basic realm="security"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_HEAD = _reply

    def log_message(self, *args):
        pass


@pytest.fixture(params=[401, 403])
def refusing_url(request):
    handler = type("H", (_AuthRefusing,), {"status": request.param})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", request.param
    server.shutdown()


def test_auth_failure_names_the_credentials(config_dir, tmp_path, refusing_url):
    url, status = refusing_url
    ctx = Context.load(config_dir, tmp_path / "v", environ={"YUQING_ES_URL": url, "YUQING_ES_API_KEY": "bad"})
    with pytest.raises(StoreError) as err:
        open_store(ctx).upsert_many([post("news:1", datetime(2026, 11, 2, tzinfo=CST))])
    assert not isinstance(err.value, StoreUnavailable)  # not spooled forever: an operator must act
    assert f"({status})" in str(err.value) and "YUQING_ES_API_KEY" in str(err.value) and url in str(err.value)
    out = CliRunner().invoke(cli, ["search", "工资"], env={"YUQING_CONFIG_DIR": str(config_dir),
                                                         "YUQING_DATA_DIR": str(tmp_path / "v"),
                                                         "YUQING_ES_URL": url, "YUQING_ES_API_KEY": "bad"})
    assert out.exit_code != 0 and "YUQING_ES_USERNAME" in out.output


def test_unreachable_and_tls_errors_are_clear(config_dir, tmp_path, es_url):
    closed = f"http://127.0.0.1:{free_port()}"
    ctx = Context.load(config_dir, tmp_path / "v", environ={"YUQING_ES_URL": closed})
    ctx.settings.store.elasticsearch.max_retries = 0
    with pytest.raises(StoreUnavailable, match="unreachable") as err:
        open_store(ctx).count(PostFilter(text="工资"))
    assert closed in str(err.value)
    # https against the plain-HTTP node: the TLS handshake fails
    tls = Context.load(config_dir, tmp_path / "v2", environ={"YUQING_ES_URL": es_url.replace("http://", "https://")})
    with pytest.raises(StoreError, match="YUQING_ES_CA_CERTS") as err:
        open_store(tls).count()
    assert not isinstance(err.value, StoreUnavailable)
    missing = Context.load(config_dir, tmp_path / "v3", environ={"YUQING_ES_URL": "https://127.0.0.1:9200",
                                                                 "YUQING_ES_CA_CERTS": str(tmp_path / "nope.pem")})
    with pytest.raises(StoreError, match="YUQING_ES_CA_CERTS.*nope.pem"):
        open_store(missing)


def test_es_commands(tmp_path, config_dir, ctx, es_url, es_prefix, dataset_path):
    env = {"YUQING_CONFIG_DIR": str(config_dir), "YUQING_DATA_DIR": str(ctx.data_dir),
           "YUQING_ES_URL": es_url, "YUQING_ES_INDEX_PREFIX": es_prefix}
    runner = CliRunner()
    out = runner.invoke(cli, ["es", "health", "--json"], env=env)
    assert out.exit_code == 1 and "yuqing es setup" in out.output  # no template yet
    out = runner.invoke(cli, ["es", "setup"], env=env)
    assert out.exit_code == 0 and "created" in out.output, out.output
    assert "current" in runner.invoke(cli, ["es", "setup"], env=env).output
    out = runner.invoke(cli, ["es", "health", "--json"], env=env)
    info = json.loads(out.output)
    assert out.exit_code == 0 and info["status"] == "ok" and info["posts"] == 0
    assert info["indices"] == [month_index(es_prefix, datetime.now(timezone.utc), ctx.tz)]
    body = json.loads(runner.invoke(cli, ["es", "template"], env=env).output)["body"]
    assert body["index_patterns"] == [f"{es_prefix}-posts-*"]

    n = ingest(ctx, dataset_path).stored  # into the embedded store, then copy over twice
    for new in (n, 0):
        out = runner.invoke(cli, ["es", "reindex-from-sqlite"], env=env)
        assert out.exit_code == 0 and f"copied {n} posts ({new} new" in out.output, out.output
    es = ElasticStore(Context.load(config_dir, ctx.data_dir, environ=env).settings.store.elasticsearch, ctx.tz)
    assert es.aggregate(by=["unit_tree"], interval="1d") == open_store(ctx).aggregate(by=["unit_tree"], interval="1d")


def test_move_that_fails_keeps_the_old_copy(es_ctx):
    store: ElasticStore = open_store(es_ctx)
    first = post("tieba:9", datetime(2026, 10, 15, 12, tzinfo=CST))
    assert store.upsert_many([first]).created == 1
    moved = post("tieba:9", datetime(2026, 11, 15, 12, tzinfo=CST))
    moved.thread_id = "y" * 40000  # refused by the new month's index
    res = store.upsert_many([moved])
    assert [pid for pid, _ in res.failed] == ["tieba:9"] and res.created == res.updated == 0
    store.refresh()
    assert store.get("tieba:9") == first  # not lost, not doubled
    assert store.count() == 1


def test_indices_listing_and_retention(es_ctx, config_dir):
    store: ElasticStore = open_store(es_ctx)
    months = [datetime(2026, m, 10, tzinfo=CST) for m in (6, 8, 9, 10, 11)]
    store.upsert_many([post(f"news:{i}", when) for i, when in enumerate(months)])
    store.refresh()
    prefix = es_ctx.settings.store.elasticsearch.index_prefix
    rows = store.monthly_indices()
    assert [r["month"] for r in rows] == ["2026.06", "2026.08", "2026.09", "2026.10", "2026.11"]
    assert all(r["docs"] == 1 for r in rows)
    env = {"YUQING_CONFIG_DIR": str(config_dir), "YUQING_DATA_DIR": str(es_ctx.data_dir),
           "YUQING_ES_URL": es_ctx.settings.store.elasticsearch.url, "YUQING_ES_INDEX_PREFIX": prefix}
    listed = json.loads(CliRunner().invoke(cli, ["es", "indices", "--json"], env=env).output)
    assert [r["index"] for r in listed] == [r["index"] for r in rows]
    now = datetime(2026, 11, 20, tzinfo=CST)
    assert store.prune(3, now=now, dry_run=True) == [f"{prefix}-posts-2026.06", f"{prefix}-posts-2026.08"]
    assert store.count() == 5  # dry run deleted nothing
    assert store.prune(3, now=now) == [f"{prefix}-posts-2026.06", f"{prefix}-posts-2026.08"]
    assert store.count() == 3 and {p.id for p in store.iter_range()} == {"news:2", "news:3", "news:4"}
    with pytest.raises(StoreError):
        store.prune(0)
    # the command asks first; without --yes and a "n" answer nothing goes
    out = CliRunner().invoke(cli, ["es", "prune", "--keep-months", "1"], env=env, input="n\n")
    assert out.exit_code != 0 and store.count() == 3
