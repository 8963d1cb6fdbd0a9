"""`harness grade`: answers you already have, scored against a spec, stored like a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from harness.cli import cli
from harness.store.sqlite import Store

SPEC = """\
name: capitals
models: [echo]
prompt: "Capital of {{ country }}?"
transform: strip-think
cases:
  - {id: fr, vars: {country: France}, expect: [{type: icontains, value: paris}]}
  - {id: jp, vars: {country: Japan}, expect: [{type: icontains, value: tokyo}]}
  - {id: it, vars: {country: Italy}, expect: [{type: icontains, value: rome}]}
"""


def _rows(run_dir: Path) -> list[dict[str, Any]]:
    data = json.loads((run_dir / "results.json").read_text())
    return data["results"] if isinstance(data, dict) else data  # type: ignore[no-any-return]


def test_grade_scores_the_answers_and_writes_store_and_report(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "capitals.yaml").write_text(SPEC)
    lines = [
        {
            "case": "fr",
            "output": "<think>hmm</think>Paris.",
            "model": "prod:gpt-4o",
            "latency_ms": 812,
        },
        {"case": "jp", "output": "Kyoto", "model": "prod:gpt-4o", "input_tokens": 9},
        {"id": "fr", "output": "Paris", "model": "baseline"},
    ]
    (tmp_path / "logs.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli, ["grade", "logs.jsonl", "--spec", "capitals.yaml", "--out", "out"]
    )
    assert result.exit_code == 1, result.output  # jp failed
    rows = {(r["model"], r["case_id"]): r for r in _rows(tmp_path / "out")}
    assert set(rows) == {
        ("prod:gpt-4o", "fr"),
        ("prod:gpt-4o", "jp"),
        ("outputs:baseline", "fr"),
        ("outputs:baseline", "jp"),  # answered by another model, not by this one: an error
    }
    missing = rows[("outputs:baseline", "jp")]
    assert missing["status"] == "error"
    assert "no answer in logs.jsonl for case 'jp'" in missing["error"]
    fr = rows[("prod:gpt-4o", "fr")]
    assert fr["status"] == "passed" and fr["transformed_output"] == "Paris."
    assert fr["latency_ms"] == 812 and fr["prompt"] == "Capital of France?"
    assert rows[("prod:gpt-4o", "jp")]["status"] == "failed"
    assert rows[("outputs:baseline", "fr")]["status"] == "passed"
    assert (tmp_path / "out" / "report.html").is_file()
    with Store.open(tmp_path / "reports" / "harness.db") as store:
        run_id = store.latest_run_id()
        assert run_id is not None and store.count(run_id) == 4


def test_bad_lines_are_reported_with_their_line(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "capitals.yaml").write_text(SPEC)
    (tmp_path / "bad.jsonl").write_text(
        '{"case": "de", "output": "Berlin"}\n{oops\n{"output": "x"}\n'
        '{"case": "fr", "output": "a"}\n{"case": "fr", "output": "b"}\n'
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["grade", "bad.jsonl", "--spec", "capitals.yaml"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "bad.jsonl:1:1: case 'de' is not in spec 'capitals' (capitals.yaml)",
        "bad.jsonl:2:2: not JSON: Expecting property name enclosed in double quotes",
        "bad.jsonl:3:1: a line needs 'case' (the case id) and 'output' (the answer)",
        "bad.jsonl:5:1: a second answer for case 'fr' on outputs:bad (attempt 1): keep one",
    ]
    assert not (tmp_path / "reports").exists() or not list(
        (tmp_path / "reports").glob("*/results.json")
    )
