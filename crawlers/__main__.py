"""``python -m crawlers``: the crawler commands (``crawl``, ``sources``) on their own, with the same
global options as ``yuqing`` — a light entry point for scheduled child processes and tests, which
need not import every other area's command-line modules."""

from __future__ import annotations

from pathlib import Path

import click

from crawlers.cli import commands


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config-dir", type=click.Path(file_okay=False, path_type=Path), envvar="YUQING_CONFIG_DIR",
              help="directory of settings.yaml and sources.yaml [./config]")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="YUQING_DATA_DIR",
              help="where runtime state lives [./var]")
@click.pass_context
def main(click_ctx: click.Context, config_dir: Path | None, data_dir: Path | None) -> None:
    """yuqing 采集：crawl one source, list and check sources."""
    click_ctx.obj = {"config_dir": config_dir, "data_dir": data_dir}


for command in commands:
    main.add_command(command)

if __name__ == "__main__":
    main()
