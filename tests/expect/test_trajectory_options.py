"""Load-time checks of the trajectory types' options: each problem at its key, in words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.errors import SpecError
from harness.expect.registry import check_assertion
from harness.spec.load import load_spec


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"type": "tool-called", "value": "f", "step": 2, "times": 0}, id="step-times"),
        pytest.param({"type": "tool-called", "value": "f", "times": {"min": 1}}, id="times-min"),
        pytest.param(
            {"type": "tool-called", "value": "f", "arguments": {}, "arguments_match": "exact"},
            id="exact",
        ),
        pytest.param(
            {"type": "tool-called", "value": "f", "arguments_regex": {"a": "^x\\d+$"}}, id="regex"
        ),
        pytest.param({"type": "no-tool-called", "step": 1}, id="no-tool-step"),
        pytest.param({"type": "tool-sequence", "value": ["a", "b-2"], "strict": True}, id="seq"),
        pytest.param({"type": "max-steps", "value": 1}, id="max-steps"),
        pytest.param(
            {
                "type": "tool-call-f1",
                "value": [{"name": "a"}, {"name": "b", "arguments": {"x": 1}}],
                "threshold": 0.5,
            },
            id="f1",
        ),
        pytest.param({"type": "is-valid-tools-call"}, id="valid-calls"),
        pytest.param({"type": "trajectory-judge", "value": "stays on task"}, id="judge"),
        pytest.param(
            {"type": "trajectory-judge", "rubric": "x", "model": "openai:gpt-4o-mini"}, id="model"
        ),
    ],
)
def test_valid_options_have_no_problems(data: dict[str, Any]) -> None:
    assert check_assertion(data) == []


@pytest.mark.parametrize(
    ("data", "key", "message"),
    [
        pytest.param(
            {"type": "tool-called", "value": "f", "step": 0},
            "step",
            "step counts model calls from 1, got 0",
            id="step-0",
        ),
        pytest.param(
            {"type": "tool-called", "value": "f", "times": -1},
            "times",
            "times must be zero or more",
            id="times-negative",
        ),
        pytest.param(
            {"type": "tool-called", "value": "f", "times": {"min": 3, "max": 1}},
            "times",
            "times' min 3 is greater than its max 1",
            id="times-order",
        ),
        pytest.param(
            {"type": "tool-called", "value": "f", "times": {"least": 1}},
            "times",
            "times is a number or {min: N, max: N} (one or both), got least",
            id="times-key",
        ),
        pytest.param(
            {"type": "tool-called", "value": "f", "times": "twice"},
            "times",
            "'times' must be int or dict, got str",
            id="times-type",
        ),
        pytest.param(
            {"type": "tool-called", "value": "f", "arguments_match": "fuzzy", "arguments": {}},
            "arguments_match",
            "arguments_match must be 'subset' or 'exact', got 'fuzzy'",
            id="match-mode",
        ),
        pytest.param(
            {"type": "tool-called", "value": "f", "arguments_match": "exact"},
            "arguments_match",
            "arguments_match: exact needs the 'arguments' to match",
            id="exact-alone",
        ),
        pytest.param(
            {"type": "tool-called", "value": "f", "arguments_regex": {"city": "(?<n>x)"}},
            "arguments_regex",
            "arguments_regex.city: invalid regular expression",
            id="regex-invalid",
        ),
        pytest.param(
            {"type": "tool-called", "value": "f", "arguments_schema": {"type": 3}},
            "arguments_schema",
            "invalid JSON Schema",
            id="schema-invalid",
        ),
        pytest.param(
            {"type": "tool-called", "value": "f", "argument": {"a": 1}},
            "argument",
            "did you mean 'arguments'?",
            id="typo",
        ),
        pytest.param(
            {"type": "tool-sequence", "value": []},
            "value",
            "tool-sequence needs at least one tool name",
            id="seq-empty",
        ),
        pytest.param(
            {"type": "tool-sequence", "value": ["search", "get weather"]},
            "value",
            "value item 1: 'get weather' is not a tool name",
            id="seq-name",
        ),
        pytest.param(
            {"type": "max-steps", "value": 0}, "value", "a value of 1 or more", id="steps-0"
        ),
        pytest.param(
            {"type": "tool-call-f1", "value": [{"tool": "a"}]},
            "value",
            "value item 0: unknown key 'tool'; an expected call has 'name'",
            id="f1-key",
        ),
        pytest.param(
            {"type": "tool-call-f1", "value": [{"arguments": {}}]},
            "value",
            "value item 0: needs 'name'",
            id="f1-name",
        ),
        pytest.param(
            {"type": "tool-call-f1", "value": [{"name": "a", "arguments": "x=1"}]},
            "value",
            "value item 0: arguments must be an object",
            id="f1-arguments",
        ),
        pytest.param(
            {"type": "tool-call-f1", "value": [{"name": "a"}] * 201},
            "value",
            "at most 200 expected calls",
            id="f1-too-many",
        ),
        pytest.param(
            {"type": "tool-call-f1", "value": [{"name": "a"}], "threshold": 2},
            "threshold",
            "less than or equal to 1",
            id="f1-threshold",
        ),
        pytest.param(
            {"type": "is-valid-tools-call", "step": -1}, "step", "from 1", id="valid-step"
        ),
        pytest.param(
            {"type": "is-valid-tools-call", "field": "a"},
            "field",
            "looks at the model call, not a field",
            id="valid-field",
        ),
        pytest.param(
            {"type": "trajectory-judge"},
            None,
            "trajectory-judge needs a 'rubric'",
            id="judge-rubric",
        ),
        pytest.param(
            {"type": "trajectory-judge", "rubric": "x", "model": "gpt-4o"},
            "model",
            "judge model 'gpt-4o' must be 'provider:model'",
            id="judge-model",
        ),
    ],
)
def test_problems_name_the_key_and_what_to_write(
    data: dict[str, Any], key: str | None, message: str
) -> None:
    problems = check_assertion(data)
    assert any(k == key and message in m for k, m in problems), problems


SPEC = """\
prompt: "Weather in {{ city }}?"
tools:
  - name: get_weather
    parameters: {type: object, properties: {city: {type: string}}}
cases:
  - vars: {city: Paris}
    expect:
      - type: tool-called
        value: get_weather
        times: {min: 2, max: 1}
      - type: tool-sequence
        value: [get_weather]
        strict: "yes"
"""


def test_a_spec_points_at_the_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "tools.yaml"
    path.write_text(SPEC, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    shown = [str(p) for p in info.value.problems]
    assert any(
        s.startswith(f"{path}:10:") and "times' min 2 is greater than its max 1" in s for s in shown
    ), shown
    assert any(s.startswith(f"{path}:13:") and "'strict' must be bool" in s for s in shown), shown
