"""``harness cassettes check`` replays every step of a tool loop, not just the first."""

from __future__ import annotations

import shutil
from pathlib import Path

from harness.config import load_config
from harness.runner.cassette_check import check_items, expected_items
from harness.spec.load import load_spec

REPO = Path(__file__).resolve().parents[2]


async def test_the_tool_use_cassettes_check_clean() -> None:
    config = load_config(start=REPO)
    spec = load_spec(REPO / "specs" / "tool_use.yaml", config)
    report = await check_items(expected_items([spec], config), config, REPO / "cassettes")
    assert report.checked == 20
    assert report.findings == []


async def test_a_changed_tool_result_is_stale_at_the_step_that_sends_it(tmp_path: Path) -> None:
    config = load_config(start=REPO)
    copy = tmp_path / "tool_use.yaml"
    shutil.copy(REPO / "specs" / "tool_use.yaml", copy)
    text = copy.read_text()
    changed = text.replace(
        '{when: {expression: "34.50 + 49"}, then: 83.5}',
        '{when: {expression: "34.50 + 49"}, then: 84}',
    )
    assert changed != text
    copy.write_text(changed)
    spec = load_spec(copy, config)
    report = await check_items(expected_items([spec], config), config, REPO / "cassettes")
    stale = report.of("stale")
    assert [f.item_id for f in stale] == ["tool-use::together::vllm:fake-tools::1"]
    assert (
        "step 3 of the exchange differs at messages[6].content: '83.5' -> '84'" in stale[0].detail
    )
    assert report.findings == stale
