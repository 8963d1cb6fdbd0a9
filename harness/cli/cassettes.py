"""``harness cassettes``: check cassettes against the specs, prune the unused ones."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from harness.cassettes.check import CheckReport, item_path, prune, unused_cassettes
from harness.cli.common import Context
from harness.config import ProjectConfig
from harness.errors import ConfigError, SpecError
from harness.runner.cassette_check import check_items, expected_items
from harness.spec.load import load_specs
from harness.spec.types import Spec


def _models(value: str | None) -> tuple[str, ...]:
    return tuple(m.strip() for m in (value or "").split(",") if m.strip())


def _specs(paths: tuple[Path, ...], config: ProjectConfig) -> list[Spec]:
    targets = list(paths) or [config.root / (config.defaults.specs or "specs")]
    specs, problems = load_specs(targets, config)
    if problems:
        raise SpecError(problems)
    if not specs:
        raise ConfigError(f"no specs found in {', '.join(str(t) for t in targets)}")
    return specs


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _unused(
    specs: list[Spec], config: ProjectConfig, models: tuple[str, ...], whole_root: bool
) -> list[Path]:
    # a cassette is in use if the specs' own models or --models would run it
    items = expected_items(specs, config)
    if models:
        items += expected_items(specs, config, models)
    root = config.cassettes_dir
    names = None if whole_root else [s.name for s in specs]
    return unused_cassettes(root, (item_path(root, item) for item in items), spec_names=names)


_PATHS = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
_MODELS = click.option(
    "--models", help="Comma-separated provider:model ids (default: each spec's models)."
)


@click.group("cassettes")
def command() -> None:
    """Check recorded model calls against the specs, and prune unused ones.

    Cassettes live in cassettes/<spec>/<case>/<provider>/<model>.yaml (see
    docs/cassettes.md). Record with `harness run --record-mode once`.
    """


@command.command("check")
@_PATHS
@_MODELS
@click.pass_obj
def check(ctx: Context, paths: tuple[Path, ...], models: str | None) -> None:
    """List stale, missing and unused cassettes; exit 1 if there are any.

    Each item's request is rebuilt and sent through its driver against the cassette,
    without network: stale means a replay run would fail for that item.
    """
    config = ctx.config
    chosen = _models(models)
    specs = _specs(paths, config)
    items = expected_items(specs, config, chosen)
    report: CheckReport = asyncio.run(check_items(items, config, config.cassettes_dir))
    unused = _unused(specs, config, chosen, whole_root=not paths)
    for finding in report.findings:
        click.echo(f"{finding.status:<8} {_shown(finding.path)}  {finding.item_id}")
        if finding.status in ("stale", "error"):
            click.echo(f"         {finding.detail}")
    for path in unused:
        click.echo(f"{'unused':<8} {_shown(path)}")
    counts = {s: len(report.of(s)) for s in ("stale", "missing", "error")}
    click.echo(
        f"{report.checked} items checked: {counts['stale']} stale, {counts['missing']} "
        f"missing, {counts['error']} errors, {len(unused)} unused"
    )
    if report.findings or unused:
        if counts["stale"] or counts["missing"]:
            click.echo("re-record with: harness run --record-mode all (or once for missing)")
        sys.exit(1)


@command.command("prune")
@_PATHS
@_MODELS
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
@click.pass_obj
def prune_command(ctx: Context, paths: tuple[Path, ...], models: str | None, dry_run: bool) -> None:
    """Delete cassettes that no item of the specs uses (their spec, case or model is gone).

    With PATHS, only those specs' folders are pruned; without, the whole cassettes folder.
    """
    config = ctx.config
    specs = _specs(paths, config)
    unused = _unused(specs, config, _models(models), whole_root=not paths)
    if not dry_run:
        prune(unused, config.cassettes_dir)
    verb = "would delete" if dry_run else "deleted"
    for path in unused:
        click.echo(f"{verb} {_shown(path)}")
    click.echo(f"{verb} {len(unused)} unused cassettes" if unused else "no unused cassettes")
