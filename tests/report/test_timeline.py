"""The case drill-down's trajectory timeline: steps embedded bounded and escaped, drawn
as text in a real browser."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from harness.report.html import render_report
from harness.report.timeline import TIMELINE_STEPS, timeline_json
from harness.report.write import render_store_report, write_reports
from harness.store.records import PASSED, ResultRecord
from harness.store.sqlite import Store
from harness.tools.trajectory import steps_json
from tests.fakes.trajectories import call, trajectory
from tests.report.cdp import CHROMIUM, Browser
from tests.report.fixtures import PAYLOADS, frame_of, record, run_info

DATA = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)
HOSTILE = PAYLOADS[1] + PAYLOADS[3]
LOOP = steps_json(
    trajectory(
        [call("get_weather", city=HOSTILE)],
        [call("search", q="Paris"), call("lookup", q="x", id="c3")],
        "It is sunny. " + HOSTILE,
        prompt="Weather in Paris? " + HOSTILE,
        results={"get_weather": "sunny " + HOSTILE, "lookup": "!error"},
    )
)


def _records() -> list[ResultRecord]:
    return [
        record("openai:gpt-a", "loop", PASSED, steps=LOOP, output="It is sunny."),
        record("openai:gpt-a", "single", PASSED),
    ]


def _payload(html: str) -> dict[str, Any]:
    (raw,) = DATA.findall(html)
    data: dict[str, Any] = json.loads(raw)
    return data


def _timelines(html: str) -> dict[str, dict[str, Any] | None]:
    data = _payload(html)
    s = data["s"]
    return {
        s[case]: None if steps < 0 else json.loads(s[steps])
        for case, steps in zip(data["case"], data["steps"], strict=True)
    }


def test_the_timeline_holds_every_part_of_each_step() -> None:
    t = json.loads(timeline_json(LOOP) or "")
    assert (t["total"], t["left_out"], t["gap_after"]) == (3, 0, 3)
    first, second, last = t["steps"]
    assert first["sent"][1] == ["user", "Weather in Paris? " + HOSTILE]
    assert first["calls"] == [["get_weather", json.dumps({"city": HOSTILE})]]
    assert first["results"] == [["get_weather", "sunny " + HOSTILE, None]]
    assert second["results"][1] == ["lookup", "error: lookup failed", "RuntimeError: lookup failed"]
    assert (second["input_tokens"], second["cost_usd"], second["latency_ms"]) == (20, 0.002, 200.0)
    assert (last["text"], last["finish"]) == ("It is sunny. " + HOSTILE, "stop")
    assert timeline_json(None) is None and timeline_json([]) is None


def test_a_runaway_loop_keeps_its_first_and_last_steps_cut_short() -> None:
    big = "z" * 50_000
    steps = steps_json(
        trajectory(
            *([call("ping", n=i)] for i in range(10_000)),
            results={"ping": big},
            stop="max_steps",
            history=False,
        )
    )
    text = timeline_json(steps) or ""
    t = json.loads(text)
    half = TIMELINE_STEPS // 2
    assert (t["total"], t["left_out"], t["gap_after"]) == (10_000, 10_000 - TIMELINE_STEPS, half)
    shown = [s["step"] for s in t["steps"]]
    assert shown == [*range(1, half + 1), *range(10_001 - half, 10_001)]
    assert t["steps"][0]["results"][0][1].endswith("characters in full; results.json has all]")
    assert len(text) < 200_000  # 60 steps of 2,000-character texts, whatever the run held


@pytest.mark.parametrize(
    "steps",
    [
        pytest.param(["not a step", 3, None], id="not-objects"),
        pytest.param([{"step": "1", "cost_usd": math.nan, "tool_calls": "x"}], id="wrong-types"),
        pytest.param([{"sent": [{"role": None, "content": {"a": 1}}], "results": [{}]}], id="odd"),
    ],
)
def test_odd_stored_steps_still_draw(steps: list[Any]) -> None:
    t = json.loads(timeline_json(steps) or "")
    assert t["total"] == len(steps)  # and it is valid JSON: no NaN, nothing raised


def test_report_html_embeds_steps_escaped_from_the_store_and_from_a_frame(tmp_path: Path) -> None:
    with Store.open(tmp_path / "h.db") as store:
        store.start_run(run_info())
        store.write(_records())
        from_store = render_store_report(store, "run-1")
    from_frame = render_report(run_info(), frame_of(_records()))
    for html in (from_store, from_frame):
        assert "window.__pwned" in html  # the text is there, escaped, never as markup
        assert "<script>document.title" not in html and "<img src=x" not in html
        timelines = _timelines(html)
        assert timelines["single"] is None
        loop = timelines["loop"]
        assert loop is not None and loop == json.loads(timeline_json(LOOP) or "")
    assert _timelines(from_store) == _timelines(from_frame)


def test_a_10000_step_item_keeps_report_html_small(tmp_path: Path) -> None:
    big = "q" * 100_000
    steps = steps_json(
        trajectory(
            *([call("fetch", url=big)] for _ in range(10_000)),
            results={"fetch": big},
            stop="max_steps",
            history=False,
        )
    )
    with Store.open(tmp_path / "h.db") as store:
        store.start_run(run_info())
        store.write([record("openai:gpt-a", "runaway", PASSED, steps=steps)])
        paths = write_reports(store, "run-1", tmp_path / "out")
    assert paths["html"].stat().st_size < 1_000_000
    rows = json.loads(paths["results_json"].read_text(encoding="utf-8"))["results"]
    assert rows[0]["step_count"] == 10_000 and len(rows[0]["steps"]) == 10_000


@pytest.mark.skipif(not CHROMIUM.exists(), reason="BROWSER TESTS SKIPPED: no /usr/bin/chromium")
async def test_the_drill_down_draws_the_timeline_as_text(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(render_report(run_info(), frame_of(_records())), encoding="utf-8")
    async with Browser() as page:
        await page.open(path)
        await page.eval(
            "[...document.querySelectorAll('#matrix-table td.cell')]"
            ".find(td => td.title.startsWith('loop on')).click()"
        )
        assert await page.eval("document.querySelectorAll('ol.timeline li.step').length") == 3
        heads = await page.eval(
            "[...document.querySelectorAll('ol.timeline .step-head')].map(e => e.textContent)"
        )
        assert heads[1] == (
            "step 2 · tokens in/out 20/5 · cost $0.0020 · latency 200 ms · finish tool_calls"
        )
        calls = await page.eval(
            "[...document.querySelectorAll('ol.timeline pre.call')].map(e => e.textContent)"
        )
        assert calls == [
            "→ get_weather " + json.dumps({"city": HOSTILE}),
            '→ search {"q": "Paris"}',
            '→ lookup {"q": "x"}',
        ]
        failed = await page.eval("document.querySelector('ol.timeline pre.tool-error').textContent")
        assert failed == "← lookup failed (RuntimeError: lookup failed): error: lookup failed"
        body = await page.eval("document.getElementById('details-body').textContent")
        assert "trajectory (3 steps)" in body and HOSTILE in body
        # nothing in the steps ran or became markup
        assert await page.eval("typeof window.__pwned") == "undefined"
        assert await page.eval("document.querySelectorAll('img').length") == 0
        assert await page.eval("document.scripts.length") == 2
        methods = {e.get("method") for e in page.events}
        assert "Runtime.exceptionThrown" not in methods
