"""JSON Schema -> Gemini responseSchema conversion."""

from __future__ import annotations

from typing import Any

import pytest

from harness.drivers.gemini_schema import UnrepresentableSchema, to_gemini_schema


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        pytest.param({"type": "string"}, {"type": "STRING"}, id="scalar"),
        pytest.param(
            {"type": ["integer", "null"], "minimum": 0},
            {"type": "INTEGER", "nullable": True, "minimum": 0},
            id="nullable-type-list",
        ),
        pytest.param(
            {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "d"},
            {"type": "STRING", "nullable": True, "description": "d"},
            id="optional-anyof",
        ),
        pytest.param(
            {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]},
            id="oneof-becomes-anyof",
        ),
        pytest.param(
            {"type": ["string", "number"]},
            {"anyOf": [{"type": "STRING"}, {"type": "NUMBER"}]},
            id="multi-type-list",
        ),
        pytest.param(
            {"const": "yes"},
            {"type": "STRING", "enum": ["yes"]},
            id="const-becomes-enum",
        ),
        pytest.param(
            {"type": "integer", "enum": [1, 2]},
            {"type": "INTEGER"},
            id="non-string-enum-dropped",
        ),
        pytest.param(
            {"type": "string", "format": "email"},
            {"type": "STRING"},
            id="unsupported-format-dropped",
        ),
        pytest.param(
            {"type": "string", "format": "date-time"},
            {"type": "STRING", "format": "date-time"},
            id="date-time-format-kept",
        ),
        pytest.param(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": "x",
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "b": {"type": "string"},
                    "a": {"type": "array", "items": {"type": "boolean"}, "minItems": 1},
                },
                "required": ["b"],
                "examples": [{}],
            },
            {
                "type": "OBJECT",
                "properties": {
                    "b": {"type": "STRING"},
                    "a": {"type": "ARRAY", "items": {"type": "BOOLEAN"}, "minItems": 1},
                },
                "propertyOrdering": ["b", "a"],
                "required": ["b"],
            },
            id="object-drops-unsupported-keys-keeps-order",
        ),
        pytest.param(
            {
                "type": "object",
                "properties": {"item": {"$ref": "#/$defs/Item", "description": "the item"}},
                "$defs": {
                    "Item": {
                        "type": "object",
                        "properties": {"n": {"type": "integer"}},
                        "description": "x",
                    }
                },
            },
            {
                "type": "OBJECT",
                "properties": {
                    "item": {
                        "type": "OBJECT",
                        "description": "the item",
                        "properties": {"n": {"type": "INTEGER"}},
                    }
                },
            },
            id="refs-inlined-sibling-keys-win",
        ),
        pytest.param(
            {"allOf": [{"type": "string"}], "title": "T"},
            {"type": "STRING", "title": "T"},
            id="single-allof-merged",
        ),
        pytest.param({}, {}, id="empty"),
    ],
)
def test_to_gemini_schema(schema: dict[str, Any], expected: dict[str, Any]) -> None:
    assert to_gemini_schema(schema) == expected


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param(
            {
                "$ref": "#/$defs/Node",
                "$defs": {
                    "Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}
                },
            },
            id="recursive",
        ),
        pytest.param({"$ref": "#/$defs/Missing"}, id="dangling"),
        pytest.param({"$ref": "https://example.com/schema.json"}, id="remote"),
    ],
)
def test_unrepresentable_schemas_raise(schema: dict[str, Any]) -> None:
    with pytest.raises(UnrepresentableSchema):
        to_gemini_schema(schema)


def test_conversion_does_not_mutate_its_input() -> None:
    schema = {"type": "object", "properties": {"a": {"type": ["string", "null"]}}}
    before = repr(schema)
    to_gemini_schema(schema)
    assert repr(schema) == before
