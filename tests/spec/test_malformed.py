"""The malformed-spec corpus: each file must produce exactly these problems, in order.

Paths in the expected lines are relative to tests/spec/malformed/.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from harness.errors import SpecError
from harness.spec.load import load_spec

CORPUS = Path(__file__).parent / "malformed"

CASES = [
    pytest.param(
        "01_empty.yaml",
        [
            "01_empty.yaml:1:1: file is empty: a spec needs at least 'prompt' and 'cases'",
        ],
        id="01_empty",
    ),
    pytest.param(
        "02_whitespace_only.yaml",
        [
            "02_whitespace_only.yaml:1:1: file is empty: a spec needs at least 'prompt' and 'cases'",
        ],
        id="02_whitespace_only",
    ),
    pytest.param(
        "03_not_a_mapping.yaml",
        [
            "03_not_a_mapping.yaml:1:1: a spec must be a mapping of keys, got list",
        ],
        id="03_not_a_mapping",
    ),
    pytest.param(
        "04_syntax_error.yaml",
        [
            "04_syntax_error.yaml:2:9: YAML syntax error while scanning a quoted scalar starting here: found unexpected end of stream at line 4",
        ],
        id="04_syntax_error",
    ),
    pytest.param(
        "05_tab_indent.yaml",
        [
            "05_tab_indent.yaml:2:1: YAML syntax error: found character '\\t' that cannot start any token (while scanning for the next token)",
        ],
        id="05_tab_indent",
    ),
    pytest.param(
        "06_duplicate_top_key.yaml",
        [
            "06_duplicate_top_key.yaml:6:1: duplicate key 'prompt' (first defined at line 1): keep only one",
        ],
        id="06_duplicate_top_key",
    ),
    pytest.param(
        "07_duplicate_nested_key.yaml",
        [
            "07_duplicate_nested_key.yaml:3:3: duplicate key 'user' (first defined at line 2): keep only one",
        ],
        id="07_duplicate_nested_key",
    ),
    pytest.param(
        "08_python_tag.yaml",
        [
            "08_python_tag.yaml:2:9: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system': specs allow plain data only",
        ],
        id="08_python_tag",
    ),
    pytest.param(
        "09_unknown_top_key.yaml",
        [
            "09_unknown_top_key.yaml:1:1: missing required key 'prompt'",
            "09_unknown_top_key.yaml:1:1: promtp: unknown key 'promtp' (did you mean 'prompt'?)",
        ],
        id="09_unknown_top_key",
    ),
    pytest.param(
        "10_missing_prompt.yaml",
        [
            "10_missing_prompt.yaml:1:1: missing required key 'prompt'",
        ],
        id="10_missing_prompt",
    ),
    pytest.param(
        "11_prompt_empty_mapping.yaml",
        [
            "11_prompt_empty_mapping.yaml:1:9: prompt: needs 'user' (and optionally 'system') or 'messages'",
        ],
        id="11_prompt_empty_mapping",
    ),
    pytest.param(
        "12_prompt_both_forms.yaml",
        [
            "12_prompt_both_forms.yaml:2:3: prompt: use either 'messages' or 'system'/'user', not both",
        ],
        id="12_prompt_both_forms",
    ),
    pytest.param(
        "13_bad_message_role.yaml",
        [
            "13_bad_message_role.yaml:3:14: prompt.messages.0.role: input should be 'system', 'user' or 'assistant' (got 'robot')",
        ],
        id="13_bad_message_role",
    ),
    pytest.param(
        "14_template_syntax.yaml",
        [
            "14_template_syntax.yaml:2:9: prompt.user: template syntax error on template line 1: unexpected end of template, expected 'end of print statement'.",
        ],
        id="14_template_syntax",
    ),
    pytest.param(
        "15_undefined_variable.yaml",
        [
            "15_undefined_variable.yaml:2:9: prompt.user: template variable 'city' is not defined: case 'b' at 15_undefined_variable.yaml:6 lacks it; add it to the case's vars or the spec's vars",
        ],
        id="15_undefined_variable",
    ),
    pytest.param(
        "16_duplicate_case_id.yaml",
        [
            "16_duplicate_case_id.yaml:6:9: cases.2.id: duplicate case id 'a' (first at 16_duplicate_case_id.yaml:4): case ids must be unique",
        ],
        id="16_duplicate_case_id",
    ),
    pytest.param(
        "17_unknown_assertion_type.yaml",
        [
            "17_unknown_assertion_type.yaml:7:16: cases.0.expect.0.type: unknown assertion type 'containz' (did you mean 'contains'?)",
        ],
        id="17_unknown_assertion_type",
    ),
    pytest.param(
        "18_not_prefix_unknown.yaml",
        [
            "18_not_prefix_unknown.yaml:7:16: cases.0.expect.0.type: unknown assertion type 'not-equalz' (did you mean 'not-equals'?)",
        ],
        id="18_not_prefix_unknown",
    ),
    pytest.param(
        "19_missing_value.yaml",
        [
            "19_missing_value.yaml:7:9: cases.0.expect.0: contains needs 'value'",
        ],
        id="19_missing_value",
    ),
    pytest.param(
        "20_unknown_assertion_option.yaml",
        [
            "20_unknown_assertion_option.yaml:7:36: cases.0.expect.0.tolerence: unknown option 'tolerence' for close-to (did you mean 'tolerance'?)",
        ],
        id="20_unknown_assertion_option",
    ),
    pytest.param(
        "21_wrong_value_type.yaml",
        [
            "21_wrong_value_type.yaml:7:37: cases.0.expect.0.value: contains-any needs 'value' to be list, got str",
        ],
        id="21_wrong_value_type",
    ),
    pytest.param(
        "22_assertion_without_type.yaml",
        [
            "22_assertion_without_type.yaml:7:9: cases.0.expect.0: missing required key 'type'",
        ],
        id="22_assertion_without_type",
    ),
    pytest.param(
        "23_bad_weight.yaml",
        [
            "23_bad_weight.yaml:7:46: cases.0.expect.0.weight: input should be greater than or equal to 0",
        ],
        id="23_bad_weight",
    ),
    pytest.param(
        "24_invalid_json_schema.yaml",
        [
            "24_invalid_json_schema.yaml:4:9: schema.type: invalid JSON Schema: 'objekt' is not one of ['array', 'boolean', 'integer', 'null', 'number', 'object', 'string']",
        ],
        id="24_invalid_json_schema",
    ),
    pytest.param(
        "25_schema_model_import.yaml",
        [
            "25_schema_model_import.yaml:3:17: schema.model: cannot import module 'no_such_pkg.models': No module named 'no_such_pkg'; make sure it is installed or on the path next to the spec",
        ],
        id="25_schema_model_import",
    ),
    pytest.param(
        "26_unknown_provider.yaml",
        [
            "26_unknown_provider.yaml:1:10: models.0: unknown provider 'opnai' in 'opnai:gpt-4o-mini': declare it under 'providers:' in harness.yaml, or use one of anthropic, azure, deepseek, echo, gemini, groq, llamacpp, lmstudio, local, mistral, ollama, openai, openrouter, together, vllm, xai",
        ],
        id="26_unknown_provider",
    ),
    pytest.param(
        "27_model_without_provider.yaml",
        [
            "27_model_without_provider.yaml:1:10: models.0: model id 'gpt-4o-mini' must be 'provider:model', e.g. 'openai:gpt-4o-mini'",
        ],
        id="27_model_without_provider",
    ),
    pytest.param(
        "28_cases_file_missing.yaml",
        [
            "28_cases_file_missing.yaml:3:13: cases_file: cases file cases/nope.jsonl not found (paths are relative to the spec's folder)",
        ],
        id="28_cases_file_missing",
    ),
    pytest.param(
        "29_no_cases.yaml",
        [
            "29_no_cases.yaml:1:1: spec has no cases: add 'cases:' or 'cases_file:'",
        ],
        id="29_no_cases",
    ),
    pytest.param(
        "30_bad_params.yaml",
        [
            "30_bad_params.yaml:1:23: params.temperature: input should be less than or equal to 2",
            "30_bad_params.yaml:1:38: params.max_tokens: input should be a valid integer, unable to parse string as an integer",
        ],
        id="30_bad_params",
    ),
    pytest.param(
        "31_unknown_param.yaml",
        [
            "31_unknown_param.yaml:1:10: params.temprature: unknown key 'temprature' (did you mean 'temperature'?)",
        ],
        id="31_unknown_param",
    ),
    pytest.param(
        "32_python_assertion_import.yaml",
        [
            "32_python_assertion_import.yaml:7:31: cases.0.expect.0.value: python assertion: cannot import module 'no_such_module': No module named 'no_such_module'; make sure it is installed or on the path next to the spec",
        ],
        id="32_python_assertion_import",
    ),
    pytest.param(
        "33_bad_name.yaml",
        [
            "33_bad_name.yaml:1:7: name: spec name 'has spaces' may only hold letters, digits, '_', '.' and '-' (it names folders and test ids)",
        ],
        id="33_bad_name",
    ),
    pytest.param(
        "34_case_not_mapping.yaml",
        [
            "34_case_not_mapping.yaml:4:5: cases.0: input should be a valid dictionary (got 'just a string')",
        ],
        id="34_case_not_mapping",
    ),
    pytest.param(
        "35_vars_not_mapping.yaml",
        [
            "35_vars_not_mapping.yaml:5:11: cases.0.vars: input should be a valid dictionary (got list)",
        ],
        id="35_vars_not_mapping",
    ),
    pytest.param(
        "36_bad_normalize.yaml",
        [
            "36_bad_normalize.yaml:7:48: cases.0.expect.0.normalize.0: input should be 'strip', 'lower', 'collapse-whitespace' or 'remove-punctuation' (got 'upper')",
        ],
        id="36_bad_normalize",
    ),
    pytest.param(
        "37_binary.yaml",
        [
            "37_binary.yaml:1:1: file is binary, not a YAML spec",
        ],
        id="37_binary",
    ),
    pytest.param(
        "38_jsonl_cases_bad.yaml",
        [
            "cases/bad.jsonl:2:38: invalid JSON: Expecting ',' delimiter",
            "cases/bad.jsonl:3:1: each line must be a JSON object",
            "cases/bad.jsonl:4:36: extra: unknown key 'extra'; allowed keys: id, description, vars, expect, tags, threshold, repeat, skip, transform, turns, max_steps",
        ],
        id="38_jsonl_cases_bad",
    ),
    pytest.param(
        "39_csv_missing_var.yaml",
        [
            "39_csv_missing_var.yaml:2:9: prompt.user: template variable 'city' is not defined: 2 of 2 cases ('ann' at cases/people.csv:2, 'bob' at cases/people.csv:3) lack it; add it to the case's vars or the spec's vars",
        ],
        id="39_csv_missing_var",
    ),
    pytest.param(
        "40_length_without_bounds.yaml",
        [
            "40_length_without_bounds.yaml:7:9: cases.0.expect.0: length needs 'min', 'max' or both",
        ],
        id="40_length_without_bounds",
    ),
    pytest.param(
        "41_bad_tool.yaml",
        [
            "41_bad_tool.yaml:2:12: tools.0.name: string should match pattern '^[A-Za-z0-9_-]{1,64}$' (got 'get weather')",
        ],
        id="41_bad_tool",
    ),
    pytest.param(
        "42_duplicate_id_int_and_str.yaml",
        [
            "42_duplicate_id_int_and_str.yaml:5:9: cases.1.id: duplicate case id '1' (first at 42_duplicate_id_int_and_str.yaml:4): case ids must be unique",
        ],
        id="42_duplicate_id_int_and_str",
    ),
    pytest.param(
        "43_variable_typo_many_cases.yaml",
        [
            "43_variable_typo_many_cases.yaml:2:9: prompt.user: template variable 'emial' is not defined (did you mean 'email'?): 5 of 5 cases ('e1' at cases/emails.csv:2, 'e2' at cases/emails.csv:3, 'e3' at cases/emails.csv:4 and 2 more) lack it; add it to the case's vars or the spec's vars",
        ],
        id="43_variable_typo_many_cases",
    ),
    pytest.param(
        "44_assertion_template_undefined.yaml",
        [
            "44_assertion_template_undefined.yaml:4:41: expect.0.value: template variable 'lable' is not defined (did you mean 'label'?): 2 of 2 cases ('a' at 44_assertion_template_undefined.yaml:6, 'b' at 44_assertion_template_undefined.yaml:10) lack it; add it to the case's vars or the spec's vars",
            "44_assertion_template_undefined.yaml:9:33: cases.0.expect.0.value: template variable 'team' is not defined: case 'a' at 44_assertion_template_undefined.yaml:6 lacks it; add it to the case's vars or the spec's vars",
        ],
        id="44_assertion_template_undefined",
    ),
    pytest.param(
        "45_assertion_template_syntax.yaml",
        [
            "45_assertion_template_syntax.yaml:4:27: expect.0.rubric: template syntax error on template line 1: unexpected end of template, expected 'end of print statement'.",
        ],
        id="45_assertion_template_syntax",
    ),
    pytest.param(
        "46_field_not_in_schema.yaml",
        [
            "46_field_not_in_schema.yaml:10:27: expect.0.field: field 'lable': the schema has no property 'lable' at the top level (did you mean 'label'?); it has 'label', 'priority', 'tags'",
            "46_field_not_in_schema.yaml:11:27: expect.1.field: field 'tags.first': the schema has an array at 'tags', and 'first' is not an index",
            "46_field_not_in_schema.yaml:12:27: expect.2.field: field 'priority.level': the schema has an integer at 'priority', which has no field 'level'",
            "46_field_not_in_schema.yaml:18:31: cases.0.expect.0.field: field '/priorty': the schema has no property 'priorty' at the top level (did you mean 'priority'?); it has 'label', 'priority', 'tags'",
            "cases/triage.csv:2:1: expect.0.field: field 'lable': the schema has no property 'lable' at the top level (did you mean 'label'?); it has 'label', 'priority', 'tags' (and 2 more cases like it)",
        ],
        id="46_field_not_in_schema",
    ),
]


@pytest.mark.parametrize(("name", "expected"), CASES)
def test_malformed_spec_reports_exact_problems(
    name: str, expected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CORPUS)
    with pytest.raises(SpecError) as info:
        load_spec(Path(name))
    assert [str(p) for p in info.value.problems] == expected


def test_corpus_is_complete() -> None:
    files = {p.name for p in CORPUS.glob("*.yaml")}
    covered = {param.values[0] for param in CASES}
    assert files == covered
    assert len(files) >= 30


def test_every_problem_is_one_line_with_position() -> None:
    for param in CASES:
        for line in param.values[1]:
            assert "\n" not in line
            head = line.split(": ", 1)[0]
            path, row, col = head.rsplit(":", 2)
            assert path and int(row) >= 1 and int(col) >= 1, line


def test_loader_never_leaks_a_traceback_for_random_bytes(tmp_path: Path) -> None:
    for i in range(50):
        f = tmp_path / f"r{i}.yaml"
        f.write_bytes(random.Random(i).randbytes(64 + i))
        with pytest.raises(SpecError):
            load_spec(f)
