"""The runner: every item ends in exactly one record, whatever the drivers do."""

from __future__ import annotations

import asyncio
import io
from collections import Counter

import pytest
from rich.console import Console

from harness.config import ProjectConfig
from harness.drivers.base import Request, Response, Usage
from harness.errors import ConfigError, RateLimitError, ServerError
from harness.expect.types import CaseVerdict, JudgeCall, Output, Verdict
from harness.runner.expand import Selection
from harness.runner.run import Runner, RunOptions
from harness.spec.types import Case, Spec
from harness.store.sqlite import Store
from tests.runner.fakes import Drivers, contains_ok, echo, make_spec


def _runner(
    specs: list[Spec],
    config: ProjectConfig,
    store: Store,
    drivers: Drivers,
    **options: object,
) -> Runner:
    return Runner(
        specs,
        config,
        store,
        RunOptions(progress=False, **options),  # type: ignore[arg-type]
        driver_factory=drivers,
        evaluate=contains_ok,
        console=Console(file=io.StringIO(), force_terminal=False),
    )


async def test_every_item_is_stored_with_its_verdict(config: ProjectConfig, store: Store) -> None:
    runner = _runner([make_spec(cases=4)], config, store, Drivers())
    result = await runner.run()
    frame = store.results_frame(result.run_id)
    assert sorted(frame["case_id"]) == ["c0", "c1", "c2", "c3"]
    assert dict(Counter(frame["status"])) == {"passed": 2, "failed": 2}
    assert frame.loc[frame["case_id"] == "c0", "prompt"].item() == "say ok"
    assert frame.loc[frame["case_id"] == "c0", "cost_usd"].item() == pytest.approx(0.001)
    assert store.run(result.run_id).status == "finished"
    assert result.exit_code() == 1


@pytest.mark.parametrize(
    ("words", "fail_under", "code"),
    [
        pytest.param(lambda i: "ok", None, 0, id="all-pass"),
        pytest.param(lambda i: "ok" if i else "no", None, 1, id="one-fails"),
        pytest.param(lambda i: "ok" if i else "no", 0.75, 0, id="above-floor"),
        pytest.param(lambda i: "ok" if i else "no", 0.8, 1, id="below-floor"),
    ],
)
async def test_exit_codes(
    config: ProjectConfig, store: Store, words: object, fail_under: float | None, code: int
) -> None:
    spec = make_spec(cases=4, words=words)  # type: ignore[arg-type]
    result = await _runner([spec], config, store, Drivers()).run()
    assert result.exit_code(fail_under) == code


async def test_errors_are_recorded_and_never_stop_the_run(
    config: ProjectConfig, store: Store
) -> None:
    def script(request: Request) -> Response | Exception:
        text = request.messages[-1].text
        if text.endswith("w3"):
            error = RateLimitError("slow down", provider="fake", model="m1", status_code=429)
            error.retry_after = 0.05
            return error
        if text.endswith("w5"):
            return ValueError("driver bug")
        return echo(request)

    spec = make_spec(cases=8, words=lambda i: f"ok w{i}")
    # a provider that rate-limits one call forever: retried until the patience runs out
    drivers = Drivers({"fake": script})
    runner = _runner([spec], config, store, drivers, rate_limit_patience=0.3)
    result = await runner.run()
    by_case = {r.case_id: r for r in store.iter_results(result.run_id)}
    assert len(by_case) == 8
    assert by_case["c3"].status == "error"
    assert by_case["c3"].error_type == "RateLimitError"
    assert "kept rate-limiting" in (by_case["c3"].error or "")
    calls = sum(r.messages[-1].text.endswith("w3") for r in drivers.made["fake"].calls)
    assert 2 <= calls <= 12  # about every 0.05 s for 0.3 s: paused in between, not hammered
    assert by_case["c3"].retries == calls - 1
    assert by_case["c5"].error_type == "ValueError"
    assert sum(r.status == "passed" for r in by_case.values()) == 6
    assert result.count("error") == 2
    assert result.exit_code() == 1


