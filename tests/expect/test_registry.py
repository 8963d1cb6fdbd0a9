"""Validate-time checks of assertion dicts: what the spec validator reports."""

from __future__ import annotations

from typing import Any

import pytest

from harness.expect.registry import (
    TYPES,
    check_assertion,
    is_known_type,
    split_negation,
    suggest_type,
)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"type": "contains", "value": "x"}, id="contains"),
        pytest.param({"type": "not-contains", "value": "x", "weight": 2}, id="negated"),
        pytest.param(
            {"type": "regex", "value": r"\d+", "ignore_case": True, "fullmatch": True}, id="regex"
        ),
        pytest.param({"type": "length", "min": 1, "max": 5, "unit": "words"}, id="length"),
        pytest.param({"type": "similar", "value": "x", "threshold": 0.9}, id="similar"),
        pytest.param({"type": "is-json", "strict": True}, id="is-json"),
        pytest.param({"type": "schema-valid", "schema": {"type": "object"}}, id="schema-valid"),
        pytest.param({"type": "json-equals", "value": '{"a": 1}'}, id="json-equals-text"),
        pytest.param({"type": "field-present", "field": "/a/b"}, id="field-present"),
        pytest.param(
            {"type": "close-to", "value": 1, "tolerance": 0.1, "relative": True}, id="close-to"
        ),
        pytest.param({"type": "max-cost-usd", "value": 0.01}, id="max-cost"),
        pytest.param({"type": "tool-called", "value": "f", "arguments": {"a": 1}}, id="tool"),
        pytest.param(
            {"type": "judge", "rubric": "polite", "model": "openai:gpt-4o-mini"}, id="judge"
        ),
        pytest.param({"type": "judge", "value": "polite"}, id="judge-value-rubric"),
        pytest.param(
            {"type": "classify", "value": "a", "labels": ["a", "b"], "rubric": "tone"},
            id="classify",
        ),
        pytest.param({"type": "python", "value": "checks.py:fn"}, id="python"),
        pytest.param(
            {"type": "equals", "value": 1, "field": "a.b.0", "normalize": ["strip"]}, id="field"
        ),
    ],
)
def test_valid_assertions_have_no_problems(data: dict[str, Any]) -> None:
    assert check_assertion(data) == []


@pytest.mark.parametrize(
    ("data", "key", "message"),
    [
        pytest.param(
            {"type": "containz", "value": "x"}, "type", "did you mean 'contains'?", id="typo"
        ),
        pytest.param(
            {"type": "not-containz"}, "type", "did you mean 'not-contains'?", id="typo-negated"
        ),
        pytest.param({"type": "zzzz"}, "type", "known types:", id="unknown"),
        pytest.param(
            {"type": "regex", "value": "x", "ignore_cse": True},
            "ignore_cse",
            "did you mean 'ignore_case'?",
            id="option-typo",
        ),
        pytest.param(
            {"type": "contains", "value": "x", "foo": 1},
            "foo",
            "contains takes no options",
            id="no-options",
        ),
        pytest.param({"type": "contains"}, None, "contains needs 'value'", id="missing-value"),
        pytest.param(
            {"type": "field-present"}, None, "field-present needs 'field'", id="missing-field"
        ),
        pytest.param(
            {"type": "contains-any", "value": "x"}, "value", "to be list, got str", id="value-type"
        ),
        pytest.param(
            {"type": "regex", "value": "("},
            "value",
            "invalid regular expression '('",
            id="bad-regex",
        ),
        pytest.param(
            {"type": "length", "max": "5"}, "max", "'max' must be int or float", id="option-type"
        ),
        pytest.param(
            {"type": "length", "min": 5, "max": 1},
            None,
            "min 5 is greater than max 1",
            id="min-max",
        ),
        pytest.param(
            {"type": "length", "max": 5, "unit": "tokens"}, "unit", "'chars' or 'words'", id="unit"
        ),
        pytest.param({"type": "between"}, None, "needs 'min', 'max' or both", id="between-bounds"),
        pytest.param(
            {"type": "contains-all", "value": []}, "value", "at least one value", id="empty-list"
        ),
        pytest.param(
            {"type": "contains-all", "value": [{"a": 1}]},
            "value",
            "text or numbers",
            id="list-items",
        ),
        pytest.param(
            {"type": "close-to", "value": 1, "tolerance": -1},
            "tolerance",
            "zero or more",
            id="tolerance",
        ),
        pytest.param(
            {"type": "close-to", "value": True}, "value", "got bool", id="bool-not-number"
        ),
        pytest.param(
            {"type": "max-latency-ms", "value": -5}, "value", "zero or more", id="negative-max"
        ),
        pytest.param(
            {"type": "max-latency-ms", "value": 5, "field": "a"},
            "field",
            "not a field",
            id="field-on-metric",
        ),
        pytest.param(
            {"type": "equals", "value": 1, "field": "a..b"}, "field", "empty step", id="bad-path"
        ),
        pytest.param({"type": "json-equals", "value": "{a"}, "value", "not JSON", id="json-text"),
        pytest.param(
            {"type": "schema-valid", "schema": {"type": "objekt"}},
            "schema",
            "invalid JSON Schema",
            id="schema",
        ),
        pytest.param(
            {"type": "tool-called", "value": "f", "arguments_schema": {"type": 3}},
            "arguments_schema",
            "invalid JSON Schema",
            id="args-schema",
        ),
        pytest.param({"type": "judge"}, None, "judge needs a 'rubric'", id="judge-rubric"),
        pytest.param(
            {"type": "judge", "rubric": "x", "model": "gpt-4o"},
            "model",
            "'provider:model'",
            id="judge-model",
        ),
        pytest.param(
            {"type": "classify", "value": "c", "labels": ["a", "b"]},
            "value",
            "not one of the labels",
            id="classify-value",
        ),
        pytest.param(
            {"type": "classify", "value": "a", "labels": ["a", "a"]},
            "labels",
            "must not repeat",
            id="classify-repeat",
        ),
        pytest.param(
            {"type": "classify", "value": "a", "labels": ["a", 2]},
            "labels",
            "non-empty list of texts",
            id="classify-labels",
        ),
        pytest.param(
            {"type": "python", "value": "module_without_function"},
            "value",
            "pkg.module:function",
            id="python-ref",
        ),
    ],
)
def test_problems(data: dict[str, Any], key: str | None, message: str) -> None:
    problems = check_assertion(data)
    assert any(k == key and message in m for k, m in problems), problems


def test_missing_type_is_left_to_the_shape_check() -> None:
    assert check_assertion({"value": 1}) == []


def test_names() -> None:
    assert split_negation("not-contains") == ("contains", True)
    assert split_negation("not-a-type") == ("not-a-type", False)
    assert is_known_type("not-is-json") and not is_known_type("json")
    assert suggest_type("icontain") == "icontains"
    assert all(info.summary for info in TYPES.values())
