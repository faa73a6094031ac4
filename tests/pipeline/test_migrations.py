"""State-database migrations (Alembic) on real SQLite files and a real PostgreSQL server.

* An empty database upgraded to head has exactly the models' schema (``compare_metadata``): a model
  change without a migration fails here.
* The baseline revision creates the very schema the code before migrations made — compared with the
  frozen pre-migration dumps in ``fixtures/`` table by table, column by column.
* A database made by the pre-migration code, with rows in it, is taken over: every row is still
  there, the database is at head, and upgrading again does nothing.
* Concurrent upgrades (processes and threads) create the schema once; an unknown revision and a
  pre-migration table that lacks columns are refused with a clear error, changing nothing.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, make_url, select, text
from sqlalchemy.pool import NullPool

from yuqing.alerts.models import EvaluationRun, Incident, IncidentEvent, OutboxMessage
from yuqing.alerts.state import StateStore
from yuqing.console.models import AuditEntry, ConsoleSession, ConsoleUser
from yuqing.pipeline.cli.main import main as cli
from yuqing.pipeline.cli.statedb import MODEL_MODULES
from yuqing.pipeline.core import statedb
from yuqing.pipeline.core.migrations import runner
from yuqing.pipeline.scheduler.models import JobRun
from yuqing.pipeline.scheduler.service import recent_runs

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).with_name("fixtures")
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
IGNORED = {runner.VERSION_TABLE, *runner.UNMANAGED_TABLES}


# --- helpers --------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path) -> str:
    """A fresh, empty state database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return request.getfixturevalue("pg_url")


def plain_engine(url: str):
    """An engine that does not migrate anything (to build and inspect databases)."""
    return create_engine(url, poolclass=NullPool)


def load_pre_migration(url: str) -> None:
    """Load the schema the code before migrations made (see fixtures/README.md)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        with sqlite3.connect(u.database) as conn:
            conn.executescript((FIXTURES / "state-pre-migration.sqlite.sql").read_text(encoding="utf-8"))
        return
    dsn = u.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute((FIXTURES / "state-pre-migration.postgresql.sql").read_text(encoding="utf-8"))


def schema_diff(url: str) -> list:
    """What differs between the database and the models (empty: nothing)."""
    engine = plain_engine(url)
    try:
        with engine.connect() as conn:
            mc = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": runner.include_name})
            return compare_metadata(mc, statedb.Base.metadata)
    finally:
        engine.dispose()


def snapshot(url: str) -> dict:
    """Every managed table's columns, keys, indexes and unique constraints, as reflected."""
    engine = plain_engine(url)
    try:
        insp = inspect(engine)
        out = {}
        for t in sorted(set(insp.get_table_names()) - IGNORED):
            out[t] = {
                "columns": [(c["name"], repr(c["type"]), c["nullable"], c.get("default"))
                            for c in insp.get_columns(t)],
                "pk": insp.get_pk_constraint(t)["constrained_columns"],
                "fks": sorted((f.get("name"), tuple(f["constrained_columns"]), f["referred_table"],
                               tuple(f["referred_columns"]), f.get("options", {}).get("ondelete"))
                              for f in insp.get_foreign_keys(t)),
                "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(t)),
                "uniques": sorted((u.get("name"), tuple(u["column_names"])) for u in insp.get_unique_constraints(t)),
            }
        return out
    finally:
        engine.dispose()


