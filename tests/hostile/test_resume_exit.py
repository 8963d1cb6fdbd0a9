"""Item 7: after ``--resume`` the summary and exit code cover the whole run."""

from __future__ import annotations

import io

from rich.console import Console

from harness.config import ProjectConfig
from harness.drivers.base import Request, Response
from harness.errors import ServerError
from harness.runner.run import Runner, RunOptions
from harness.spec.types import Spec
from harness.store.sqlite import Store
from tests.runner.fakes import Drivers, contains_ok, echo, make_spec


def _runner(
    spec: Spec, config: ProjectConfig, store: Store, drivers: Drivers, **options: object
) -> Runner:
    return Runner(
        [spec],
        config,
        store,
        RunOptions(progress=False, **options),  # type: ignore[arg-type]
        driver_factory=drivers,
        evaluate=contains_ok,
        console=Console(file=io.StringIO(), force_terminal=False),
    )


async def test_failures_before_a_resume_still_fail_the_run(
    config: ProjectConfig,
    store: Store,
) -> None:
    def down_for_the_last_two(request: Request) -> Response | Exception:
        if request.messages[-1].text.endswith(("w4", "w5")):
            return ServerError("killed", status_code=500)
        return echo(request)

    # c0..c3: "no" fails, "ok" passes; c4, c5 error (as if the run was killed there)
    spec = make_spec(cases=6, words=lambda i: ("ok" if i % 2 else "no") + f" w{i}")
    first = await _runner(spec, config, store, Drivers({"fake": down_for_the_last_two})).run()
    assert (first.count("failed"), first.count("error")) == (2, 2)

    second = await _runner(spec, config, store, Drivers(), run_id=first.run_id, resume=True).run()
    assert second.resumed_skipped == 4
    assert (second.count("passed"), second.count("failed"), second.count("error")) == (3, 3, 0)
    assert second.pass_rate == 0.5
    assert second.exit_code() == 1
    assert second.exit_code(fail_under=0.5) == 0
    (stats,) = second.stats
    assert stats.passed + stats.failed == 6