async def test_repeat_keeps_every_attempt(config: ProjectConfig, store: Store) -> None:
    spec = make_spec(cases=2)
    runner = _runner([spec], config, store, Drivers(), selection=Selection(repeat=3))
    result = await runner.run()
    ids = sorted(r.item_id for r in store.iter_results(result.run_id))
    assert ids == [f"qa::c{c}::fake:m1::{a}" for c in (0, 1) for a in (1, 2, 3)]


async def test_budget_stops_new_calls_and_skips_the_rest(
    config: ProjectConfig, store: Store
) -> None:
    drivers = Drivers()
    spec = make_spec(cases=10, words=lambda i: "ok")
    runner = _runner([spec], config, store, drivers, max_cost=0.0035, concurrency=1)
    result = await runner.run()
    statuses = Counter(r.status for r in store.iter_results(result.run_id))
    assert statuses == {"passed": 3, "skipped": 7}
    assert len(drivers.made["fake"].calls) == 3
    skipped = [r for r in store.iter_results(result.run_id) if r.status == "skipped"]
    assert {r.error_type for r in skipped} == {"budget"}


async def test_per_spec_max_cost(config: ProjectConfig, store: Store) -> None:
    cheap = make_spec("cheap", cases=5, words=lambda i: "ok", max_cost=0.0015)
    free = make_spec("free", cases=5, words=lambda i: "ok")
    result = await _runner([cheap, free], config, store, Drivers(), concurrency=1).run()
    frame = store.results_frame(result.run_id)
    counts = frame.groupby(["spec", "status"]).size().to_dict()
    assert counts == {("cheap", "passed"): 1, ("cheap", "skipped"): 4, ("free", "passed"): 5}


async def test_slow_provider_does_not_stall_the_others(config: ProjectConfig, store: Store) -> None:
    spec = make_spec(cases=6, models=("slow:m2", "fake:m1"), words=lambda i: "ok")
    drivers = Drivers()
    runner = _runner([spec], config, store, drivers, concurrency=4)
    original = drivers.__call__

    def factory(settings, prices):  # type: ignore[no-untyped-def]
        driver = original(settings, prices)
        if settings.name == "slow":
            driver.delay = 0.05  # type: ignore[attr-defined]
        return driver

    runner.pool._factory = factory
    result = await runner.run()
    records = list(store.iter_results(result.run_id))
    fast_done = max(r.finished_at or 0 for r in records if r.model == "fake:m1")
    slow_done = max(r.finished_at or 0 for r in records if r.model == "slow:m2")
    assert fast_done < slow_done - 0.05  # the fast model finished well before the slow one
    assert drivers.made["slow"].max_in_flight <= 2  # the provider's own limit
    assert len(records) == 12


async def test_global_concurrency_is_respected(config: ProjectConfig, store: Store) -> None:
    drivers = Drivers(delay=0.01)
    spec = make_spec(cases=20)
    await _runner([spec], config, store, drivers, concurrency=3).run()
    assert drivers.made["fake"].max_in_flight == 3


async def test_skipped_cases_are_recorded_as_skipped(config: ProjectConfig, store: Store) -> None:
    spec = make_spec(cases=2)
    skipped = Case(id="later", vars={"word": "ok"}, expect=(), skip="flaky upstream")
    spec = Spec(
        **{**{f: getattr(spec, f) for f in spec.__slots__}, "cases": (*spec.cases, skipped)}
    )
    drivers = Drivers()
    result = await _runner([spec], config, store, drivers).run()
    record = next(r for r in store.iter_results(result.run_id) if r.case_id == "later")
    assert (record.status, record.error) == ("skipped", "flaky upstream")
    assert len(drivers.made["fake"].calls) == 2


