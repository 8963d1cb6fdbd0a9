"""Structure and number assertions, and field paths into the parsed output."""

from __future__ import annotations

from typing import Any

import pytest

from harness.spec.types import Assertion
from tests.expect.helpers import assert_verdict, check, make_spec

A = Assertion
SCHEMA = {
    "type": "object",
    "required": ["name", "age"],
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("assertion", "text", "passed", "reason"),
    [
        pytest.param(A("is-json"), '{"a": 1}', True, "output holds JSON (object)", id="plain"),
        pytest.param(A("is-json"), "Here:\n```json\n[1, 2]\n```", True, "(array)", id="fenced"),
        pytest.param(A("is-json"), "no json here", False, "output is not JSON", id="prose"),
        pytest.param(A("is-json"), '{"a": 1,', False, "only after repair", id="near-json"),
        pytest.param(
            A("is-json", options={"strict": True}), '{"a": 1}', True, "whole", id="strict"
        ),
        pytest.param(
            A("is-json", options={"strict": True}),
            'Sure: {"a": 1}',
            False,
            "the whole output is not JSON",
            id="strict-chatter",
        ),
        pytest.param(A("is-json"), "", False, "empty", id="empty"),
    ],
)
def test_is_json(assertion: Assertion, text: str, passed: bool, reason: str) -> None:
    assert_verdict(check(assertion, text), passed, reason)


def test_is_json_on_a_field_holding_json_text() -> None:
    assert check(A("is-json", field="body"), parsed={"body": '{"x": 1}'}).passed
    v = check(A("is-json", field="body"), parsed={"body": "{x"})
    assert_verdict(v, False, "field 'body' is not JSON")


@pytest.mark.parametrize(
    ("text", "passed", "reason"),
    [
        pytest.param('{"name": "Ada", "age": 36}', True, "valid against the schema", id="valid"),
        pytest.param(
            '{"name": 3, "age": -1, "tags": ["a", 2], "x": 0}',
            False,
            "4 schema violation(s)",
            id="every-violation",
        ),
        pytest.param('{"name": "Ada"}', False, "$: 'age' is a required property", id="missing"),
        pytest.param("not json at all", False, "output is not JSON", id="not-json"),
        pytest.param(
            '{"name": "Ada", "age": 36,}', True, "after JSON repair", id="repaired-is-flagged"
        ),
    ],
)
def test_schema_valid_against_the_spec_schema(text: str, passed: bool, reason: str) -> None:
    v = check(A("schema-valid"), text, spec=make_spec(schema=SCHEMA))
    assert_verdict(v, passed, reason)


def test_schema_valid_names_every_path() -> None:
    v = check(
        A("schema-valid"),
        '{"name": 3, "age": -1, "tags": ["a", 2], "x": 0}',
        spec=make_spec(schema=SCHEMA),
    )
    for path in ("$.name:", "$.age:", "$.tags[1]:", "$: Additional properties"):
        assert path in v.reason, v.reason


def test_schema_valid_with_an_inline_schema_on_a_field() -> None:
    a = A("schema-valid", field="user", options={"schema": {"type": "object", "required": ["id"]}})
    assert check(a, parsed={"user": {"id": 1}}).passed
    assert_verdict(check(a, parsed={"user": {}}), False, "'id' is a required property")


def test_schema_valid_without_any_schema_is_an_error() -> None:
    v = check(A("schema-valid"), "{}")
    assert v.error is not None and not v.passed
    assert "needs a schema" in v.reason


@pytest.mark.parametrize(
    ("value", "parsed", "passed", "reason"),
    [
        pytest.param({"a": 1, "b": 2}, {"b": 2, "a": 1}, True, "as JSON", id="key-order"),
        pytest.param('{"a": [1, 2]}', {"a": [1, 2]}, True, "as JSON", id="value-as-json-text"),
        pytest.param(
            {"a": [1, 2]}, {"a": [2, 1]}, False, "$.a[0]: expected 1, got 2", id="list-order"
        ),
        pytest.param({"a": 1}, {"a": 1, "b": 2}, False, "unexpected key(s) 'b'", id="extra-key"),
        pytest.param({"a": 1, "c": 3}, {"a": 1}, False, "$.c: missing", id="missing-key"),
        pytest.param({"a": 1}, {"a": "1"}, False, "(string)", id="type-differs"),
        pytest.param({"a": True}, {"a": 1}, False, "$.a", id="bool-is-not-1"),
        pytest.param([1, 2], [1, 2, 3], False, "expected 2 items, got 3", id="length"),
    ],
)
def test_json_equals(value: Any, parsed: Any, passed: bool, reason: str) -> None:
    assert_verdict(check(A("json-equals", value), parsed=parsed), passed, reason)


