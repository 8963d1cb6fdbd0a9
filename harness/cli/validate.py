"""``harness validate``: check specs without running anything."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from harness.cli.common import Context
from harness.errors import SpecError
from harness.spec.load import load_specs
from harness.spec.python_refs import no_code_execution


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-q", "--quiet", is_flag=True, help="Print problems only.")
@click.option(
    "--explain",
    is_flag=True,
    help="Print where each inherited value (params, expect, transform, models, judge, tags) "
    "came from: the spec or harness.yaml defaults.",
)
@click.pass_obj
def validate(ctx: Context, paths: tuple[Path, ...], quiet: bool, explain: bool) -> None:
    """Check spec files (default: specs/) and report every problem as path:line:col.

    Checks YAML syntax, the spec format, JSON Schemas, template variables against
    every case, duplicate names and case ids, cases files, model ids and imports.
    Exits 1 when any problem is found.
    """
    try:
        config = ctx.config
    except SpecError as exc:
        for problem in exc.problems:
            click.echo(str(problem))
        sys.exit(1)
    targets = list(paths) or [config.root / (config.defaults.specs or "specs")]
    with no_code_execution():  # validate reads; spec-named code runs only in run/pytest
        specs, problems = load_specs(targets, config)
    for problem in problems:
        click.echo(str(problem))
    for spec in specs:
        for warning in spec.warnings:
            click.echo(f"warning: {warning}", err=True)
        if explain:
            for key, origin in spec.origins.items():
                click.echo(f"{spec.path}: {key}: from {origin}")
    if problems:
        files = len({p.path for p in problems})
        click.echo(f"{len(problems)} problem(s) in {files} file(s)", err=True)
        sys.exit(1)
    if not quiet:
        cases = sum(len(s.cases) for s in specs)
        click.echo(f"ok: {len(specs)} spec(s), {cases} case(s)")


command = validate
