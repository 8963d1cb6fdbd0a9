"""``harness compare``: what changed between two runs, with significance; a CI gate."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from harness.cli.common import Context, store_option
from harness.report.compare import compare_runs
from harness.report.compare_view import format_comparison, render_comparison_html
from harness.report.sources import load_run


@click.command("compare")
@click.argument("run_a")
@click.argument("run_b")
@click.option(
    "--fail-on-regression",
    is_flag=True,
    help="Exit 1 on a significant pass-rate drop (p < 0.05) or any case that flipped "
    "from pass to fail or error.",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the comparison as one HTML page.",
)
@store_option
@click.pass_obj
def command(
    ctx: Context,
    run_a: str,
    run_b: str,
    fail_on_regression: bool,
    html_path: Path | None,
    store_path: Path | None,
) -> None:
    """Compare RUN_A (baseline) with RUN_B (candidate).

    Each RUN is a run id, `latest`, `latest~N`, or a results.json / results.csv file.
    Prints, per model and per spec, the pass-rate change and whether it is significant,
    the cases that flipped, and cost and latency changes.

    \b
    Examples:
      harness compare latest~1 latest
      harness compare reports/base/results.json latest --fail-on-regression --html diff.html
    """
    path = store_path or ctx.config.store_path
    a = load_run(run_a, store_path=path)
    b = load_run(run_b, store_path=path)
    comparison = compare_runs(a.frame, b.frame, name_a=a.name, name_b=b.name)
    click.echo(format_comparison(comparison), nl=False)
    if html_path is not None:
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_text(render_comparison_html(comparison), encoding="utf-8")
        click.echo(f"html: {html_path}")
    reasons = comparison.regressions
    if fail_on_regression and reasons:
        click.echo(f"\n{len(reasons)} regression(s):", err=True)
        for reason in reasons[:20]:
            click.echo(f"  {reason}", err=True)
        if len(reasons) > 20:
            click.echo(f"  ... and {len(reasons) - 20} more", err=True)
        sys.exit(1)
