"""``yuqing store …`` / ``yuqing es …``: store health, spool replay, Elasticsearch templates."""

from __future__ import annotations

import click

from pipeline.store.base import StoreError


@click.group("store")
def store_group() -> None:
    """Post store maintenance (either backend)."""


@store_group.command("health")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def health(click_ctx, as_json: bool) -> None:
    """Show which store is configured and whether it answers."""
    from pipeline.cli import emit_json, get_context
    from pipeline.spool import Spool

    ctx = get_context(click_ctx)
    try:
        info = ctx.store().health()
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
    from pipeline.cli import get_context
    from pipeline.spool import Spool

    ctx = get_context(click_ctx)
    spool = Spool(ctx.path("spool"))
    pending = spool.pending()
    try:
        result = spool.replay(ctx.store())
    except StoreError as exc:
        raise click.ClickException(f"store still unreachable, {pending} posts stay spooled: {exc}") from exc
    click.echo(f"replayed {result.created + result.updated} posts "
               f"({result.created} new, {result.updated} already stored)")


commands = [store_group]
