"""Deterministic JSON values that satisfy a (simple) JSON Schema, for the fakes' answers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

INSTRUCTION_MARK = "conforms to this JSON Schema"


def value_for(schema: Mapping[str, Any] | None) -> Any:
    """A value valid under ``schema``: first enum/const, required object keys, one array item."""
    if not schema:
        return {}
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return value_for(schema[key][0])
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: value_for(sub) for name, sub in props.items()}
    if kind == "array":
        return [value_for(schema.get("items", {}))] * max(1, int(schema.get("minItems", 1)))
    if kind == "string":
        return "x" * max(1, int(schema.get("minLength", 1)))
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1.5))
    if kind == "boolean":
        return True
    return None


def schema_from_prompt(text: str) -> Mapping[str, Any] | None:
    """The JSON Schema that prompt-mode instructions put at the end of a message, if any."""
    if INSTRUCTION_MARK not in text:
        return None
    tail = text.rsplit("\n", 1)[-1]
    try:
        schema = json.loads(tail)
    except ValueError:
        return None
    return schema if isinstance(schema, dict) else None
