"""The peers benchmark compares like with like: same eval, same answers, ratios per setup."""

from __future__ import annotations

from pathlib import Path

from benchmarks.bench_run import fake_server
from benchmarks.peers.compare import (
    PeerResult,
    ceiling_speedup,
    run_harness,
    run_raw_aiohttp,
    speedup,
)


def test_harness_and_the_bare_aiohttp_ceiling_do_the_same_work(tmp_path: Path) -> None:
    with fake_server() as url:
        ours = run_harness(url, 50, tmp_path / "a", "tuned")
        ceiling = run_raw_aiohttp(url, 50, tmp_path / "b", "tuned")
        defaults = run_harness(url, 50, tmp_path / "c", "defaults")
    for r in (ours, ceiling, defaults):
        assert (r.results, r.passed) == (50, 45), r  # every tenth case expects "never"
        assert r.seconds is not None and r.seconds > 0
    assert "16 in flight" in defaults.note and "16 in flight" not in ours.note


def test_ratios_pair_tools_in_the_same_setup() -> None:
    results = [
        PeerResult("raw aiohttp", "tuned", 0.5),
        PeerResult("harness", "tuned", 1.0),
        PeerResult("promptfoo", "tuned", 4.0),
        PeerResult("harness", "defaults", 2.0),
        PeerResult("promptfoo", "defaults", 30.0),
        PeerResult("inspect_ai", "defaults", error="not installed"),
    ]
    raw, ours, pf, _, pf_d, missing = results
    assert speedup(results, pf) == 4.0
    assert speedup(results, pf_d) == 15.0
    assert speedup(results, ours) is None and speedup(results, raw) is None
    assert speedup(results, missing) is None
    assert ceiling_speedup(results, pf) == 8.0
    assert ceiling_speedup(results, ours) == 2.0
    assert ceiling_speedup(results, raw) is None
    assert speedup(results[1:], pf) == 4.0 and ceiling_speedup(results[1:], pf) is None
