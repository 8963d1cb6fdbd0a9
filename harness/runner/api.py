"""``harness.run``: the one way to run specs, used by ``harness run`` and by Python code.

Example::

    import harness

    config = harness.load_config()
    specs, problems = harness.load_specs([config.root / "specs"], config)
    result = harness.run(specs, config, harness.RunOptions(record_mode="none"))
    print(result.pass_rate, result.exit_code())

The pytest plugin builds the same :class:`~harness.runner.run.Run` (its items come from
pytest's selection, one batch at a time, see :mod:`harness.runner.batch`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from rich.console import Console

from harness.cassettes.recorder import Recorder
from harness.config import ProjectConfig
from harness.expect.evaluate import evaluate_case
from harness.runner.item_executor import Evaluate
from harness.runner.pool import DriverFactory
from harness.runner.run import Run, RunOptions, RunResult
from harness.spec.types import Spec
from harness.store.sqlite import Store

__all__ = ["run", "run_async"]


async def run_async(
    specs: Sequence[Spec],
    config: ProjectConfig,
    options: RunOptions | None = None,
    *,
    store: Store | None = None,
    recorder: Recorder | None = None,
    driver_factory: DriverFactory | None = None,
    evaluate: Evaluate | None = None,
    console: Console | None = None,
) -> RunResult:
    """:func:`run` on the running event loop."""
    options = options or RunOptions()
    if recorder is None:
        recorder = Recorder(config.cassettes_dir, options.record_mode)  # type: ignore[arg-type]
    if store is not None:
        run = Run(
            specs,
            config,
            store,
            options,
            recorder=recorder,
            driver_factory=driver_factory,
            evaluate=evaluate if evaluate is not None else evaluate_case,
            console=console,
        )
        return await run.run()
    with Store.open(config.store_path) as opened:
        return await run_async(
            specs,
            config,
            options,
            store=opened,
            recorder=recorder,
            driver_factory=driver_factory,
            evaluate=evaluate,
            console=console,
        )


def run(
    specs: Sequence[Spec],
    config: ProjectConfig,
    options: RunOptions | None = None,
    *,
    store: Store | None = None,
    recorder: Recorder | None = None,
    driver_factory: DriverFactory | None = None,
    evaluate: Evaluate | None = None,
    console: Console | None = None,
) -> RunResult:
    """Run every selected case of ``specs`` on their models; every result goes to the store.

    Args:
        specs: loaded specs (:func:`harness.load_specs`).
        config: the project config (:func:`harness.load_config`).
        options: how to run (selection, concurrency, budget, record mode, resume).
        store: an open results store (default: ``config.store_path``, opened and closed here).
        recorder: the cassettes (default: ``config.cassettes_dir`` in ``options.record_mode``).
        driver_factory: builds drivers (tests pass fakes).
        evaluate: evaluates a case (default :func:`harness.expect.evaluate_case`).
        console: where progress goes (default stderr).

    Returns:
        The run's id, per-model counts and status; ``exit_code()`` gives the CLI's.

    Raises:
        ConfigError: an unknown provider or model, before anything is stored.
    """
    return asyncio.run(
        run_async(
            specs,
            config,
            options,
            store=store,
            recorder=recorder,
            driver_factory=driver_factory,
            evaluate=evaluate,
            console=console,
        )
    )
