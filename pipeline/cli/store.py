"""``yuqing store …`` / ``yuqing es …``: store health, spool replay, Elasticsearch templates."""

from __future__ import annotations

import sys

import click

from yuqing.pipeline.cli.common import emit_json, get_context
from yuqing.pipeline.store.base import StoreError, UpsertResult


@click.group("store")
def store_group() -> None:
    """Post store maintenance (either backend)."""


@store_group.command("health")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def health(click_ctx, as_json: bool) -> None:
    """Show which store is configured and whether it answers."""
    from yuqing.pipeline.ingest.spool import Spool
    from yuqing.pipeline.store import open_store

    ctx = get_context(click_ctx)
    try:
        info = open_store(ctx).health()
    except StoreError as exc:
        info = {"backend": ctx.settings.store.backend, "status": "unreachable", "error": str(exc)}
    info["spooled_posts"] = Spool(ctx.path("spool")).pending()
    if as_json:
        emit_json(info)
    else:
        for key, value in info.items():
            click.echo(f"{key}: {value}")
    if info.get("status") == "unreachable":
        raise SystemExit(1)


@store_group.command("replay")
@click.pass_context
def replay(click_ctx) -> None:
    """Deliver posts spooled while the store was unreachable."""
    from yuqing.pipeline.ingest.spool import Spool
    from yuqing.pipeline.store import open_store

    ctx = get_context(click_ctx)
    spool = Spool(ctx.path("spool"))
    pending = spool.pending()
    try:
        result = spool.replay(open_store(ctx))
    except StoreError as exc:
        raise click.ClickException(f"store still unreachable, {pending} posts stay spooled: {exc}") from exc
    click.echo(f"replayed {result.created + result.updated} posts "
               f"({result.created} new, {result.updated} already stored)")


@click.group("es")
def es_group() -> None:
    """Elasticsearch helpers (use the store.elasticsearch settings whatever the backend)."""


def _elastic(click_ctx):

    from yuqing.pipeline.store.elastic import ElasticStore

    ctx = get_context(click_ctx)
    try:
        return ctx, ElasticStore(ctx.settings.store.elasticsearch, tz=ctx.tz)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc


@es_group.command("setup")
@click.option("--force", is_flag=True, help="put the index template even if it is current")
@click.pass_context
def es_setup(click_ctx, force: bool) -> None:
    """Create or upgrade the index template and create this month's index behind the alias."""
    _, store = _elastic(click_ctx)
    try:
        if force:
            store.ensure_template(force=True)
        info = store.setup()
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    click.echo(f"模板 template {info['template']}: {info['template_status']}")
    click.echo(f"索引 index {info['index']} → 别名 alias {info['alias']}")


@es_group.command("health")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def es_health(click_ctx, as_json: bool) -> None:
    """Cluster health, the alias and its monthly indices, post count, template version."""

    _, store = _elastic(click_ctx)
    try:
        info = store.health()
    except StoreError as exc:
        info = {"backend": store.name, "url": store.url, "status": "unreachable", "error": str(exc)}
    finally:
        store.close()
    if as_json:
        emit_json(info)
    else:
        for key, value in info.items():
            click.echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
    if info["status"] != "ok":
        raise SystemExit(1)


@es_group.command("indices")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def es_indices(click_ctx, as_json: bool) -> None:
    """The monthly post indices behind the alias, with posts and size."""

    _, store = _elastic(click_ctx)
    try:
        rows = store.monthly_indices()
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(f"{r['index']}\t{r['docs']:>10,d} 帖 posts\t{r['bytes'] / 2**20:>9.1f} MiB")
    if not rows:
        click.echo("没有索引 no indices yet: run `yuqing es setup` or ingest")


@es_group.command("prune")
@click.option("--keep-months", type=click.IntRange(1), required=True,
              help="months to keep, the current one included")
@click.option("--dry-run", is_flag=True, help="only list what would be deleted")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@click.pass_context
def es_prune(click_ctx, keep_months: int, dry_run: bool, yes: bool) -> None:
    """Delete the monthly indices older than --keep-months (retention)."""
    _, store = _elastic(click_ctx)
    try:
        doomed = store.prune(keep_months, dry_run=True)
        if not doomed:
            click.echo("无需删除 nothing older than that")
            return
        click.echo("将删除 would delete: " + ", ".join(doomed))
        if dry_run:
            return
        if not yes:
            click.confirm("确认删除 delete these indices?", abort=True)
        deleted = store.prune(keep_months)
        click.echo(f"已删除 deleted {len(deleted)} indices")
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()


@es_group.command("template")
@click.pass_context
def es_template(click_ctx) -> None:
    """Print the posts index template (JSON) as `yuqing es setup` would put it."""

    _, store = _elastic(click_ctx)
    emit_json({"name": store.alias, "body": store.template_body()})


@es_group.command("reindex-from-sqlite")
@click.option("--batch-size", type=click.IntRange(1, 50_000), default=2000, show_default=True)
@click.pass_context
def es_reindex_from_sqlite(click_ctx, batch_size: int) -> None:
    """Copy every post of the embedded SQLite store into Elasticsearch (idempotent)."""
    from rich.progress import Progress

    from yuqing.pipeline.store.sqlite import SqliteStore

    ctx, store = _elastic(click_ctx)
    path = ctx.path(ctx.settings.store.sqlite.path)
    if not path.exists():
        raise click.ClickException(f"no SQLite store at {path}")
    source = SqliteStore(path, tz=ctx.tz)
    total = UpsertResult()
    try:
        with Progress(disable=not sys.stderr.isatty()) as progress:
            task = progress.add_task("reindex", total=source.count())
            batch = []
            for post in source.iter_range(batch_size=batch_size):
                batch.append(post)
                if len(batch) >= batch_size:
                    total += store.upsert_many(batch)
                    progress.advance(task, len(batch))
                    batch = []
            if batch:
                total += store.upsert_many(batch)
                progress.advance(task, len(batch))
        store.refresh()
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        source.close()
        store.close()
    click.echo(f"复制 copied {total.created + total.updated} posts ({total.created} new, "
               f"{total.updated} already there, {len(total.failed)} failed)")
    for pid, why in total.failed[:10]:
        click.echo(f"  {pid}: {why}", err=True)
    if total.failed:
        raise SystemExit(1)


commands = [store_group, es_group]
