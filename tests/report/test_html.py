"""report.html for fixture runs: content, honesty labels, and inert hostile text."""

from __future__ import annotations

import json
import re

import pytest

from harness.report.frame import normalize
from harness.report.html import render_report
from tests.report.fixtures import PAYLOADS, frame_of, mixed_records, record, run_info

DATA = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def html() -> str:
    """The mixed fixture run rendered once."""
    return render_report(run_info(), frame_of(mixed_records(), as_store=True))


def test_report_is_one_file_with_no_network_references(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html
    assert "default-src 'none'" in html


def test_exactly_two_script_elements_whatever_the_data(html: str) -> None:
    # the data element and our own script; the payloads add none
    assert html.count("<script") == 2
    assert html.lower().count("</script") == 2


@pytest.mark.parametrize(
    "payload", [pytest.param(p, id=f"payload-{i}") for i, p in enumerate(PAYLOADS) if "<" in p]
)
def test_hostile_markup_never_appears_raw(html: str, payload: str) -> None:
    assert payload not in html
    assert "<img" not in html


def test_javascript_urls_never_become_links(html: str) -> None:
    # the text is kept (a reader needs to see it), but never as a URL
    assert not re.search(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", html, re.I)
    assert "<a " not in html.split('<section id="matrix">')[1]


def test_embedded_data_round_trips(html: str) -> None:
    found = DATA.search(html)
    assert found is not None
    data = json.loads(found.group(1))
    assert data["n"] == len(mixed_records())
    for payload in PAYLOADS[:4]:
        assert any(payload in s for s in data["s"])


def test_leaderboard_and_metadata_are_rendered(html: str) -> None:
    for text in (
        'id="leaderboard-table"',
        "openai:gpt-a",
        "92.3%",
        "66.7%–98.6%",
        "abc1234",
        "once",
        "f" * 64,
        "&#34;temperature&#34;: 0",
    ):
        assert text in html, text


def test_unknown_cost_is_labelled_not_zero(html: str) -> None:
    row = re.search(r"<th scope=\"row\" data-v=\"ollama:local\">.*?</tr>", html, re.S)
    assert row is not None
    assert ">unknown<" in row.group(0)
    assert "cost unknown" in html  # the chart's band
    assert 'class="mark unknown"' in html


def test_pareto_frontier_is_marked(html: str) -> None:
    assert "openai:gpt-a (Pareto)" in html
    assert "anthropic:claude-b (Pareto)" not in html  # dearer and less accurate


def test_recorded_timings_are_labelled(html: str) -> None:
    assert 'id="timings-badge"' in html
    assert "12 of 38 results replayed from cassettes" in html
    assert "recorded timings" in html


def test_live_run_has_no_recorded_label() -> None:
    html = render_report(run_info(), frame_of([record("m", "c", "passed")]))
    assert 'id="timings-badge"' not in html
    assert "Only one model in this run" in html


def test_pairwise_says_not_significant(html: str) -> None:
    assert "not significant" in html
    assert "(small n)" in html


def test_hostile_model_names_are_escaped_in_charts() -> None:
    name = '<svg onload="window.__pwned=1">'
    html = render_report(None, frame_of([record(name, "c", "passed"), record("m", "c", "failed")]))
    assert name not in html
    assert "&lt;svg onload=" in html


def test_empty_run_renders() -> None:
    import pandas as pd

    html = render_report(run_info(), normalize(pd.DataFrame()))
    assert "no latencies recorded" in html


def test_all_free_models_get_a_plain_zero_cost_axis() -> None:
    from harness.report.charts import accuracy_vs_cost
    from harness.report.tables import leaderboard

    frame = frame_of(
        [
            record("local:a", "c1", "passed", cost_usd=0.0),
            record("local:b", "c1", "failed", cost_usd=0.0),
        ]
    )
    svg = str(accuracy_vs_cost(leaderboard(frame)))
    assert ">$0<" in svg
    assert "e-0" not in svg, "no micro-dollar scale made up for models that cost nothing"
