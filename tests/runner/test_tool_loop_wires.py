"""The runner's tool loop in all four wire formats: a spec's tools with ``result:``, run
through the item executor, the pool and the cassettes against each provider's fake
playing the scripted exchange (parallel calls, another call, the answer), streamed and
not; then replayed offline from the one cassette the item recorded."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.cassettes.recorder import Recorder
from harness.config import ProjectConfig
from harness.runner.item_executor import ItemExecutor
from harness.runner.items import Item
from harness.runner.pool import Pool
from harness.spec.load import load_spec
from harness.store.records import PASSED, ResultRecord
from tests.drivers.conftest import DRIVER_CASES, KEY, KEY_ENV
from tests.drivers.tool_loop import CITY, FINAL, NUMBERS, PROMPT, SCRIPT
from tests.fakes.server import FakeServer

WIRES = ["openai", "anthropic", "gemini", "ollama"]
SETTINGS = {c.kind: c.settings for c in DRIVER_CASES if c.name in WIRES}


def _spec(root: Path, stream: bool) -> Any:
    data = {
        "name": "weather",
        "prompt": PROMPT,
        "params": {"stream": stream} if stream else {},
        "tools": [
            {
                "name": "add",
                "description": "Add two numbers",
                "parameters": NUMBERS,
                "result": {"template": "{{ args.a + args.b }}"},
            },
            {
                "name": "lookup",
                "description": "Weather in a city",
                "parameters": CITY,
                "result": [{"when": {"q": "Paris"}, "then": "sunny in Paris"}],
            },
        ],
        "expect": [
            {"type": "equals", "value": FINAL},
            {"type": "tool-sequence", "value": ["add", "lookup", "add"], "strict": True},
            {"type": "max-steps", "value": 3},
        ],
        "cases": [{"id": "paris"}],
    }
    path = root / "weather.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_spec(path)


async def _run(root: Path, kind: str, base_url: str, mode: str, stream: bool) -> ResultRecord:
    settings = SETTINGS[kind](base_url)
    config = ProjectConfig(root=root, path=None, providers={"p": settings})
    recorder = Recorder(root / "cassettes", mode)  # type: ignore[arg-type]
    pool = Pool(config, recorder, concurrency=2)
    executor = ItemExecutor(run_id="r", config=config, pool=pool, recorder=recorder)
    spec = _spec(root, stream)
    try:
        return await executor.run(Item(spec, spec.cases[0], "p:fake-model"))
    finally:
        await pool.aclose()


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("kind", WIRES)
async def test_the_loop_runs_and_replays_in_every_wire_format(
    tmp_path: Path, kind: str, stream: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    async with FakeServer(kind, options={"tool_script": SCRIPT}) as server:
        live = await _run(tmp_path, kind, server.base_url, "new_episodes", stream)
    assert live.status == PASSED, (live.error, live.verdicts)
    assert live.output == FINAL
    assert len(server.requests) == 3  # parallel add + lookup, then add, then the answer
    streamed = [bool((r.json or {}).get("stream")) or "stream" in r.path for r in server.requests]
    assert streamed == [stream] * 3
    assert [v["passed"] for v in live.verdicts] == [True, True, True]
    assert live.steps is not None and [len(s["tool_calls"]) for s in live.steps] == [2, 1, 0]
    assert [r["content"] for r in live.steps[0]["results"]] == ["4", "sunny in Paris"]
    assert live.cassette is not None
    cassettes = [p for p in (tmp_path / "cassettes").rglob("*.yaml") if "_blobs" not in p.parts]
    assert [p.name for p in cassettes] == [os.path.basename(live.cassette)]  # one file, 3 steps

    # offline: no server; the one cassette answers every step
    replayed = await _run(tmp_path, kind, "http://127.0.0.1:9", "none", stream)
    assert replayed.status == PASSED, (replayed.error, replayed.verdicts)
    assert replayed.output == FINAL and replayed.steps is not None
    assert [s["tool_calls"] for s in replayed.steps] == [s["tool_calls"] for s in live.steps]
