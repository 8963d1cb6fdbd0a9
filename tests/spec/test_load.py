"""Loading valid specs: the contract example and every form the format allows."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import load_config
from harness.errors import SpecError
from harness.spec.load import load_spec, load_specs

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_contract_example_loads_exactly_as_written() -> None:
    spec = load_spec(REPO / "specs" / "extract_person.yaml")
    assert spec.name == "extract-person"
    assert spec.models == ("local:smollm2-135m",)
    assert spec.params == {"temperature": 0, "max_tokens": 128}
    assert spec.prompt.messages == (
        ("system", "You extract facts as JSON."),
        ("user", "Extract the person from: {{ text }}"),
    )
    assert spec.schema is not None and spec.schema["required"] == ["name", "age"]
    ids = [c.id for c in spec.cases]
    assert ids[:2] == ["john", "jane"]
    assert len(ids) > 2, "cases_file adds cases after the inline ones"
    john = spec.cases[0]
    assert [a.type for a in john.expect] == ["schema-valid", "equals", "equals"]
    assert john.expect[2].field == "age" and john.expect[2].value == 42
    jane = spec.cases[1]
    assert jane.expect[1].type == "close-to" and jane.expect[1].options == {"tolerance": 0}


def test_name_defaults_to_file_stem(tmp_path: Path) -> None:
    path = write(tmp_path, "my_spec.yaml", "prompt: hi\ncases: [{id: a}]\n")
    spec = load_spec(path)
    assert spec.name == "my_spec"
    assert spec.prompt.messages == (("user", "hi"),)


def test_messages_form_and_not_prefix(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "chat.yaml",
        """
prompt:
  messages:
    - {role: system, content: Be brief.}
    - {role: user, content: "Hi {{ who }}"}
    - {role: assistant, content: Hello.}
    - {role: user, content: Again}
normalize: [strip, lower]
cases:
  - id: one
    vars: {who: Ann}
    tags: [smoke]
    expect:
      - {type: not-contains, value: sorry}
      - {type: equals, value: hello, normalize: [strip]}
