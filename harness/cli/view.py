"""``harness view``: browse every run of the results store in a local web app."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli.common import Context, store_option


@click.command("view")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)  # fmt: skip
@click.option("--no-open", is_flag=True, help="Don't open the browser.")
@store_option
@click.pass_obj
def command(ctx: Context, port: int, no_open: bool, store_path: Path | None) -> None:
    """Browse the results store: runs, reports, comparisons, trends, items.

    Serves on 127.0.0.1 only and opens the browser (unless --no-open). Needs the
    view extra: pip install 'harness[view]'.

    \b
    Examples:
      harness view
      harness view --store reports/harness.db --port 9000 --no-open
    """
    from harness.view.serve import serve

    serve(
        store_path or ctx.config.store_path,
        port=port,
        open_browser=not no_open,
        announce=lambda line: click.echo(line, err=True),
    )
