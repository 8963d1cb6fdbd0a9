"""``harness merge``: join the stores of a sharded run into one run."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli.common import Context
from harness.cli.run_output import write_run_files
from harness.run_ids import check_run_id, run_folder
from harness.runner.run import new_run_id
from harness.store.merge import merge_stores
from harness.store.sqlite import Store


@click.command("merge")
@click.argument("stores", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--into", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Target store."
)
@click.option("--run-id", help="Id of the merged run (default: a new one).")
@click.option(
    "--run", "runs", multiple=True, help="Take this run id (default: each store's latest)."
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Results folder.")
@click.pass_obj
def command(
    ctx: Context,
    stores: tuple[Path, ...],
    into: Path,
    run_id: str | None,
    runs: tuple[str, ...],
    out: Path | None,
) -> None:
    """Join shard stores (harness run --shard K/N --store shard-K.db) into one run in --into.

    Items kept once each; the merged run's report and results files are written to
    reports/<run-id>/ (or --out), as ``harness run`` writes them.
    """
    if run_id is not None:  # it names reports/<run-id>/: checked before anything is written
        check_run_id(run_id, where="--run-id")
    info = merge_stores(list(stores), into, run_id=run_id or new_run_id(), source_run_ids=runs)
    out_dir = out or run_folder(ctx.config.reports_dir, info.run_id)
    with Store.open(into) as store:
        count = store.count(info.run_id)
        files = write_run_files(store, info.run_id, out_dir)
    click.echo(
        f"merged {len(info.params.get('merged_from', []))} run(s), {count} result(s) "
        f"into run {info.run_id} in {into}"
    )
    for f in files:
        click.echo(f"  {f}")
