"""``yuqing store …`` / ``yuqing es …``: store health, spool replay, Elasticsearch templates."""

from __future__ import annotations

import sys

import click

from yuqing.pipeline.cli.common import emit_json, get_context
from yuqing.pipeline.store.base import StoreError, UpsertResult


@click.group("store")
def store_group() -> None:
    """存储状态与暂存补写

    帖子存储的维护，SQLite 与 Elasticsearch 两种后端均适用。
    """


@store_group.command("health")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def health(click_ctx, as_json: bool) -> None:
    """显示所配置的存储及其是否可用

    同时给出暂存待补写的帖子数。存储不可用时退出码 1。
    """
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
    """把存储不可用期间暂存的帖子补写入存储"""
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
    """Elasticsearch 索引模板、月度索引、保留与迁移

    无论 store.backend 设为哪种，都使用 store.elasticsearch 的设置。
    """


def _elastic(click_ctx):

    from yuqing.pipeline.store.elastic import ElasticStore

    ctx = get_context(click_ctx)
    try:
        return ctx, ElasticStore(ctx.settings.store.elasticsearch, tz=ctx.tz)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc


@es_group.command("setup")
@click.option("--force", is_flag=True, help="即使索引模板已是最新也重新写入")
@click.pass_context
def es_setup(click_ctx, force: bool) -> None:
    """创建或升级索引模板，并在别名下创建本月索引"""
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
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def es_health(click_ctx, as_json: bool) -> None:
    """集群健康、别名及其月度索引、帖子数、模板版本

    状态不是 ok 时退出码 1。
    """

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
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def es_indices(click_ctx, as_json: bool) -> None:
    """别名下的月度帖子索引，及各自的帖子数与大小"""

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
              help="保留的月数（含当月）")
@click.option("--dry-run", is_flag=True, help="只列出将删除的索引，不删除")
@click.option("--yes", is_flag=True, help="不再询问，直接删除")
@click.pass_context
def es_prune(click_ctx, keep_months: int, dry_run: bool, yes: bool) -> None:
    """删除早于 --keep-months 的月度索引（数据保留期）"""
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
    """输出帖子索引模板（JSON），即 yuqing es setup 写入的内容"""

    _, store = _elastic(click_ctx)
    emit_json({"name": store.alias, "body": store.template_body()})


@es_group.command("reindex-from-sqlite")
@click.option("--batch-size", type=click.IntRange(1, 50_000), default=2000, show_default=True,
              help="每批写入的帖子数")
@click.pass_context
def es_reindex_from_sqlite(click_ctx, batch_size: int) -> None:
    """把内置 SQLite 存储的全部帖子复制到 Elasticsearch

    可重复执行，已有的帖子只会更新。有帖子写入失败时退出码 1。
    """
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
