"""``harness report``: re-render a run's reports from the results store."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli.common import Context, store_option
from harness.errors import ConfigError
from harness.report import write_reports
from harness.report.sources import resolve_run_id
from harness.run_ids import run_folder
from harness.store.sqlite import Store


@click.command("report")
@click.argument("run", default="latest")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write into (default: <reports>/<run id>/).",
)
@store_option
@click.pass_obj
def command(ctx: Context, run: str, out_dir: Path | None, store_path: Path | None) -> None:
    """Write report.html, summary.csv, results.csv and results.json for RUN
    (and results.parquet when pyarrow is installed).

    RUN is a run id, `latest` (the default) or `latest~N`.

    \b
    Example:
      harness report latest --out /tmp/report
    """
    path = store_path or ctx.config.store_path
    if not path.is_file():
        raise ConfigError(f"no results store at {path}: run `harness run` first")
    with Store.open(path) as store:
        run_id = resolve_run_id(store, run)
        target = out_dir or run_folder(ctx.config.reports_dir, run_id)
        paths = write_reports(store, run_id, target)
    for kind, written in paths.items():
        click.echo(f"{kind}: {written}")
