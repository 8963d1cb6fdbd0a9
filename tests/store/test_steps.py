"""The store keeps every step of an exchange (m009): written, read back, migrated, merged,
bounded."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from harness import limits
from harness.store.bounded import MARKER, STEPS_BUDGET, bounded_steps
from harness.store.merge import merge_stores
from harness.store.migrations import MIGRATIONS
from harness.store.records import ResultRecord, RunInfo
from harness.store.sqlite import Store
from harness.tools.trajectory import steps_json
from tests.fakes.trajectories import call, trajectory

STEPS = steps_json(
    trajectory(
        [call("search", q="weather Paris")],
        [call("get_weather", city="Paris"), call("get_weather", city="Lyon", id="c2")],
        "Sunny in Paris, rain in Lyon.",
        results={"get_weather": "sunny"},
    )
)


def _record(item: str, steps: list[dict[str, Any]] | None, run_id: str = "r1") -> ResultRecord:
    return ResultRecord(run_id, item, "weather", item, "p:m", 1, "passed", steps=steps)


def test_every_step_round_trips(store: Store) -> None:
    store.start_run(RunInfo("r1", started_at=1.0))
    store.write([_record("loop", STEPS), _record("single", None)])
    back = {r.item_id: r for r in store.iter_results("r1")}
    assert back["loop"].steps == STEPS
    assert [s["step"] for s in back["loop"].steps or []] == [1, 2, 3]
    assert back["loop"].steps[1]["tool_calls"][1]["arguments"] == {"city": "Lyon"}  # type: ignore[index]
    assert back["loop"].steps[1]["input_tokens"] == 20  # type: ignore[index]
    assert back["single"].steps is None
    # a single call is NULL, not the text 'null': SQL can tell them apart cheaply
    rows = dict(store.db.execute("SELECT item_id, steps IS NULL FROM results"))
    assert rows == {"loop": 0, "single": 1}
    frame = store.results_frame("r1")
    assert frame.loc[frame["item_id"] == "loop", "steps"].iloc[0].startswith('[{"step":1')


def test_a_store_from_before_steps_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    before = [m for m in MIGRATIONS if m.__name__ < "m009"]
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    for m in before:
        m(db)
        db.execute("INSERT INTO _migrations VALUES (?, ?)", (m.__name__, time.time()))
    db.execute("INSERT INTO runs (run_id, started_at) VALUES ('old', 1)")
    db.execute(
        "INSERT INTO results (run_id, item_id, spec, case_id, model, attempt, status, output) "
        "VALUES ('old', 'i', 's', 'c', 'p:m', 1, 'passed', 'hi')"
    )
    db.close()
    with Store.open(path) as store:
        applied = [r[0] for r in store.db.execute("SELECT name FROM _migrations")]
        assert "m009_results_steps" in applied
        (old,) = store.iter_results("old")
        assert old.output == "hi" and old.steps is None
        store.write([_record("new", STEPS, run_id="old")])
        assert [r.steps for r in store.iter_results("old")] == [None, STEPS]


def test_merging_shards_keeps_the_steps(tmp_path: Path) -> None:
    for name, item in (("a", "loop"), ("b", "single")):
        with Store.open(tmp_path / f"{name}.db") as store:
            store.start_run(RunInfo(f"r{name}", started_at=1.0))
            store.write([_record(item, STEPS if item == "loop" else None, run_id=f"r{name}")])
    merge_stores([tmp_path / "a.db", tmp_path / "b.db"], tmp_path / "all.db", run_id="m")
    with Store.open(tmp_path / "all.db") as store:
        back = {r.item_id: r.steps for r in store.iter_results("m")}
    assert back == {"loop": STEPS, "single": None}


def test_huge_texts_in_steps_are_bounded_and_every_step_kept(store: Store) -> None:
    huge = "y" * 50_000
    steps = steps_json(
        trajectory(
            [call("fetch", url="u" * 50_000)],
            *([call("fetch", url="x")] for _ in range(200)),
            huge,
            prompt=huge,
            results={"fetch": huge},
        )
    )
    kept = bounded_steps(steps, limit=1_000)
    assert len(kept) == len(steps) == 202
    assert kept[0]["sent"][1]["content"].startswith("y" * 200)
    for text in (
        kept[0]["sent"][1]["content"],
        kept[0]["tool_calls"][0]["arguments"]["url"],
        kept[0]["results"][0]["content"],
        kept[-1]["text"],
    ):
        assert MARKER in text and len(text) < 1_200
    assert kept[5]["tool_calls"][0]["arguments"] == {"url": "x"}  # small values untouched
    assert kept[5]["cost_usd"] == steps[5]["cost_usd"]
    assert steps[0]["results"][0]["content"] == huge  # the caller's steps are not changed
    assert bounded_steps(STEPS, limit=1_000) is STEPS  # nothing to cut: no copy

    limits.configure(limits.Limits(max_output_bytes=10_000))
    try:
        store.write([_record("big", steps)])  # the store applies limits.max_output_bytes
    finally:
        limits.configure(limits.Limits())
    (back,) = store.iter_results("r1")
    assert back.steps == bounded_steps(steps, limit=10_000) != steps


def test_a_10000_step_loop_is_kept_whole_within_the_budget(store: Store) -> None:
    """Each text under the per-text limit, but 2 GB together: every step is stored, the
    texts share STEPS_BUDGET x max_output_bytes."""
    big = "b" * 100_000
    steps = steps_json(
        trajectory(
            *([call("fetch", url=big)] for _ in range(10_000)),
            results={"fetch": big},
            stop="max_steps",
            history=False,
        )
    )
    store.write([_record("runaway", steps)])
    ((size,),) = store.db.execute("SELECT length(steps) FROM results")
    cap = limits.current().max_output_bytes
    # the texts share the budget; each step adds its keys and numbers, and a cut text a marker
    assert size < STEPS_BUDGET * cap + 1_000 * len(steps)
    (back,) = store.iter_results("r1")
    assert back.steps is not None and len(back.steps) == 10_000
    assert [s["step"] for s in back.steps[-2:]] == [9_999, 10_000]
    assert MARKER in back.steps[-1]["results"][0]["content"]
    assert back.steps[-1]["tool_calls"][0]["name"] == "fetch"