def sqlite_ddl(url: str) -> list[str]:
    """The CREATE statements SQLite keeps, whitespace normalised."""
    with sqlite3.connect(make_url(url).database) as conn:
        rows = conn.execute("SELECT tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()
    return sorted(re.sub(r"\s+", " ", sql).strip() for table, sql in rows if table not in IGNORED)


def all_rows(url: str) -> dict[str, list]:
    """Every row of every table (APScheduler's included), in primary-key order."""
    engine = plain_engine(url)
    try:
        insp = inspect(engine)
        with engine.connect() as conn:
            out = {}
            for t in sorted(set(insp.get_table_names()) - {runner.VERSION_TABLE}):
                order = ", ".join(f'"{c}"' for c in insp.get_pk_constraint(t)["constrained_columns"])
                out[t] = [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{t}" ORDER BY {order}'))]
            return out
    finally:
        engine.dispose()


def revision_of(url: str) -> tuple[str, ...]:
    engine = plain_engine(url)
    try:
        return runner.current(engine)
    finally:
        engine.dispose()


def add_rows(url: str) -> int:
    """Incidents with events, outbox messages, accounts with a session, audit, runs and an
    APScheduler job — written with the models, as the pre-migration code wrote them. Returns
    the first incident's id."""
    engine = plain_engine(url)
    Session = statedb.session_factory(engine)
    with Session.begin() as s:
        inc = Incident(open_key="qy-ruifeng-garment|wage_arrears", unit_id="qy-ruifeng-garment", unit_name="瑞丰制衣",
                       unit_level="enterprise", topic="wage_arrears", topic_name="欠薪讨薪", kind="trend",
                       status="open", severity="medium", escalated_to="dq-jinzhan", title="瑞丰制衣欠薪讨薪声量上升",
                       counts={"posts": 15}, reference={}, evidence=["weibo:1"], score=9.0, created_at=NOW,
                       updated_at=NOW, last_escalated_at=NOW)
        done = Incident(open_key=None, unit_id="sq-fangcaodi", topic="injury", kind="high_risk", status="resolved",
                        severity="high", escalated_to="jd-chaowai", title="工伤", created_at=NOW, updated_at=NOW,
                        last_escalated_at=NOW, resolved_at=NOW + timedelta(hours=2), resolved_by="李四",
                        resolution_note="已处置")
        inc.events = [IncidentEvent(at=NOW, kind="opened", data={"severity": "medium"}),
                      IncidentEvent(at=NOW + timedelta(minutes=70), kind="acknowledged", by="张三", note="在跟进")]
        s.add_all([inc, done])
        s.flush()
        s.add_all([
            OutboxMessage(idempotency_key=f"incident-{inc.id}-opened-email", incident_id=inc.id, channel="email",
                          address="duty@example.org", recipient="值班员", subject="新预警", body="……",
                          payload={"id": inc.id}, status="pending", attempts=1, next_attempt_at=NOW, created_at=NOW),
            OutboxMessage(idempotency_key="admin-notice-1", channel="webhook", address="http://127.0.0.1:9/hook",
                          status="sent", next_attempt_at=NOW, created_at=NOW, sent_at=NOW),
            EvaluationRun(at=NOW, started_at=NOW, seconds=1.5, store="sqlite", summary={"findings": 1}),
            JobRun(job_id="crawl:weibo", source="weibo", scheduled_at=NOW, started_at=NOW,
                   finished_at=NOW + timedelta(seconds=30), duration=30.0, status="ok", message="12 posts"),
            JobRun(job_id="alerts:evaluate", scheduled_at=NOW, started_at=NOW, status="failed", message="boom"),
        ])
        user = ConsoleUser(username="fangcaodi", display_name="史勇", unit_id="sq-fangcaodi", role="duty",
                           password_hash="$argon2id$fake", disabled=False, failed_logins=0, created_at=NOW,
                           password_changed_at=NOW)
        s.add(user)
        s.flush()
        s.add_all([
            ConsoleSession(key="k" * 64, user_id=user.id, csrf_token="c" * 64, created_at=NOW, last_seen_at=NOW,
                           expires_at=NOW + timedelta(hours=8), ip="127.0.0.1"),
            AuditEntry(at=NOW, username="fangcaodi", unit_id="sq-fangcaodi", action="login", ok=True),
        ])
        inc_id = inc.id
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO scheduler_jobs (id, next_run_time, job_state) VALUES ('crawl:weibo', 1.5, :s)"),
                     {"s": b"\x80\x04pickled"})
    engine.dispose()
    return inc_id


# --- the models and the migrations agree --------------------------------------------------------


def test_every_model_module_is_known_to_the_migration_tools():
    """Each module declaring tables on statedb.Base is imported by `yuqing db revision` (and here)."""
    declaring = set()
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        in_package = all((ROOT / Path(*rel.parts[:i]) / "__init__.py").exists() for i in range(1, len(rel.parts)))
        if not in_package or rel.parts[0] == "tests" or "migrations" in rel.parts:
            continue
        if re.search(r"^from yuqing\.pipeline\.core\.statedb import .*\bBase\b", path.read_text(encoding="utf-8"), re.M):
            declaring.add("yuqing." + ".".join(rel.with_suffix("").parts))
    assert declaring == {m.__name__ for m in MODEL_MODULES}
    tables = {t for m in MODEL_MODULES for t in statedb.Base.metadata.tables if t}
    assert {"alert_incidents", "alert_outbox", "console_users", "scheduler_runs"} <= tables


def test_migrations_form_one_line():
    heads = runner.scripts().get_heads()
    assert heads == [runner.head()], f"several heads {heads}: merge them (alembic merge)"
    revs = [r["revision"] for r in runner.history()]
    assert revs[-1] == "0001" and len(revs) == len(set(revs))


def test_empty_database_upgrades_to_the_models_schema(db_url):
    done = statedb.migrate(db_url)
    assert done.before == () and done.after == (runner.head(),) and not done.legacy
    assert revision_of(db_url) == (runner.head(),)
    assert schema_diff(db_url) == []
    assert set(snapshot(db_url)) == set(statedb.Base.metadata.tables)
    # once per URL per process; and a second upgrade finds nothing to do
    assert statedb.migrate(db_url) is None
    engine = plain_engine(db_url)
    again = runner.upgrade(engine)
    engine.dispose()
    assert again.before == again.after == (runner.head(),) and not again.changed


def test_baseline_is_the_pre_migration_schema(db_url, tmp_path: Path, request):
    """The baseline revision on an empty database == create_all before migrations (frozen dumps)."""
    if make_url(db_url).get_backend_name() == "sqlite":
        legacy_url = f"sqlite:///{tmp_path / 'legacy.db'}"
    else:
        legacy_url = request.getfixturevalue("pg_server").create_database()
    load_pre_migration(legacy_url)
    engine = plain_engine(db_url)
    with engine.begin() as conn:  # the baseline alone: later revisions add their own tables
        command.upgrade(runner.alembic_config(conn), "0001")
    engine.dispose()
    fresh, legacy = snapshot(db_url), snapshot(legacy_url)
    assert len(legacy) == 8 and fresh == legacy
    if make_url(db_url).get_backend_name() == "sqlite":
        assert sqlite_ddl(db_url) == sqlite_ddl(legacy_url)


# --- taking over a database made before migrations ----------------------------------------------


def kept_rows(db_url: str, before: dict) -> dict:
    """The rows of the tables that were there before (tables later revisions added hold at most
    the rows those revisions seed)."""
    after = all_rows(db_url)
    return {t: rows for t, rows in after.items() if t in before}


def test_pre_migration_database_keeps_every_row(db_url, ctx):
    load_pre_migration(db_url)
    inc_id = add_rows(db_url)
    before = all_rows(db_url)
    assert revision_of(db_url) == () and {t for t, rows in before.items() if not rows} == set()

    done = statedb.migrate(db_url)
    assert done.legacy and done.before == () and done.after == (runner.head(),)
    assert revision_of(db_url) == (runner.head(),)
    assert kept_rows(db_url, before) == before
    assert schema_diff(db_url) == []

    # the code reads the rows it wrote before the migration
    ctx.settings.state.url = db_url
    inc = StateStore(ctx).get(inc_id).to_dict()
    assert inc["status"] == "open" and [e["kind"] for e in inc["timeline"]] == ["opened", "acknowledged"]
    assert inc["created_at"] == NOW.isoformat() and inc["timeline"][1]["by"] == "张三"
    assert [(r["job_id"], r["status"]) for r in recent_runs(ctx)] == [("alerts:evaluate", "failed"), ("crawl:weibo", "ok")]

    # upgrading again is a no-op
    engine = plain_engine(db_url)
    again = runner.upgrade(engine)
    engine.dispose()
    assert not again.changed and not again.legacy
    assert kept_rows(db_url, before) == before


def test_partial_pre_migration_database_gets_the_missing_tables(db_url):
    """Before migrations each area created only its own tables: a database the scheduler made
    before the console ever ran has no console tables (and here lacks one index)."""
    load_pre_migration(db_url)
    add_rows(db_url)
    engine = plain_engine(db_url)
    with engine.begin() as conn:
        for table in ("console_sessions", "console_audit", "console_users"):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("DROP INDEX ix_alert_outbox_status"))
    engine.dispose()
    before = all_rows(db_url)

    done = statedb.migrate(db_url)
    assert done.legacy and done.after == (runner.head(),)
    assert schema_diff(db_url) == []
    after = all_rows(db_url)
    assert {t: after[t] for t in before} == before
    assert after["console_users"] == [] and after["console_sessions"] == []


