"""harness view's item page shows a tool loop's steps as a timeline, escaped and bounded."""

from __future__ import annotations

import html
import re
from pathlib import Path

from starlette.testclient import TestClient

from harness.report.timeline import TIMELINE_STEPS
from harness.store.records import ResultRecord, RunInfo
from harness.store.sqlite import Store
from harness.tools.trajectory import steps_json
from harness.view.app import create_app
from tests.fakes.trajectories import call, trajectory

HOSTILE = "</pre><script>window.__pwned=1</script><img src=x onerror=alert(1)>"


def _client(tmp_path: Path, steps: list[dict[str, object]] | None) -> TestClient:
    path = tmp_path / "harness.db"
    with Store.open(path) as store:
        store.start_run(RunInfo(run_id="r1", started_at=1.0))
        store.write(
            [ResultRecord("r1", "i1", "s", "c", "p:m", 1, "passed", output="done", steps=steps)]
        )
    return TestClient(create_app(path), base_url="http://127.0.0.1")


def test_the_item_page_draws_each_step_as_text(tmp_path: Path) -> None:
    steps = steps_json(
        trajectory(
            [call("get_weather", city=HOSTILE)],
            "Sunny. " + HOSTILE,
            results={"get_weather": "sunny " + HOSTILE},
        )
    )
    page = _client(tmp_path, steps).get("/item", params={"run": "r1", "id": "i1"})
    assert page.status_code == 200
    assert "Trajectory (2 steps)" in page.text
    heads = re.findall(r'<div class="step-head">([^<]*)</div>', page.text)
    assert heads == [
        "step 1 · tokens 10 in / 5 out · cost $0.0010 · latency 100 ms · finish tool_calls",
        "step 2 · tokens 20 in / 5 out · cost $0.0020 · latency 200 ms · finish stop",
    ]
    (result,) = re.findall(r'<pre class="result">(.*?)</pre>', page.text, re.S)
    assert html.unescape(result) == "← get_weather: sunny " + HOSTILE
    assert "<script>window.__pwned" not in page.text and "<img src=x" not in page.text


def test_a_single_call_has_no_timeline_and_a_runaway_loop_a_bounded_one(tmp_path: Path) -> None:
    single = _client(tmp_path / "a", None).get("/item", params={"run": "r1", "id": "i1"})
    assert single.status_code == 200 and "Trajectory" not in single.text
    forever = steps_json(
        trajectory(*([call("ping", n=i)] for i in range(10_000)), stop="max_steps", history=False)
    )
    page = _client(tmp_path / "b", forever).get("/item", params={"run": "r1", "id": "i1"})
    assert "Trajectory (10000 steps)" in page.text
    assert page.text.count('<li class="step">') == TIMELINE_STEPS
    assert f"… {10_000 - TIMELINE_STEPS} steps left out here" in page.text