def test_json_equals_with_a_malformed_value_is_an_error() -> None:
    v = check(A("json-equals", "{nope"), parsed={})
    assert v.error is not None and "not JSON" in v.reason


@pytest.mark.parametrize(
    ("path", "passed", "reason"),
    [
        pytest.param("user.name", True, "'Ada'", id="dotted"),
        pytest.param("/user/name", True, "'Ada'", id="pointer"),
        pytest.param("items.1.id", True, "2", id="index"),
        pytest.param("/items/-1/id", True, "2", id="negative-index"),
        pytest.param("/odd~1key", True, "1", id="pointer-escape"),
        pytest.param(
            "user.email", False, "no key 'email' at $.user; keys there: 'name'", id="missing"
        ),
        pytest.param("items.5", False, "index 5 out of range at $.items (array of 2", id="range"),
        pytest.param("items.x", False, "is an array; 'x' is not an index", id="not-index"),
        pytest.param("user.name.first", False, "not an object or array", id="through-scalar"),
    ],
)
def test_field_present_and_paths(path: str, passed: bool, reason: str) -> None:
    parsed = {"user": {"name": "Ada"}, "items": [{"id": 1}, {"id": 2}], "odd/key": 1}
    assert_verdict(check(A("field-present", field=path), parsed=parsed), passed, reason)


def test_field_present_on_prose_says_the_output_is_not_json() -> None:
    v = check(A("field-present", field="a"), "just words")
    assert_verdict(v, False, "output is not JSON")


def test_fields_are_read_from_json_in_the_text_when_no_schema_is_set() -> None:
    v = check(A("equals", "Ada", field="name"), 'Result: {"name": "Ada"}')
    assert v.passed, v.reason


@pytest.mark.parametrize(
    ("assertion", "text", "passed", "reason"),
    [
        pytest.param(
            A("close-to", 3.14, options={"tolerance": 0.01}), "3.141", True, "within", id="abs"
        ),
        pytest.param(
            A("close-to", 3.14, options={"tolerance": 0.0001}),
            "3.15",
            False,
            "expected 3.14 ± 0.0001, got 3.15",
            id="abs-fail",
        ),
        pytest.param(
            A("close-to", 200, options={"tolerance": 0.05, "relative": True}),
            "209",
            True,
            "0.05 relative = 10",
            id="relative",
        ),
        pytest.param(
            A("close-to", 200, options={"tolerance": 0.01, "relative": True}),
            "209",
            False,
            "off by 9",
            id="relative-fail",
        ),
        pytest.param(A("close-to", 1), "1.0000001", True, "within", id="default-tolerance"),
        pytest.param(
            A("close-to", 1), "about 1", False, "expected a number, got 'about 1'", id="prose"
        ),
        pytest.param(
            A("between", options={"min": 1, "max": 5}), "5", True, "within [1, 5]", id="between"
        ),
        pytest.param(
            A("between", options={"min": 1}), "0", False, "outside [1, inf]", id="between-min"
        ),
        pytest.param(A("between", options={"max": 1}), "nan", False, "expected a number", id="nan"),
    ],
)
def test_numbers(assertion: Assertion, text: str, passed: bool, reason: str) -> None:
    assert_verdict(check(assertion, text), passed, reason)


def test_numbers_on_a_field_refuse_booleans() -> None:
    assert check(A("between", field="n", options={"min": 0, "max": 2}), parsed={"n": 1}).passed
    v = check(A("between", field="n", options={"min": 0, "max": 2}), parsed={"n": True})
    assert_verdict(v, False, "(boolean)")