def test_pre_migration_table_without_a_column_is_refused_and_nothing_changes(db_url):
    load_pre_migration(db_url)
    engine = plain_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alert_runs"))          # the baseline would create it first …
        conn.execute(text("ALTER TABLE alert_outbox DROP COLUMN claimed_until"))   # … then meet this
    engine.dispose()
    before = snapshot(db_url)
    with pytest.raises(statedb.SchemaError, match=r"alert_outbox.*claimed_until"):
        statedb.migrate(db_url)
    assert snapshot(db_url) == before            # alert_runs was not left behind: one transaction
    assert not inspect_has(db_url, runner.VERSION_TABLE)


def inspect_has(url: str, table: str) -> bool:
    engine = plain_engine(url)
    try:
        return inspect(engine).has_table(table)
    finally:
        engine.dispose()


# --- a revision this code does not know ---------------------------------------------------------


def test_unknown_revision_is_refused_naming_it(db_url):
    statedb.migrate(db_url)
    engine = plain_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0042'"))
    with pytest.raises(statedb.SchemaError, match="0042") as err:
        runner.upgrade(engine)
    engine.dispose()
    assert runner.head() in str(err.value)       # and what this code knows
    assert revision_of(db_url) == ("0042",)


# --- concurrency --------------------------------------------------------------------------------

