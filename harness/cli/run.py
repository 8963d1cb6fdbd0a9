"""``harness run``: run every selected case of every spec on every model, store and report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Literal

import click
from rich.console import Console

from harness.cli.common import Context, store_option
from harness.cli.executor_options import chosen_executor, executor_options
from harness.cli.pressure import concurrency_option, patience_option
from harness.cli.resume import RunChoices, resume_choices
from harness.cli.run_output import print_run_end, run_json, write_run_files
from harness.config import ProjectConfig
from harness.errors import ConfigError, SpecError
from harness.run_ids import check_run_id, run_folder
from harness.runner.api import run
from harness.runner.cache import DEFAULT_TTL
from harness.runner.expand import Selection, parse_shard
from harness.runner.run import RunOptions, new_run_id
from harness.spec.load import load_specs
from harness.spec.types import Spec
from harness.store.fallback import FallbackFile
from harness.store.integrity import recovery_steps
from harness.store.records import RunInfo
from harness.store.sqlite import Store

LATEST = "__latest__"


def _models(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(m.strip() for m in value.split(",") if m.strip())


def _rate(value: float | None) -> float | None:
    if value is None:
        return None
    rate = value / 100 if value > 1 else value
    if not 0 <= rate <= 1:
        raise ConfigError(f"--fail-under {value} must be a pass rate in 0..1 (or a percentage)")
    return rate


def _record_mode(flag: str | None, config: ProjectConfig) -> str:
    from harness.cassettes.modes import resolve_record_mode

    return str(resolve_record_mode(flag, config))


def _recorder(config: ProjectConfig, mode: str) -> Any:
    from harness.cassettes.recorder import Recorder

    return Recorder(config.cassettes_dir, mode)  # type: ignore[arg-type]


def _load(paths: tuple[Path, ...], config: ProjectConfig) -> list[Spec]:
    targets = list(paths) or [config.root / (config.defaults.specs or "specs")]
    specs, problems = load_specs(targets, config)
    if problems:
        raise SpecError(problems)
    if not specs:
        raise ConfigError(f"no specs found in {', '.join(str(t) for t in targets)}")
    return specs


def _resumed(store: Store, resume: str) -> RunInfo:
    run_id = store.latest_run_id(unfinished=True) if resume == LATEST else resume
    if run_id is None:
        raise ConfigError(f"--resume: no unfinished run in {store.path}; name one: --resume RUN_ID")
    return store.run(run_id)


@click.command("run")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--models", help="Comma-separated provider:model ids; overrides the specs' models.")
@click.option(
    "--prompts", help="Comma-separated prompt variant names: run only these of specs' prompts:."
)
@concurrency_option
@patience_option
@click.option("--repeat", type=click.IntRange(min=1), help="Run each item K times (keeps all).")
@click.option("--max-cost", type=click.FloatRange(min=0), help="Budget in USD for the whole run.")
@click.option(
    "--record-mode",
    help="Cassettes: none (replay only), once, new_episodes, all, off. Default from "
    "HARNESS_RECORD_MODE, harness.yaml, then 'none' on CI and 'once' elsewhere.",
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Results folder.")
@click.option(
    "--resume",
    is_flag=False,
    flag_value=LATEST,
    default=None,
    metavar="[RUN_ID]",
    help="Continue a run (default: the latest unfinished one); only missing items run.",
)
@click.option("-k", "filter_", metavar="FILTER", help="Select items: 'qa and not gemini'.")
@click.option("--fail-under", type=float, metavar="RATE", help="Exit 0 if pass rate >= RATE.")
@click.option("--dry-run", is_flag=True, help="Print calls and cost range per model; no calls.")
@click.option(
    "--cache", is_flag=True, help="Reuse identical earlier responses (not with --repeat)."
)
@click.option("--cache-ttl", type=float, default=DEFAULT_TTL, show_default=True, help="Seconds.")
@click.option("--shard", metavar="K/N", help="Run only shard K of N (stable across machines).")
@click.option(
    "--batch",
    is_flag=True,
    help="Send calls through the providers' batch APIs (OpenAI, Anthropic, Gemini: half "
    "the price, answers within 24 h); waits for them, resumable with --resume.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run's summary as JSON.")
@executor_options
@store_option
@click.pass_obj
def command(
    ctx: Context,
    paths: tuple[Path, ...],
    models: str | None,
    prompts: str | None,
    concurrency: int | Literal["auto"] | None,
    rate_limit_patience: float | None,
    repeat: int | None,
    max_cost: float | None,
    record_mode: str | None,
    out: Path | None,
    resume: str | None,
    filter_: str | None,
    fail_under: float | None,
    dry_run: bool,
    cache: bool,
    cache_ttl: float,
    shard: str | None,
    batch: bool,
    as_json: bool,
    store_path: Path | None,
) -> None:
    """Run specs (default: specs/) on models and write the results.

    Results go to the store (default reports/harness.db) as each item finishes, and to
    reports/<run-id>/results.csv and results.json (or --out). Exit status: 0 every
    expectation passed, 1 some failed (or the pass rate is under --fail-under),
    2 errors stopped the run.
    """
    config = ctx.config
    floor = _rate(fail_under)
    executor, executor_settings = chosen_executor()
    store_file = store_path or config.store_path
    stdout = Console(highlight=False)
    if not stdout.is_terminal:
        stdout = Console(highlight=False, width=160)  # logs: don't squeeze the summary table
    info: RunInfo | None = None
    if resume is not None:
        with Store.open(store_file) as peek:
            if resume != LATEST and resume not in peek.run_ids() and Path(resume).exists():
                # `--resume specs/`: click took the path for the optional RUN_ID
                paths, resume = (Path(resume), *paths), LATEST
            info = _resumed(peek, resume)
        check_run_id(info.run_id, where="stored run id")  # it names reports/<run-id>/
        given = RunChoices(
            paths, models, repeat, filter_, shard, record_mode, max_cost, cache, batch
        )
        chosen, note = resume_choices(given, info)
        paths, models, repeat, filter_, shard = (
            chosen.paths,
            chosen.models,
            chosen.repeat,
            chosen.filter,
            chosen.shard,
        )
        record_mode, max_cost, cache = chosen.record_mode, chosen.max_cost, chosen.cache
        batch = chosen.batch
        prompts = prompts or ",".join(info.params.get("prompts") or ()) or None
        Console(stderr=True, highlight=False).print(note, markup=False, emoji=False)
    selection = Selection(
        models=_models(models),
        prompts=_models(prompts),
        repeat=repeat,
        filter=filter_,
        shard=parse_shard(shard) if shard else None,
    )
    specs = _load(paths, config)
    mode = _record_mode(record_mode, config)
    if dry_run:
        from harness.runner.dryrun import dry_run_table, estimate_run

        estimates = estimate_run(specs, selection, config, record_mode=mode, batch=batch)
        stdout.print(dry_run_table(estimates, width=stdout.width))
        return
    options = RunOptions(
        selection=selection,
        concurrency=concurrency,
        max_cost=max_cost,
        record_mode=mode,
        cache=cache,
        cache_ttl=cache_ttl,
        run_id=info.run_id if info else new_run_id(),
        resume=info is not None,
        paths=tuple(str(p) for p in paths),
        rate_limit_patience=rate_limit_patience,
        executor=executor,
        executor_options=executor_settings,
        batch=batch,
    )
    with Store.open(store_file) as store:
        try:
            result = run(specs, config, options, store=store, recorder=_recorder(config, mode))
        except KeyboardInterrupt:
            click.echo(
                f"interrupted: finished items are stored; continue with "
                f"harness run --resume {options.run_id}",
                err=True,
            )
            sys.exit(2)
        out_dir = out or run_folder(config.reports_dir, result.run_id)
        if result.unsaved is not None:
            _say_unsaved(result.unsaved, store_file, stdout)
            sys.exit(2)
        files = write_run_files(store, result.run_id, out_dir)
        timings = "recorded" if mode == "none" else "live"
    if as_json:
        click.echo(
            run_json(result, out_dir=out_dir, files=files, fail_under=floor, max_cost=max_cost)
        )
    else:
        print_run_end(
            result, stdout, out_dir=out_dir, files=files, timings=timings, max_cost=max_cost
        )
    sys.exit(result.exit_code(floor))


def _say_unsaved(unsaved: FallbackFile, store_file: Path, console: Console) -> None:
    """Where the results the store refused went, and what to do."""
    console.print(
        f"{unsaved.count} result(s) could not be written to the store {store_file} "
        f"({unsaved.error}); they are safe in {unsaved.path} (one JSON object a line). "
        f"{recovery_steps(store_file)}",
        style="bold red",
        markup=False,
        emoji=False,
    )