""",
    )
    spec = load_spec(path)
    assert [role for role, _ in spec.prompt.messages] == ["system", "user", "assistant", "user"]
    first, second = spec.cases[0].expect
    assert first.type == "contains" and first.negate and first.label == "not-contains"
    assert first.normalize == ("strip", "lower")
    assert second.normalize == ("strip",)
    assert spec.cases[0].tags == ("smoke",)


def test_csv_cases_with_id_and_expected_columns(tmp_path: Path) -> None:
    write(
        tmp_path,
        "cases/c.csv",
        "id,city,expected\nosl,Oslo,contains:Norway\nber,Berlin,Germany\n,Rome,\n",
    )
    path = write(tmp_path, "geo.yaml", "prompt: 'Where is {{ city }}?'\ncases_file: cases/c.csv\n")
    spec = load_spec(path)
    assert [c.id for c in spec.cases] == ["osl", "ber", "c-3"]
    assert spec.cases[0].expect[0].type == "contains" and spec.cases[0].expect[0].value == "Norway"
    assert spec.cases[1].expect[0].type == "equals" and spec.cases[1].expect[0].value == "Germany"
    assert spec.cases[2].expect == ()
    assert spec.cases[0].vars == {"city": "Oslo"}


def test_jsonl_rows_without_vars_use_their_keys_as_vars(tmp_path: Path) -> None:
    write(
        tmp_path,
        "rows.jsonl",
        '{"id": "x", "q": "2+2"}\n\n{"q": "3+3", "expect": [{"type": "contains", "value": "6"}]}\n',
    )
    path = write(tmp_path, "math.yaml", "prompt: '{{ q }}'\ncases_file: [rows.jsonl]\n")
    spec = load_spec(path)
    assert [(c.id, dict(c.vars)) for c in spec.cases] == [
        ("x", {"q": "2+2"}),
        ("rows-2", {"q": "3+3"}),
    ]
    assert spec.cases[1].line == 3


def test_spec_vars_fill_template_variables(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "v.yaml",
        "vars: {lang: French}\nprompt: 'Say {{ word }} in {{ lang }}'\ncases: [{vars: {word: hi}}]\n",
    )
    spec = load_spec(path)
    assert spec.cases[0].id == "case-1"


def test_pydantic_model_schema(tmp_path: Path) -> None:
    write(
        tmp_path,
        "models_mod.py",
        "from pydantic import BaseModel\nclass Person(BaseModel):\n    name: str\n    age: int\n",
    )
    path = write(
        tmp_path,
        "p.yaml",
        "prompt: hi\nschema: {model: 'models_mod.py:Person'}\ncases: [{id: a}]\n",
    )
    spec = load_spec(path)
    assert spec.schema is not None and set(spec.schema["properties"]) == {"name", "age"}
    assert spec.schema_source == "models_mod.py:Person"


def test_unknown_provider_is_fine_when_declared_in_config(tmp_path: Path) -> None:
    write(
        tmp_path,
        "harness.yaml",
        "providers:\n  bench: {type: openai, base_url: 'http://127.0.0.1:1/v1'}\n",
    )
    path = write(tmp_path, "s.yaml", "models: [bench:fake-model]\nprompt: hi\ncases: [{id: a}]\n")
    with pytest.raises(SpecError, match="unknown provider 'bench'"):
        load_spec(path)
    spec = load_spec(path, load_config(start=tmp_path))
    assert spec.models == ("bench:fake-model",)


def test_duplicate_spec_names_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "name: same\nprompt: hi\ncases: [{id: a}]\n")
    write(tmp_path, "b.yaml", "name: same\nprompt: hi\ncases: [{id: a}]\n")
    specs, problems = load_specs([tmp_path])
    assert len(specs) == 2
    assert len(problems) == 1 and "duplicate spec name 'same'" in problems[0].message


def test_folder_scan_skips_yaml_that_is_not_a_spec(tmp_path: Path) -> None:
    write(tmp_path, "ci.yml", "on: push\njobs: {build: {runs-on: ubuntu-latest}}\n")
    write(tmp_path, "s.yaml", "prompt: hi\ncases: [{id: a}]\n")
    specs, problems = load_specs([tmp_path])
    assert [s.name for s in specs] == ["s"] and problems == []


def test_all_problems_of_a_file_in_one_pass(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "many.yaml",
        "params: {temprature: 1}\nprompt: 'x {{ y }}'\ncases:\n  - id: a\n    expect: [{type: containz, value: q}]\n",
    )
    with pytest.raises(SpecError) as info:
        load_spec(path)
    messages = [p.message for p in info.value.problems]
    assert any("temprature" in m for m in messages)
    assert any("containz" in m for m in messages)


def test_content_hash_changes_with_cases_file(tmp_path: Path) -> None:
    rows = write(tmp_path, "r.jsonl", '{"id": "a", "vars": {"q": 1}}\n')
    path = write(tmp_path, "h.yaml", "prompt: '{{ q }}'\ncases_file: r.jsonl\n")
    before = load_spec(path).content_hash
    rows.write_text('{"id": "a", "vars": {"q": 2}}\n')
    assert load_spec(path).content_hash != before


TRIAGE = """
prompt: "Triage: {{ email }}"
schema:
  type: object
  properties: {label: {type: string}, priority: {type: integer}}
  required: [label]
vars: {team: support}
expect:
  - {type: equals, field: label, value: "{{ label }}"}
  - {type: equals, field: priority, value: "{{ priority }}"}
  - {type: regex, value: "^{{ label }}$", field: label}
  - {type: judge, rubric: "Is it {{ label }} for {{ team }}?", model: "openai:gpt-4o-mini"}
cases:
  - {id: a, vars: {email: Refund please, label: billing, priority: 2}}
  - id: b
    vars: {email: App crashes, label: technical, priority: 1}
    expect:
      - {type: one-of, field: label, value: ["{{ label }}", other]}
