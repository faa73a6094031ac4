"""What only the SQLite store has: a file on disk. A damaged file or one another process holds
locked gives a StoreError naming the file and what to do — through the API and the CLI."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from yuqing.pipeline.cli.main import main as cli
from yuqing.pipeline.core.record import Post
from yuqing.pipeline.store.base import PostFilter, StoreError
from yuqing.pipeline.store.sqlite import SqliteStore
from yuqing.pipeline.synthetic import generate_posts

CST = timezone(timedelta(hours=8))


@pytest.fixture
def filled(tmp_path) -> Path:
    """A store file with 300 posts, checkpointed (everything in the main file, no WAL)."""
    path = tmp_path / "posts.db"
    store = SqliteStore(path)
    assert store.upsert_many([Post.model_validate(r) for r in generate_posts(300, seed=1)]).created == 300
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


def _damage(path: Path) -> None:
    """Overwrite every page but the schema (page 1) and the small ``meta`` table, so the file
    still opens and the posts, labels and text index are garbage."""
    db = sqlite3.connect(path)
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    keep = {1} | {r[0] for r in db.execute("SELECT rootpage FROM sqlite_master WHERE tbl_name = 'meta'")}
    db.close()
    pages = path.stat().st_size // page_size
    with open(path, "r+b") as fh:
        for page in set(range(2, pages + 1)) - keep:
            fh.seek((page - 1) * page_size)
            fh.write(b"\xa5" * page_size)


def test_a_file_that_is_no_database_is_named(tmp_path):
    path = tmp_path / "posts.db"
    path.write_bytes(b"these are not the posts you are looking for\n" * 200)
    with pytest.raises(StoreError) as err:
        SqliteStore(path)
    msg = str(err.value)
    assert str(path) in msg and "damaged" in msg and "not a database" in msg and "backup" in msg


def test_damaged_pages_are_reported_on_every_kind_of_access(filled):
    _damage(filled)
    store = SqliteStore(filled)  # the schema page is intact: opening works
    calls = [
        ("aggregating", lambda: store.aggregate(by=["topic"], interval="1d")),
        ("reading posts", lambda: list(store.iter_range())),
        ("reading posts", lambda: store.get_many(["weibo:1", "news:2"])),
        ("reading a post", lambda: store.get("weibo:1")),
        ("counting", lambda: store.count(PostFilter(platforms=("weibo",)))),
        ("counting", lambda: store.search(PostFilter(text="工资"), limit=500)),  # a search counts first
        ("writing", lambda: store.upsert_many([Post.model_validate(r) for r in generate_posts(50, seed=1)])),
    ]
    for doing, call in calls:
        with pytest.raises(StoreError) as err:
            call()
        msg = str(err.value)
        assert f"SQLite store {filled} is damaged" in msg and f"while {doing}:" in msg and "backup" in msg, msg
    store.close()


def test_cli_names_the_damaged_file(filled, config_dir, tmp_path):
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    _damage(filled)
    os.replace(filled, data_dir / "posts.db")
    env = {"YUQING_CONFIG_DIR": str(config_dir), "YUQING_DATA_DIR": str(data_dir)}
    out = CliRunner().invoke(cli, ["stats", "--by", "topic"], env=env)
    assert out.exit_code != 0 and not isinstance(out.exception, sqlite3.Error), out.output
    assert "posts.db" in out.output and "damaged" in out.output, out.output


_HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA locking_mode=" + sys.argv[2])
db.execute("BEGIN EXCLUSIVE")
db.execute("INSERT INTO meta VALUES ('holder', 'x')")
print("locked", flush=True)
sys.stdin.read()  # hold the lock until the test closes our stdin
db.execute("ROLLBACK")
"""


@pytest.fixture
def holder(filled):
    """Start a real process that holds ``filled`` locked: ``holder(mode)``, mode NORMAL (a writer:
    other writers wait) or EXCLUSIVE (nobody else gets in)."""
    procs = []

    def start(mode: str) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(filled), mode], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout.readline().strip() == "locked"
        return proc

    yield start
    for proc in procs:
        proc.stdin.close()
        proc.wait(timeout=10)


def test_a_writer_in_another_process_makes_writes_wait_then_fail_clearly(filled, holder):
    store = SqliteStore(filled, busy_timeout=0.3)
    holder("NORMAL")
    assert store.count() == 300  # readers are not blocked by a writer (WAL)
    new = Post(id="news:late", platform="news", source="t", content="拖欠工资",
               published_at=datetime(2026, 11, 2, tzinfo=CST))
    t = time.monotonic()
    with pytest.raises(StoreError) as err:
        store.upsert_many([new])
    waited = time.monotonic() - t
    msg = str(err.value)
    assert str(filled) in msg and "locked by another process" in msg and "0.3 s" in msg and "writing" in msg
    assert 0.25 < waited < 10
    assert store.get("news:late") is None
    store.close()


def test_an_exclusive_lock_fails_opening_clearly(filled, holder):
    holder("EXCLUSIVE")
    t = time.monotonic()
    with pytest.raises(StoreError, match=f"{filled} is locked by another process .* while opening"):
        SqliteStore(filled, busy_timeout=0.2)
    assert time.monotonic() - t < 10


def test_the_lock_gone_the_store_works_again(filled, holder):
    store = SqliteStore(filled, busy_timeout=0.2)
    proc = holder("NORMAL")
    with pytest.raises(StoreError, match="locked"):
        store.upsert_many([Post(id="news:1", platform="news", source="t", content="工资",
                                published_at=datetime(2026, 11, 2, tzinfo=CST))])
    proc.stdin.close()
    proc.wait(timeout=10)
    res = store.upsert_many([Post(id="news:1", platform="news", source="t", content="工资",
                                  published_at=datetime(2026, 11, 2, tzinfo=CST))])
    assert res.created == 1 and store.count() == 301
    store.close()
