"""``$ref`` from a spec's schema to a field library or another spec, positions kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import SpecError
from harness.spec.load import load_spec

FIELDS = """\
person:
  type: object
  properties:
    name: {type: string}
    age: {$ref: "#/age"}
  required: [name]
age: {type: integer, minimum: 0}
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def problems(path: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_spec(path)
    return [
        f"{Path(p.path).name}:{p.line}:{p.col}: {p.where}: {p.message}" for p in info.value.problems
    ]


def test_a_field_library_ref_is_inlined_with_its_own_refs(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "lib/fields.yaml": FIELDS,
            "s.yaml": "prompt: hi\nschema:\n  type: object\n  properties:\n"
            "    who: {$ref: 'lib/fields.yaml#/person'}\n    n: {$ref: 'lib/fields.yaml#/age', maximum: 9}\n"
            "cases: [{id: a}]\n",
        },
    )
    spec = load_spec(tmp_path / "s.yaml")
    assert spec.schema is not None
    who = spec.schema["properties"]["who"]
    assert who["required"] == ["name"]
    assert who["properties"]["age"] == {"type": "integer", "minimum": 0}
    assert spec.schema["properties"]["n"] == {
        "allOf": [{"type": "integer", "minimum": 0}],
        "maximum": 9,
    }


def test_another_specs_schema_can_be_referenced(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.yaml": "prompt: hi\nschema: {type: object, required: [x]}\ncases: [{id: a}]\n",
            "b.yaml": "prompt: hi\nschema: {$ref: 'a.yaml#/schema'}\ncases: [{id: a}]\n",
        },
    )
    assert load_spec(tmp_path / "b.yaml").schema == {"type": "object", "required": ["x"]}


def test_an_invalid_schema_in_the_library_is_reported_in_the_library(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "fields.yaml": "person:\n  type: object\n  properties:\n    age: {type: integr}\n",
            "s.yaml": "prompt: hi\nschema: {$ref: 'fields.yaml#/person'}\ncases: [{id: a}]\n",
        },
    )
    got = problems(tmp_path / "s.yaml")
    assert len(got) == 1
    assert got[0].startswith("fields.yaml:4:17: person.properties.age.type: invalid JSON Schema:")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"s.yaml": "prompt: hi\nschema: {$ref: 'nope.yaml#/x'}\ncases: [{id: a}]\n"},
            "s.yaml:2:16: schema.$ref: $ref 'nope.yaml#/x':",
            id="missing-file",
        ),
        pytest.param(
            {
                "f.yaml": "a: {type: string}\n",
                "s.yaml": "prompt: hi\nschema: {$ref: 'f.yaml#/b'}\ncases: [{id: a}]\n",
            },
            "s.yaml:2:16: schema.$ref: $ref 'f.yaml#/b': '/b' names nothing: no 'b' there",
            id="missing-pointer",
        ),
        pytest.param(
            {
                "f.yaml": "a: {$ref: '#/b'}\nb: {$ref: '#/a'}\n",
                "s.yaml": "prompt: hi\nschema: {$ref: 'f.yaml#/a'}\ncases: [{id: a}]\n",
            },
            "f.yaml:2:11: b.$ref: $ref '#/a' is circular",
            id="cycle",
        ),
        pytest.param(
            {
                "f.yaml": "a: [unclosed\n",
                "s.yaml": "prompt: hi\nschema: {$ref: 'f.yaml#/a'}\ncases: [{id: a}]\n",
            },
            "f.yaml:1:4: : YAML syntax error",
            id="broken-library",
        ),
    ],
)
def test_bad_refs_point_at_the_ref(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    write(tmp_path, files)
    got = problems(tmp_path / "s.yaml")
    assert any(line.startswith(expected) for line in got), got
