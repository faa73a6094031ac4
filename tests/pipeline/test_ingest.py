"""Ingest end to end on the embedded store, through the real `yuqing` command line."""

import json
import subprocess
import sys

from yuqing.pipeline.core.record import Post
from yuqing.pipeline.ingest import Ingestor
from yuqing.pipeline.store import open_store

LINES = [
    {"id": "weibo:1", "platform": "weibo", "source": "wb", "content": "望京SOHO某公司拖欠工资三个月了，打工人太难了[泪]",
     "author": {"id": "u1", "name": "小王"}, "published_at": "2026-11-20 09:15:00",
     "metrics": {"reposts": 3, "comments": 5, "likes": 10}},
    {"id": "weibo:2", "platform": "weibo", "source": "wb", "content": "//@小李: 望京SOHO某公司拖欠工资三个月了，打工人太难了[泪]",
     "author": {"id": "u2"}, "published_at": "2026-11-20T10:15:00+08:00"},
    {"id": "forum:9", "platform": "forum", "source": "bbs", "title": "朝阳区外卖骑手高温补贴",
     "content": "今年的高温补贴\x00什么时候发？" + "很长" * 60000, "published_at": "2026-11-21T10:15:00+08:00"},
    {"id": "weibo:1", "platform": "weibo", "source": "wb", "content": "same id again", "published_at": "2026-11-20"},
]


def write_input(path):
    rows = [json.dumps(x, ensure_ascii=False) for x in LINES]
    rows.insert(2, '{"id": "news:1", "platform": "news"}')
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def run_cli(ctx, *args):
    cmd = [sys.executable, "-m", "yuqing", "--config-dir", str(ctx.config_dir),
           "--data-dir", str(ctx.data_dir), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})


def test_ingest_counts_rejects_and_is_idempotent(ctx, tmp_path):
    src = write_input(tmp_path / "in.jsonl")
    first = Ingestor(ctx, stages=None).ingest_path(src)
    assert (first.read, first.stored, first.rejected, first.duplicate_ids, first.duplicates) == (5, 3, 1, 1, 1)
    rejects = [json.loads(x) for x in open(first.rejects_file, encoding="utf-8")]
    assert rejects[0]["line"] == 3 and "source" in rejects[0]["reason"]
    store = open_store(ctx)
    long_post = store.get("forum:9")
    assert "\x00" not in long_post.content and long_post.content.endswith("已截断）")
    assert len(long_post.content) <= ctx.settings.ingest.max_content_chars + 20
    assert store.get("weibo:2").dup_of == "weibo:1"
    before = [r.as_dict() for r in store.aggregate(by=["platform"], interval="1d")]
    second = Ingestor(ctx).ingest_path(src)
    assert (second.stored, second.updated) == (0, 3)
    assert [r.as_dict() for r in store.aggregate(by=["platform"], interval="1d")] == before
    assert store.count() == 3


def test_cli_ingest_search_stats_json(ctx, tmp_path):
    src = write_input(tmp_path / "in.jsonl")
    res = run_cli(ctx, "ingest", str(src), "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["stored"] == 3 and report["rejected"] == 1
    res = run_cli(ctx, "search", "拖欠工资", "--json")
    hits = json.loads(res.stdout)
    assert hits["total"] == 2 and [p["id"] for p in hits["posts"]] == ["weibo:2", "weibo:1"]
    res = run_cli(ctx, "search", "拖欠工资", "--no-duplicates", "--json")
    assert [p["id"] for p in json.loads(res.stdout)["posts"]] == ["weibo:1"]
    res = run_cli(ctx, "stats", "--by", "platform", "--since", "2026-11-21", "--json")
    assert json.loads(res.stdout) == [{"bucket": None, "platform": "forum", "posts": 1, "authors": 1,
                                       "clusters": 1, "engagement": 0.0}]
    res = run_cli(ctx, "stats", "--since", "last week")
    assert res.returncode != 0 and "--since" in res.stderr


def test_cli_reports_bad_config(ctx, tmp_path):
    (ctx.config_dir / "settings.yaml").write_text("store:\n  backend: oracle\n", encoding="utf-8")
    res = run_cli(ctx, "stats")
    assert res.returncode == 1
    assert "settings.yaml: store.backend" in res.stderr


def test_posts_api_for_crawlers(ctx):
    post = Post(id="news:a1", platform="news", source="rss", content="朝阳区总工会开展送温暖活动",
                published_at="2026-11-22T08:00:00+08:00")
    report = Ingestor(ctx).ingest_posts([post])
    assert report.stored == 1 and open_store(ctx).search(ctx_filter("送温暖")).total == 1


def ctx_filter(text):
    from yuqing.pipeline.store.base import PostFilter
    return PostFilter(text=text)


def test_post_with_only_control_characters_is_rejected_not_lost(ctx, tmp_path):
    rows = [{"id": "weibo:c1", "platform": "weibo", "source": "wb", "content": "\x01\x02\u200b \x7f",
             "published_at": "2026-11-20T09:00:00+08:00"},
            {"id": "weibo:c2", "platform": "weibo", "source": "wb", "content": "正常的帖子：讨薪",
             "published_at": "2026-11-20T09:00:00+08:00"}]
    src = tmp_path / "ctl.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    report = Ingestor(ctx).ingest_path(src)
    assert (report.stored, report.rejected) == (1, 1)
    reject = json.loads(open(report.rejects_file, encoding="utf-8").read())
    assert reject["reason"].startswith("normalise: weibo:c1: no text left")
    assert open_store(ctx).get("weibo:c1") is None and open_store(ctx).get("weibo:c2") is not None