async def test_resume_runs_only_missing_and_errored_items(
    config: ProjectConfig, store: Store
) -> None:
    calls = Counter[str]()

    def flaky(request: Request) -> Response | Exception:
        calls[request.messages[-1].text] += 1
        if request.messages[-1].text.endswith("w1"):
            return ServerError("boom", status_code=500)
        return echo(request)

    spec = make_spec(cases=4, words=lambda i: f"ok w{i}")
    first = await _runner([spec], config, store, Drivers({"fake": flaky})).run()
    assert first.count("error") == 1
    drivers = Drivers()
    second = await _runner([spec], config, store, drivers, run_id=first.run_id, resume=True).run()
    assert second.run_id == first.run_id
    assert second.resumed_skipped == 3
    assert len(drivers.made["fake"].calls) == 1
    records = list(store.iter_results(first.run_id))
    assert len(records) == 4
    assert {r.status for r in records} == {"passed"}


async def test_cache_answers_identical_requests_without_a_call(
    config: ProjectConfig, store: Store
) -> None:
    spec = make_spec(cases=3)
    await _runner([spec], config, store, Drivers(), cache=True).run()
    drivers = Drivers()
    result = await _runner([spec], config, store, drivers, cache=True).run()
    assert "fake" not in drivers.made or not drivers.made["fake"].calls
    records = list(store.iter_results(result.run_id))
    assert all(r.cached and r.cost_usd == 0.0 for r in records)
    assert Counter(r.status for r in records) == {"passed": 2, "failed": 1}


async def test_cache_is_never_used_when_repeating(config: ProjectConfig, store: Store) -> None:
    spec = make_spec(cases=1)
    drivers = Drivers()
    runner = _runner([spec], config, store, drivers, cache=True, selection=Selection(repeat=2))
    await runner.run()
    assert len(drivers.made["fake"].calls) == 2
    assert not runner.use_cache


async def test_judge_calls_go_through_the_pool(config: ProjectConfig, store: Store) -> None:
    async def judged(
        spec: Spec, case: Case, output: Output, *, judge: JudgeCall | None = None
    ) -> CaseVerdict:
        assert judge is not None
        answer = await judge("slow:judge", Request(model="judge", messages=()))
        passed = answer.text == "yes"
        return CaseVerdict(passed, 1.0, (Verdict("judge", passed, 1.0, answer.text),))

    def judge_script(request: Request) -> Response:
        return Response(text="yes", usage=Usage(1, 1))

    drivers = Drivers({"slow": judge_script})
    runner = _runner([make_spec(cases=2)], config, store, drivers)
    runner.evaluate = judged
    result = await runner.run()
    assert result.count("passed") == 2
    assert len(drivers.made["slow"].calls) == 2


async def test_cancelled_run_is_marked_interrupted(config: ProjectConfig, store: Store) -> None:
    runner = _runner([make_spec(cases=50)], config, store, Drivers(delay=0.02), concurrency=2)
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    info = store.run(runner.run_id)
    assert info.status == "interrupted"
    assert 0 < store.count(runner.run_id) < 50
    assert store.latest_run_id(unfinished=True) == runner.run_id


async def test_unknown_provider_fails_before_anything_is_stored(
    config: ProjectConfig, store: Store
) -> None:
    with pytest.raises(ConfigError, match="unknown provider 'nope'"):
        _runner([make_spec(models=("nope:x",))], config, store, Drivers())
    assert store.latest_run_id() is None


async def test_progress_false_prints_nothing(config: ProjectConfig, store: Store) -> None:
    out = io.StringIO()
    runner = Runner(
        [make_spec(cases=3)],
        config,
        store,
        RunOptions(progress=False),
        driver_factory=Drivers(),
        evaluate=contains_ok,
        console=Console(file=out, force_terminal=False),
    )
    result = await runner.run()
    assert result.count("passed") + result.count("failed") == 3
    assert out.getvalue() == ""


async def test_a_selection_of_nothing_raises_and_starts_no_run(
    config: ProjectConfig, store: Store
) -> None:
    runner = _runner(
        [make_spec(cases=2)], config, store, Drivers(), selection=Selection(filter="zzz")
    )
    with pytest.raises(ConfigError, match="nothing selected: -k 'zzz' matches none of the 2"):
        await runner.run()
    assert store.run_ids() == []
