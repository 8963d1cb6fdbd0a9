"""Report polish: every mark explained, labels whole, expectations as written, rounded
scores, the assertions that fail most per model, and the specs' descriptions."""

from __future__ import annotations

import dataclasses
import re
from importlib.resources import files
from pathlib import Path

import pytest

from harness.report.failing import failing_assertions, written
from harness.report.html import render_report
from harness.report.payload import build_payload
from tests.report.cdp import CHROMIUM, Browser
from tests.report.fixtures import demo_records, frame_of, mixed_records, record, run_info

LONG = {
    "anthropic:claude-3-5-haiku": "openrouter:meta-llama/llama-3.1-405b-instruct-turbo",
    "ollama:llama3.2": "ollama:hf.co/bartowski/Qwen2.5-Coder-32B-Instruct-GGUF:Q4_K_M",
}


def test_the_matrix_legend_explains_every_mark_the_viewer_draws() -> None:
    js = (files("harness.report") / "templates" / "report.js").read_text(encoding="utf-8")
    marks = dict(re.findall(r'(\w+): "(.)"', js.split("var MARK = {")[1].split("}")[0]))
    html = render_report(run_info(), frame_of(mixed_records()))
    legend = html.split('id="matrix-legend">')[1].split("</p>")[0]
    for status, mark in marks.items():
        assert f"{mark} " in legend, status
    assert "k/n</code> counts the passed ones" in legend and "· means" in legend


def test_chart_captions_explain_every_mark() -> None:
    html = render_report(run_info(), frame_of(demo_records(20)))
    charts = html.split('<section id="charts">')[1].split("</section>")[0]
    for words in ("filled diamond", "circle", "hollow triangle", "dashed line", "whiskers", "dots"):
        assert words in charts


def test_expectations_read_as_the_spec_wrote_them() -> None:
    stored = [
        {"type": "schema-valid", "weight": 1.0, "negate": False},
        {"type": "contains", "value": "x", "weight": 2.0, "negate": True, "normalize": ["lower"]},
        {"type": "close-to", "value": 5, "field": "answer", "weight": 1.0, "negate": False,
         "options": {"tolerance": 0}},
    ]  # fmt: skip
    assert written(stored) == (
        "- {type: schema-valid}\n"
        "- {type: not-contains, value: x, weight: 2.0, normalize: [lower]}\n"
        "- {type: close-to, field: answer, value: 5, tolerance: 0}"
    )
    payload = build_payload(frame_of([record("m:a", "c1", "passed", expected=stored)]))
    assert payload["s"][payload["written"][0]] == written(stored)


def test_the_assertions_that_fail_most_are_listed_per_model() -> None:
    records = [
        record("m:a", f"c{i}", "failed" if i < 3 else "passed", verdicts=[
            {"assertion": "equals", "passed": i >= 3, "field": "label", "reason": f"got {i}"},
            {"assertion": "length", "passed": i != 0, "reason": "too long"},
            {"assertion": "judge", "passed": False, "error": "judge unreachable"} if i == 1 else
            {"assertion": "judge", "passed": True},
        ])
        for i in range(5)
    ]  # fmt: skip
    (m,) = failing_assertions(frame_of(records))
    assert [(r.assertion, r.field, r.failed, r.errors, r.checked) for r in m.rows] == [
        ("equals", "label", 3, 0, 5),
        ("judge", None, 0, 1, 5),
        ("length", None, 1, 0, 5),
    ]
    assert m.rows[0].example == "got 0"
    html = render_report(run_info(), frame_of(records))
    section = html.split('<section id="failing">')[1].split("</section>")[0]
    assert "<td>equals</td><td>label</td><td>3 / 5</td><td>60%</td><td>got 0</td>" in section
    assert "1 / 5 (1 errors)" in section


def test_the_specs_descriptions_are_shown() -> None:
    info = run_info(
        spec_hashes={"qa": "abc"}, params={"spec_descriptions": {"qa": "Answer questions."}}
    )
    html = render_report(info, frame_of(mixed_records()))
    assert "<tr><td>qa</td><td>Answer questions.</td></tr>" in html


needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")


@needs_chromium
async def test_chart_labels_are_not_cut_and_scores_are_rounded(tmp_path: Path) -> None:
    records = [dataclasses.replace(r, model=LONG.get(r.model, r.model)) for r in demo_records(40)]
    records[0] = dataclasses.replace(records[0], score=1 / 3, cost_usd=0.000054)
    path = tmp_path / "report.html"
    path.write_text(render_report(run_info(), frame_of(records)), encoding="utf-8")
    async with Browser() as page:
        await page.open(path)
        # on screen, rotations included: every text inside its chart's box
        outside = await page.eval(
            "[...document.querySelectorAll('svg.chart')].flatMap(svg => {"
            " const box = svg.getBoundingClientRect();"
            " return [...svg.querySelectorAll('text')]"
            "  .filter(t => { const b = t.getBoundingClientRect();"
            "   return b.left < box.left - 1 || b.right > box.right + 1"
            "    || b.top < box.top - 1 || b.bottom > box.bottom + 1; })"
            "  .map(t => t.textContent); })"
        )
        assert outside == []
        labels = await page.eval(
            "[...document.querySelectorAll('svg.chart text')].map(t => t.textContent).join('|')"
        )
        for model in LONG.values():
            assert model in labels  # whole, not shortened
        await page.eval(
            "[...document.querySelectorAll('#matrix-table td.cell')]"
            f".find(td => td.title === {records[0].case_id!r} + ' on ' + {records[0].model!r}"
            " + ': click for details').click()"
        )
        details = await page.eval("document.getElementById('details-body').textContent")
        assert "score 0.33 ·" in details and "0.333" not in details
        assert "cost $0.000054" in details
        assert "expected (as the spec wrote it)" in details
        assert "- {type: equals, field: answer, value: X}" in details


def test_error_kinds_read_as_written_in_the_report() -> None:
    failed = record("m:a", "c1", "error", error_type="ConnectionError_", error="refused")
    payload = build_payload(frame_of([failed]))
    assert payload["s"][payload["error"][0]] == "ConnectionError: refused"
