"""Transforms in specs: validated with positions, applied before assertions, stored and
named in reasons. The echo model answers with the prompt, so the prompt is the answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from harness.cli import cli
from harness.errors import SpecError
from harness.expect.evaluate import evaluate_case, parse_output
from harness.spec.load import load_spec

SPEC = """\
name: tr
models: [echo]
prompt: "<think>{{ musing }}</think>\\nchatter\\nAnswer: {{ answer }}"
transform: strip-think
cases:
  - id: spec-level
    vars: {musing: "Paris?", answer: Lyon}
    expect:
      - {type: not-contains, value: Paris}
      - {type: equals, value: Lyon, transform: "regex:Answer: (\\\\w+)"}
  - id: case-level
    vars: {musing: hmm, answer: Nice}
    transform: [strip-think, last-line]
    expect:
      - {type: equals, value: "Answer: Nice"}
  - id: cannot-turn
    vars: {musing: x, answer: "?"}
    expect:
      - {type: not-equals, value: zzz, transform: extract-json}
"""


def _results(tmp_path: Path) -> dict[str, dict[str, Any]]:
    run_dir = next(p for p in (tmp_path / "reports").iterdir() if p.is_dir())
    data = json.loads((run_dir / "results.json").read_text())
    rows = data["results"] if isinstance(data, dict) else data
    return {r["case_id"]: r for r in rows}


def test_transforms_run_store_and_explain(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "tr.yaml").write_text(SPEC)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["run", "tr.yaml", "--record-mode", "none"])
    assert result.exit_code == 1, result.output  # cannot-turn fails, the others pass
    rows = _results(tmp_path)
    spec_level = rows["spec-level"]
    assert spec_level["status"] == "passed"
    assert spec_level["output"].startswith("<think>Paris?</think>")  # raw answer kept
    assert spec_level["transformed_output"] == "chatter\nAnswer: Lyon"
    reasons = [v["reason"] for v in spec_level["verdicts"]]
    assert reasons[0].endswith("[checked the answer after strip-think]")
    assert reasons[1].endswith("[checked the answer after strip-think, regex:Answer: (\\w+)]")
    case_level = rows["case-level"]
    assert case_level["status"] == "passed"
    assert case_level["transformed_output"] == "Answer: Nice"
    failed = rows["cannot-turn"]
    assert failed["status"] == "failed"
    (verdict,) = failed["verdicts"]
    assert verdict["passed"] is False  # not- does not flip an answer that could not be turned
    assert verdict["reason"].startswith("could not check: transform 'extract-json':")


def test_bad_transforms_are_spec_errors_at_their_position(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "prompt: hi\ntransform: strip-thinks\ncases:\n"
        "  - id: a\n    transform: {python: nowhere_xyz:f}\n"
        "    expect: [{type: equals, value: x, transform: 'regex:('}]\n"
    )
    try:
        load_spec(path)
    except SpecError as exc:
        got = [f"{p.line}:{p.col}: {p.where}: {p.message.split(':')[0]}" for p in exc.problems]
    else:
        raise AssertionError("expected a SpecError")
    assert got == [
        "2:12: transform: unknown transform 'strip-thinks' (did you mean 'strip-think'?); known",
        "5:16: cases.0.transform: cannot import module 'nowhere_xyz'",
        "6:50: cases.0.expect.0.transform: invalid regular expression '('",
    ]


async def test_evaluate_case_applies_transforms_for_any_caller(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "prompt: hi\ntransform: extract-json\nschema: {type: object}\n"
        "cases:\n  - id: a\n    expect: [{type: equals, field: n, value: 2}]\n"
    )
    spec = load_spec(path)
    raw = 'Sure:\n```json\n{"n": 2}\n```'
    verdict = await evaluate_case(spec, spec.cases[0], parse_output(raw, spec.schema))
    assert verdict.passed, verdict.reason
