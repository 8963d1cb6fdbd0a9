"""`harness schema infer`: a JSON Schema from example outputs, usable as a spec's schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml
from click.testing import CliRunner

from harness.cli import cli
from harness.spec.load import load_spec


def test_infer_prints_a_schema_every_example_satisfies(tmp_path: Path) -> None:
    examples = [
        {"name": "Ann", "age": 31},
        {"name": "Bo", "age": 4, "tags": ["x"]},
    ]
    lines = [
        json.dumps(examples[0]),
        json.dumps("Sure!\n```json\n" + json.dumps(examples[1]) + "\n```"),
    ]
    (tmp_path / "ex.jsonl").write_text("\n".join(lines) + "\n\n")
    result = CliRunner().invoke(cli, ["schema", "infer", str(tmp_path / "ex.jsonl")])
    assert result.exit_code == 0, result.output
    schema = yaml.safe_load(result.stdout)
    assert sorted(schema["required"]) == ["age", "name"]
    assert schema["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    for example in examples:
        jsonschema.validate(example, schema)
    as_json = CliRunner().invoke(cli, ["schema", "infer", "--json", str(tmp_path / "ex.jsonl")])
    assert json.loads(as_json.stdout) == schema
    # pasted into a field library, a spec can $ref it
    (tmp_path / "fields.yaml").write_text(
        "person:\n" + "".join(f"  {x}\n" for x in result.stdout.splitlines())
    )
    (tmp_path / "s.yaml").write_text(
        "prompt: hi\nschema: {$ref: 'fields.yaml#/person'}\ncases: [{id: a}]\n"
    )
    assert load_spec(tmp_path / "s.yaml").schema == schema


def test_a_bad_line_is_reported_at_its_line(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "ex.jsonl").write_text('{"a": 1}\n{bad\n"no json here"\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["schema", "infer", "ex.jsonl"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith("ex.jsonl:2:2: not JSON")
    assert result.stderr.splitlines()[1].startswith("ex.jsonl:3:1: no JSON in this answer")
    assert "Traceback" not in result.output
