"""JSON Schema to Gemini's ``responseSchema`` (an OpenAPI 3.0 subset).

Gemini's ``Schema`` knows a fixed set of keys; anything else (``additionalProperties``,
``$schema``, ``$id``, ``examples``, ``not``, ...) makes the API answer 400, so it is
dropped. ``$ref`` into ``$defs``/``definitions`` is inlined, ``["T", "null"]`` types
become ``nullable``, ``const`` becomes a one-value ``enum``, ``oneOf`` becomes
``anyOf`` and object properties keep their order through ``propertyOrdering``.

A schema that cannot be expressed (a recursive ``$ref``) raises
:class:`UnrepresentableSchema`; the driver then sends it unchanged as
``responseJsonSchema``, which takes full JSON Schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# keys Gemini's Schema accepts whose values carry over unchanged
_PLAIN = (
    "title",
    "description",
    "nullable",
    "maxItems",
    "minItems",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "default",
    "minimum",
    "maximum",
)
_TYPES = {"string", "number", "integer", "boolean", "array", "object", "null"}
_FORMATS = {
    "STRING": {"enum", "date-time"},
    "NUMBER": {"float", "double"},
    "INTEGER": {"int32", "int64"},
}


class UnrepresentableSchema(ValueError):
    """The JSON Schema uses something Gemini's ``responseSchema`` cannot express."""


def to_gemini_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Convert a JSON Schema to Gemini's ``responseSchema`` form.

    Example:
        >>> to_gemini_schema({"type": ["string", "null"], "additionalProperties": False})
        {'type': 'STRING', 'nullable': True}

    Raises:
        UnrepresentableSchema: a recursive ``$ref`` or a ``$ref`` to nowhere.
    """
    defs: dict[str, Any] = {}
    for key in ("$defs", "definitions"):
        defs.update(schema.get(key) or {})
    return _convert(schema, defs, ())


def _resolve(ref: str, defs: Mapping[str, Any], seen: tuple[str, ...]) -> tuple[Any, str]:
    name = ref.rsplit("/", 1)[-1]
    if not ref.startswith(("#/$defs/", "#/definitions/")) or name not in defs:
        raise UnrepresentableSchema(f"unresolvable $ref {ref!r}")
    if name in seen:
        raise UnrepresentableSchema(f"recursive $ref {ref!r}")
    return defs[name], name


def _convert(
    schema: Mapping[str, Any], defs: Mapping[str, Any], seen: tuple[str, ...]
) -> dict[str, Any]:
    if "$ref" in schema:
        target, name = _resolve(str(schema["$ref"]), defs, seen)
        # keys next to $ref (a description, say) win over the referenced schema's
        merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return _convert(merged, defs, (*seen, name))
    if "allOf" in schema and len(schema["allOf"]) == 1:
        merged = {**schema["allOf"][0], **{k: v for k, v in schema.items() if k != "allOf"}}
        return _convert(merged, defs, seen)

    out: dict[str, Any] = {k: schema[k] for k in _PLAIN if k in schema}
    variants = schema.get("anyOf") or schema.get("oneOf")
    if variants:
        non_null = [v for v in variants if v.get("type") != "null"]
        if len(non_null) < len(variants):
            out["nullable"] = True
        if len(non_null) == 1:
            return {**_convert(non_null[0], defs, seen), **out}
        out["anyOf"] = [_convert(v, defs, seen) for v in non_null]
        return out

    kind = _type(schema, out)
    if kind is None:
        return out
    if isinstance(kind, list):  # several non-null types: one variant each
        out["anyOf"] = [_convert({**schema, "type": k}, defs, seen) for k in kind]
        return out
    out["type"] = kind.upper()
    fmt = schema.get("format")
    if fmt in _FORMATS.get(out["type"], ()):
        out["format"] = fmt
    enum = schema.get("enum")
    if "const" in schema:
        enum = [schema["const"]]
    if enum is not None and out["type"] == "STRING":
        out["enum"] = [str(v) for v in enum]  # Gemini enums are strings only
    if out["type"] == "OBJECT" and "properties" in schema:
        props = schema["properties"]
        out["properties"] = {k: _convert(v, defs, seen) for k, v in props.items()}
        if len(props) > 1:
            out["propertyOrdering"] = list(props)
        if "required" in schema:
            out["required"] = list(schema["required"])
    if out["type"] == "ARRAY" and isinstance(schema.get("items"), Mapping):
        out["items"] = _convert(schema["items"], defs, seen)
    return out


def _type(schema: Mapping[str, Any], out: dict[str, Any]) -> str | list[str] | None:
    kind = schema.get("type")
    if kind is None:
        if "properties" in schema:
            return "object"
        if "items" in schema:
            return "array"
        if "enum" in schema or "const" in schema:
            return "string"
        return None
    kinds = [kind] if isinstance(kind, str) else list(kind)
    kinds = [k for k in kinds if k in _TYPES]
    if "null" in kinds:
        out["nullable"] = True
        kinds = [k for k in kinds if k != "null"]
    if not kinds:
        return None
    return kinds[0] if len(kinds) == 1 else kinds
