"""Comparing two runs: paired and unpaired tests, flips, the regression rule, the views."""

from __future__ import annotations

import pytest

from harness.report.compare import ALL_SPECS, compare_runs
from harness.report.compare_view import format_comparison, render_comparison_html
from harness.store.records import ERROR, FAILED, PASSED, ResultRecord
from tests.report.fixtures import PAYLOADS, frame_of, record


def _run(statuses: dict[str, list[str]], *, prefix: str = "c") -> list[ResultRecord]:
    return [
        record(model, f"{prefix}{i}", status)
        for model, column in statuses.items()
        for i, status in enumerate(column)
    ]


def _by(comparison: object, model: str, spec: str = ALL_SPECS) -> object:
    return next(g for g in comparison.groups if g.model == model and g.spec == spec)  # type: ignore[attr-defined]


def test_paired_drop_is_a_significant_regression_with_flips() -> None:
    a = _run({"m1": [PASSED] * 40, "m2": [PASSED] * 20})
    b = _run(
        {"m1": [FAILED] * 8 + [ERROR] * 2 + [PASSED] * 30, "m2": [PASSED] * 20, "m3": [PASSED]}
    )
    c = compare_runs(frame_of(a), frame_of(b), name_a="base", name_b="new")
    g = _by(c, "m1")
    assert (g.test, g.paired, g.n_a, g.passed_b) == ("McNemar", 40, 40, 30)  # type: ignore[attr-defined]
    assert g.p_value == pytest.approx(2 / 1024)  # type: ignore[attr-defined]
    assert g.regression and g.delta == pytest.approx(-0.25)  # type: ignore[attr-defined]
    assert not _by(c, "m2").significant  # type: ignore[attr-defined]
    assert [f.case_id for f in c.flips if f.to_fail] == [
        f"c{i}" for i in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
    ]
    assert {f.after for f in c.flips} == {FAILED, ERROR}
    assert c.only_b == ("m3",) and c.only_a == ()
    assert len(c.regressions) == 2 + 10  # m1 overall and m1 on spec qa, then ten flips


def test_a_single_flip_to_fail_is_a_regression_even_when_not_significant() -> None:
    a = _run({"m": [PASSED] * 10})
    b = _run({"m": [FAILED] + [PASSED] * 9})
    c = compare_runs(frame_of(a), frame_of(b))
    assert not _by(c, "m").significant  # type: ignore[attr-defined]
    assert c.regressions == ["m qa/c0#1: passed -> failed"]


def test_improvements_only_pass_the_gate() -> None:
    a = _run({"m": [FAILED] * 10 + [PASSED] * 10})
    b = _run({"m": [PASSED] * 20})
    c = compare_runs(frame_of(a), frame_of(b))
    assert _by(c, "m").significant  # type: ignore[attr-defined]
    assert c.regressions == []
    assert sum(not f.to_fail for f in c.flips) == 10


def test_disjoint_cases_use_the_two_proportion_test() -> None:
    a = _run({"m": [PASSED] * 45 + [FAILED] * 55}, prefix="x")
    b = _run({"m": [PASSED] * 60 + [FAILED] * 40}, prefix="y")
    g = _by(compare_runs(frame_of(a), frame_of(b)), "m")
    assert (g.test, g.paired) == ("two-proportion", 0)  # type: ignore[attr-defined]
    assert g.p_value == pytest.approx(0.03366, abs=1e-4)  # type: ignore[attr-defined]
    assert g.significant and not g.regression  # type: ignore[attr-defined]


def test_cost_and_latency_changes() -> None:
    a = [record("m", "c", PASSED, cost_usd=0.002, latency_ms=100.0)]
    b = [record("m", "c", PASSED, cost_usd=None, latency_ms=150.0)]
    (change,) = compare_runs(frame_of(a), frame_of(b)).models
    assert (change.cost_a, change.cost_b) == (0.002, None)
    assert (change.p50_a, change.p50_b) == (100.0, 150.0)


def test_text_and_html_views() -> None:
    a = _run({"m": [PASSED] * 12})
    b = _run({"m": [PASSED] * 11 + [FAILED]})
    b.append(record(PAYLOADS[0], PAYLOADS[3], PASSED))
    a.append(record(PAYLOADS[0], PAYLOADS[3], FAILED))
    c = compare_runs(frame_of(a), frame_of(b), name_a="base", name_b="new")
    text = format_comparison(c)
    assert "not significant" in text
    assert "Flipped cases: 1 pass -> fail, 1 fail -> pass" in text
    assert "+8.3 pts" not in text and "-8.3 pts" in text
    html = render_comparison_html(c)
    assert PAYLOADS[0] not in html and PAYLOADS[3] not in html
    assert "&lt;script&gt;" in html
    assert "1 regression(s)" in html