"""


def test_assertion_values_are_templates_over_each_cases_vars(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, "triage.yaml", TRIAGE))
    a, b = spec.cases
    assert [x.value for x in a.expect[:3]] == ["billing", 2, "^billing$"]
    assert a.expect[3].options["rubric"] == "Is it billing for support?"
    assert [x.value for x in b.expect[:3]] == ["technical", 1, "^technical$"]
    assert b.expect[4].value == ["technical", "other"]
    # an assertion without templates stays one object shared by every case
    plain = load_spec(
        write(
            tmp_path,
            "plain.yaml",
            "prompt: hi\nexpect: [{type: contains, value: x}]\ncases: [{id: a}, {id: b}]\n",
        )
    )
    assert plain.cases[0].expect[0] is plain.cases[1].expect[0]


async def test_a_templated_expected_value_passes_when_the_output_matches(tmp_path: Path) -> None:
    from harness.expect import evaluate_case, parse_output

    spec = load_spec(write(tmp_path, "triage.yaml", TRIAGE.replace("  - {type: judge", "  # ")))
    case = spec.cases[0]
    good = await evaluate_case(
        spec, case, parse_output('{"label": "billing", "priority": 2}', spec.schema)
    )
    bad = await evaluate_case(
        spec, case, parse_output('{"label": "{{ label }}", "priority": 2}', spec.schema)
    )
    assert good.passed
    assert not bad.passed


def test_csv_expected_field_columns_check_fields(tmp_path: Path) -> None:
    write(
        tmp_path,
        "cases/e.csv",
        "id,email,expected_label,expected_priority,expected\n"
        "a,Refund please,billing,2,\n"
        "b,App crashes,technical,,contains:crash\n",
    )
    path = write(tmp_path, "t.yaml", "prompt: '{{ email }}'\ncases_file: cases/e.csv\n")
    a, b = load_spec(path).cases
    assert a.vars == {"email": "Refund please"}
    assert [(x.type, x.field, x.value) for x in a.expect] == [
        ("equals", "label", "billing"),
        ("equals", "priority", "2"),
    ]
    assert [(x.type, x.field, x.value) for x in b.expect] == [
        ("equals", "label", "technical"),
        ("contains", None, "crash"),
    ]


def test_jsonl_expected_keys_check_fields_in_both_row_shapes(tmp_path: Path) -> None:
    write(
        tmp_path,
        "rows.jsonl",
        '{"id": "a", "email": "Refund", "expected_label": "billing", "expected_priority": 2}\n'
        '{"id": "b", "vars": {"email": "Crash"}, "expect": [{"type": "contains", "value": "x"}], "expected": "icontains:crash"}\n',
    )
    path = write(tmp_path, "t.yaml", "prompt: '{{ email }}'\ncases_file: rows.jsonl\n")
    a, b = load_spec(path).cases
    assert a.vars == {"email": "Refund"}
    assert [(x.type, x.field, x.value) for x in a.expect] == [
        ("equals", "label", "billing"),
        ("equals", "priority", 2),
    ]
    assert [(x.type, x.value) for x in b.expect] == [("contains", "x"), ("icontains", "crash")]


def test_compared_text_is_read_as_the_schemas_number_or_boolean(tmp_path: Path) -> None:
    write(
        tmp_path,
        "cases/t.csv",
        "id,email,expected_priority,expected_urgent,expected_label\na,x,2,true,7\n",
    )
    spec_text = """
prompt: '{{ email }}'
schema:
  type: object
  properties:
    priority: {type: integer}
    urgent: {type: boolean}
    label: {type: string}
    score: {anyOf: [{type: number}, {type: "null"}]}
cases_file: cases/t.csv
cases:
  - id: b
    vars: {email: y, s: "0.5"}
    expect: [{type: one-of, field: score, value: ["{{ s }}", "1"]}]
"""
    b, a = load_spec(write(tmp_path, "t.yaml", spec_text)).cases
    assert [x.value for x in a.expect] == [2, True, "7"]
    assert b.expect[0].value == [0.5, 1]


def test_field_paths_follow_refs_and_leave_open_schemas_alone(tmp_path: Path) -> None:
    from harness.spec.field_paths import field_problem

    schema = {
        "$defs": {"Address": {"type": "object", "properties": {"city": {"type": "string"}}}},
        "type": "object",
        "properties": {
            "address": {"$ref": "#/$defs/Address"},
            "items": {"type": "array", "items": {"$ref": "#/$defs/Address"}},
            "free": {"type": "object"},
            "either": {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/Address"}]},
        },
    }
    assert field_problem(schema, "address.city") is None
    assert field_problem(schema, "/items/0/city") is None
    assert field_problem(schema, "free.anything.at.all") is None
    assert field_problem(schema, "either.city") is None
    assert "no property 'cty' under 'address' (did you mean 'city'?)" in str(
        field_problem(schema, "address.cty")
    )
    assert "no property 'cty' under 'items.0'" in str(field_problem(schema, "items.0.cty"))


def test_checking_that_an_undeclared_field_is_absent_is_not_a_problem(tmp_path: Path) -> None:
    text = """
prompt: hi
schema: {type: object, properties: {label: {type: string}}}
expect:
  - {type: not-field-present, field: internal_notes}
cases: [{id: a}]
"""
    spec = load_spec(write(tmp_path, "t.yaml", text))
    assert spec.cases[0].expect[0].field == "internal_notes"
    with pytest.raises(SpecError, match="no property 'internal_notes'"):
        load_spec(write(tmp_path, "u.yaml", text.replace("not-field-present", "field-present")))
