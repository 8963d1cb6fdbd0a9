"""harness.hooks: the events a run emits, in order; failing hooks; entry points."""

from __future__ import annotations

import logging
import sys
import textwrap
from pathlib import Path

import pytest

import harness.hooks
from harness.config import ProjectConfig
from harness.hooks import CallFinished, Hooks, ItemFinished, RunFinished, RunStarted
from harness.store.sqlite import Store
from tests.observe.runs import small_run
from tests.runner.conftest import config, store

__all__ = ["config", "store"]


class Recorder:
    """Keeps every event it is given, by method name."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def __getattr__(self, name: str) -> object:
        if name not in harness.hooks.HOOK_METHODS:
            raise AttributeError(name)
        return lambda event: self.events.append((name, event))

    def of(self, name: str) -> list[object]:
        return [e for n, e in self.events if n == name]


async def test_a_run_emits_every_event_in_order(config: ProjectConfig, store: Store) -> None:
    rec = Recorder()
    result = await small_run(config, store, Hooks([rec]))
    names = [n for n, _ in rec.events]
    assert names[0] == "run_started" and names[-1] == "run_finished"
    started = rec.of("run_started")[0]
    assert isinstance(started, RunStarted)
    assert started.items == 3 and started.models == ("fake:m1",)
    assert len(rec.of("item_started")) == len(rec.of("item_finished")) == 3
    # 3 model calls, and a judge call for each of the 2 answers
    calls = rec.of("call_finished")
    assert len(rec.of("call_started")) == len(calls) == 5
    assert all(isinstance(c, CallFinished) for c in calls)
    judge = [c for c in calls if isinstance(c, CallFinished) and c.judge]
    assert len(judge) == 2 and {c.model for c in judge} == {"slow:judge"}
    # a judge call belongs to the item it judges
    assert {c.item_id for c in judge} == {"qa::c0::fake:m1::1", "qa::c2::fake:m1::1"}
    failed = [c for c in calls if isinstance(c, CallFinished) and c.status == "error"]
    assert len(failed) == 1 and type(failed[0].error).__name__ == "BadRequestError"
    assert failed[0].item_id == "qa::c1::fake:m1::1" and failed[0].response is None
    ok = next(c for c in calls if isinstance(c, CallFinished) and c.status == "ok" and not c.judge)
    assert (ok.input_tokens, ok.output_tokens, ok.cost_usd, ok.latency_ms) == (10, 10, 0.001, 5.0)
    # each item's events sit between its item_started and item_finished
    for finished in rec.of("item_finished"):
        assert isinstance(finished, ItemFinished)
        assert finished.record.status in ("passed", "error")
    end = rec.of("run_finished")[0]
    assert isinstance(end, RunFinished)
    assert end.status == "finished" and end.counts["passed"] == 2 and end.counts["error"] == 1
    assert result.count("passed") == 2


class Broken:
    def __init__(self) -> None:
        self.calls = 0

    def call_finished(self, event: CallFinished) -> None:
        self.calls += 1
        raise RuntimeError("hook bug")


async def test_a_raising_hook_is_reported_once_and_never_stops_the_run(
    config: ProjectConfig, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    broken, rec = Broken(), Recorder()
    with caplog.at_level(logging.WARNING, logger="harness.hooks"):
        result = await small_run(config, store, Hooks([broken, rec]))
    assert broken.calls == 5  # called every time ...
    warnings = [r for r in caplog.records if r.name == "harness.hooks"]
    assert len(warnings) == 1  # ... reported once
    assert "Broken.call_finished raised RuntimeError: hook bug" in warnings[0].getMessage()
    # the hook after it still got every event, and the results are untouched
    assert len(rec.of("call_finished")) == 5
    assert result.status == "finished" and result.count("passed") == 2


async def test_the_wait_for_limits_is_measured(config: ProjectConfig, store: Store) -> None:
    from harness.runner.run import Runner, RunOptions
    from tests.runner.fakes import Drivers, contains_ok, make_spec

    rec = Recorder()
    runner = Runner(
        [make_spec(cases=4, models=("fake:m1", "slow:m2"))],
        config,
        store,
        RunOptions(progress=False, concurrency=1),
        driver_factory=Drivers(delay=0.05),
        evaluate=contains_ok,
        hooks=Hooks([rec]),
    )
    await runner.run()
    waits = sorted(c.wait_ms for c in rec.of("call_finished") if isinstance(c, CallFinished))
    # two providers' workers share one global slot: each call but the first waits for it
    assert waits[0] < 40
    assert waits[-1] >= 40


def test_register_needs_a_hook_method() -> None:
    with pytest.raises(TypeError, match="none of the hook methods"):
        harness.hooks.register(object())


async def test_registered_hooks_join_every_run(config: ProjectConfig, store: Store) -> None:
    rec = Recorder()
    with harness.hooks.registered_for(rec):
        await small_run(config, store)
    assert len(rec.of("item_finished")) == 3
    assert rec not in harness.hooks.registered()


def _dist(site: Path, name: str, module: str, entry: str) -> None:
    (site / f"{name}.py").write_text(textwrap.dedent(module), encoding="utf-8")
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[harness.hooks]\n{entry}\n")


async def test_entry_point_hooks_load_and_a_broken_one_is_skipped(
    config: ProjectConfig,
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    _dist(
        site,
        "counting_hook",
        """
        SEEN = []

        class Counting:
            def item_finished(self, event):
                SEEN.append(event.record.item_id)
        """,
        "counting = counting_hook:Counting",
    )
    _dist(site, "broken_hook", "raise ImportError('no such thing')", "broken = broken_hook:Hook")
    monkeypatch.syspath_prepend(str(site))
    with caplog.at_level(logging.WARNING, logger="harness.hooks"):
        hooks = Hooks.for_run()
        await small_run(config, store, hooks)
    import counting_hook  # type: ignore[import-not-found]

    assert len(counting_hook.SEEN) == 3
    message = " ".join(r.getMessage() for r in caplog.records)
    assert "hook 'broken' from package broken_hook could not be loaded" in message
    monkeypatch.delitem(sys.modules, "counting_hook")


async def test_item_batches_emit_item_and_call_events(config: ProjectConfig, store: Store) -> None:
    """The pytest plugin's path (run_batch) calls the same hooks per item and call."""
    import io

    from rich.console import Console

    from harness.runner.batch import run_batch
    from harness.runner.expand import Selection, expand
    from harness.runner.run import Runner, RunOptions
    from tests.runner.fakes import Drivers, contains_ok, make_spec

    rec = Recorder()
    spec = make_spec(cases=3)
    runner = Runner(
        [spec],
        config,
        store,
        RunOptions(progress=False),
        driver_factory=Drivers(),
        evaluate=contains_ok,
        console=Console(file=io.StringIO()),
        hooks=Hooks([rec]),
    )
    store.start_run(runner.run_info())
    await run_batch(runner, list(expand([spec], Selection(), config)))
    assert len(rec.of("item_started")) == len(rec.of("item_finished")) == 3
    names = [n for n, _ in rec.events]
    assert names[0] == "run_started" and names[-1] == "run_finished"
    end = rec.of("run_finished")[0]
    assert isinstance(end, RunFinished) and end.counts["passed"] == 2
    calls = rec.of("call_finished")
    assert len(calls) == 3
    assert {c.item_id for c in calls if isinstance(c, CallFinished)} == {
        f"qa::c{i}::fake:m1::1" for i in range(3)
    }
