"""``harness grade``: score answers you already have against a spec's expectations."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click
from rich.console import Console

from harness.cli.common import Context, store_option
from harness.cli.run_output import write_run_files
from harness.errors import ConfigError, SpecError
from harness.runner.expand import Selection
from harness.runner.grade import ItemScope, grading_setup, read_outputs
from harness.runner.run import Runner, RunOptions, new_run_id
from harness.runner.summary import print_summary
from harness.spec.load import load_spec, shown_path
from harness.store.sqlite import Store


@click.command("grade")
@click.argument("outputs", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--spec",
    "spec_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The spec whose cases and expectations the answers are graded against.",
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Results folder.")
@click.option("--fail-under", type=float, metavar="RATE", help="Exit 0 if pass rate >= RATE.")
@store_option
@click.pass_obj
def command(
    ctx: Context,
    outputs: Path,
    spec_path: Path,
    out: Path | None,
    fail_under: float | None,
    store_path: Path | None,
) -> None:
    """Grade OUTPUTS (JSONL: {"case": ID, "output": TEXT, "model": NAME, ...} per line).

    Scores each answer against the spec's expectations (transforms, assertions, judge)
    and writes the same store, results files and report as `harness run`. Exit status:
    0 every expectation passed, 1 some failed, 2 the outputs file or the spec is invalid.
    """
    from harness.cli.run import _rate

    config = ctx.config
    spec = load_spec(spec_path, config)
    answers = read_outputs(outputs, shown_path(outputs), spec)
    if answers.problems:
        raise SpecError(answers.problems)
    if not answers.by_key:
        raise ConfigError(f"{shown_path(outputs)} holds no answers to grade")
    cut, graded_config, factory = grading_setup(spec, answers, config, shown_path(outputs))
    options = RunOptions(
        selection=Selection(models=answers.models),
        run_id=new_run_id(),
        paths=(str(spec_path),),
    )
    stdout = Console(highlight=False)
    if not stdout.is_terminal:
        stdout = Console(highlight=False, width=160)  # logs: don't squeeze the summary table
    with Store.open(store_path or config.store_path) as store:
        runner = Runner(
            [cut], graded_config, store, options, recorder=ItemScope(), driver_factory=factory
        )
        result = asyncio.run(runner.run())
        out_dir = out or config.reports_dir / result.run_id
        files = write_run_files(store, result.run_id, out_dir)
        print_summary(result.stats, stdout, timings="recorded")
    stdout.print(f"graded {len(answers.by_key)} answer(s): run {result.run_id}")
    for f in files:
        stdout.print(f"  {f}")
    sys.exit(result.exit_code(_rate(fail_under)))