CHILD = """
import json, sys, time
from pathlib import Path
from yuqing.pipeline.core import statedb
url, go, ready = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
ready.touch()
while not go.exists():
    time.sleep(0.001)
done = statedb.migrate(url)
print(json.dumps({"before": list(done.before), "after": list(done.after)}))
"""


def test_concurrent_processes_create_the_schema_once(db_url, tmp_path: Path):
    n = 3
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, db_url, str(go), str(tmp_path / f"ready{i}")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
             for i in range(n)]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready{i}").exists() for i in range(n)):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "children did not start"
        time.sleep(0.01)
    go.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    head = runner.head()
    assert all(r["after"] == [head] for r in results)
    assert sorted(r["before"] for r in results) == [[]] + [[head]] * (n - 1)   # one created, the rest found it
    assert schema_diff(db_url) == []


def test_concurrent_threads_upgrade_once(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'threads.db'}"
    results, errors = [], []

    def work():
        try:
            results.append(statedb.migrate(url))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    done = [r for r in results if r is not None]
    assert len(results) == 8 and len(done) == 1 and done[0].after == (runner.head(),)


# --- the command line ---------------------------------------------------------------------------


def test_db_commands(tmp_path: Path, config_dir: Path):
    data = tmp_path / "var"
    run = CliRunner().invoke
    args = ["--config-dir", str(config_dir), "--data-dir", str(data), "db"]
    url = f"sqlite:///{(data / 'state.db').resolve()}"

    res = run(cli, [*args, "current"])
    assert res.exit_code == 1 and "尚未迁移" in res.output
    res = run(cli, [*args, "upgrade"])
    assert res.exit_code == 0 and f"→ {runner.head()}" in res.output, res.output
    assert revision_of(url) == (runner.head(),)
    res = run(cli, [*args, "upgrade"])
    assert res.exit_code == 0 and "已是最新版本" in res.output
    res = run(cli, [*args, "current", "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["up_to_date"] is True
    res = run(cli, [*args, "history"])
    assert res.exit_code == 0 and re.search(rf"^{runner.head()} .*← 当前$", res.output, re.M), res.output
    res = run(cli, [*args, "revision", "-m", "nothing to do"])
    assert res.exit_code == 0 and "无需新版本" in res.output
    assert not list(runner.VERSIONS_DIR.glob("*nothing_to_do*"))

    engine = plain_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    engine.dispose()
    for cmd in (["db", "upgrade"], ["db", "current"], ["serve"]):   # the console refuses to start too
        res = run(cli, [*args[:-1], *cmd])
        assert res.exit_code == 1 and "f00d" in res.output and "Traceback" not in res.output, res.output


def test_legacy_database_via_cli_says_it_was_taken_over(tmp_path: Path, config_dir: Path):
    data = tmp_path / "var"
    data.mkdir()
    url = f"sqlite:///{(data / 'state.db').resolve()}"
    load_pre_migration(url)
    add_rows(url)
    res = CliRunner().invoke(cli, ["--config-dir", str(config_dir), "--data-dir", str(data), "db", "upgrade"])
    assert res.exit_code == 0 and "接管为基线版本" in res.output, res.output
    engine = plain_engine(url)
    with statedb.session_factory(engine)() as s:
        assert s.scalars(select(ConsoleUser.username)).all() == ["fangcaodi"]
    engine.dispose()
