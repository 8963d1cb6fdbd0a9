"""ItemExecutor: one item's life, driven on its own and through its steps."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

import harness
from harness.cassettes.recorder import Recorder
from harness.config import ProjectConfig
from harness.drivers.base import Message, Request, Response, RunMode
from harness.errors import ServerError
from harness.runner.item_executor import ItemExecutor
from harness.runner.items import Item
from harness.runner.pool import Pool
from harness.store.sqlite import Store
from tests.runner.fakes import Drivers, contains_ok, make_spec


def _executor(
    config: ProjectConfig, drivers: Drivers, cls: type[ItemExecutor] = ItemExecutor
) -> ItemExecutor:
    recorder = Recorder(config.cassettes_dir, "off")
    pool = Pool(config, recorder, concurrency=4, driver_factory=drivers)
    return cls(run_id="r1", config=config, pool=pool, recorder=recorder, evaluate=contains_ok)


def _item(i: int = 0) -> Item:
    spec = make_spec(cases=2)
    return Item(spec, spec.cases[i], "fake:m1")


async def test_one_item_runs_to_its_record_without_a_run(config: ProjectConfig) -> None:
    drivers = Drivers()
    record = await _executor(config, drivers).run(_item(0))
    assert (record.run_id, record.item_id, record.status) == ("r1", "qa::c0::fake:m1::1", "passed")
    assert record.prompt == "say ok" and record.output == "say ok"
    assert record.cassette is None  # cassettes off: no path stored
    assert len(drivers.made["fake"].calls) == 1


async def test_a_failed_call_is_the_items_error_not_an_exception(config: ProjectConfig) -> None:
    drivers = Drivers({"fake": lambda request: ServerError("boom", status_code=503)})
    record = await _executor(config, drivers).run(_item(0))
    assert (record.status, record.error_type, record.error) == ("error", "ServerError", "boom")


async def test_a_step_can_be_replaced_like_a_tool_loop_would(config: ProjectConfig) -> None:
    class TwoTurns(ItemExecutor):
        """Calls the model twice, feeding its first answer back; the second one is scored."""

        async def call(self, item: Item, request: Request) -> Response:
            first = await super().call(item, request)
            follow_up = (
                *request.messages,
                Message("assistant", first.text),
                Message("user", "ok?"),
            )
            return await super().call(item, Request(model=request.model, messages=follow_up))

    drivers = Drivers()
    executor = _executor(config, drivers, TwoTurns)
    records = [await executor.run(_item(i)) for i in (0, 1)]
    assert [r.status for r in records] == ["passed", "passed"]  # "ok?" contains ok
    assert len(drivers.made["fake"].calls) == 4


def test_the_pool_hands_drivers_a_typed_run_mode(config: ProjectConfig, tmp_path: Path) -> None:
    replaying = Pool(config, Recorder(tmp_path, "none"), concurrency=1, offline=True)
    assert replaying.settings("fake").mode == RunMode(offline=True, deterministic=True)
    live = Pool(config, Recorder(tmp_path, "off"), concurrency=1)
    assert live.settings("fake").mode == RunMode()
    assert "offline" not in replaying.settings("fake").options


def test_harness_run_is_the_public_entry_point(config: ProjectConfig, store: Store) -> None:
    result = harness.run(
        [make_spec(cases=4)],
        config,
        harness.RunOptions(progress=False),
        store=store,
        driver_factory=Drivers(),
        evaluate=contains_ok,
        console=Console(file=io.StringIO()),
    )
    assert (result.count("passed"), result.count("failed")) == (2, 2)
    assert store.run(result.run_id).status == "finished"
    assert store.run(result.run_id).source == "cli"
    assert harness.Runner is harness.Run


@pytest.mark.parametrize("source", ["cli", "pytest"])
def test_one_run_info_for_every_caller(config: ProjectConfig, store: Store, source: str) -> None:
    options = harness.RunOptions(source=source, args=("-k", "x"), started_at=123.0)
    info = harness.Run([make_spec()], config, store, options, driver_factory=Drivers()).run_info()
    assert (info.source, info.started_at) == (source, 123.0)
    assert ("args" in info.params) == (source == "pytest")
