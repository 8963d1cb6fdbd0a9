"""Validate-time checks that several assertion types share, for their options models.

Each returns the problem as text (or None); a validator raises it as ``ValueError`` so the
registry reports it at the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jsonschema

_JS_NAMED_GROUP = re.compile(r"\(\?<(?![=!])[A-Za-z_]")


def regex_problem(pattern: str, ignore_case: bool = False) -> str | None:
    """Why ``pattern`` does not compile, with a hint for JavaScript's named groups."""
    try:
        re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        hint = ""
        if _JS_NAMED_GROUP.search(pattern):
            hint = "; Python writes a named group as (?P<name>...), not (?<name>...)"
        return f"invalid regular expression {pattern!r}: {exc}{hint}"
    return None


def schema_problems(schema: Mapping[str, Any]) -> list[str]:
    """Why ``schema`` is not a valid JSON Schema (every violation of its meta-schema)."""
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return [
        f"invalid JSON Schema at {e.json_path}: {e.message}"
        for e in cls(cls.META_SCHEMA).iter_errors(schema)
    ]


def raise_schema_problems(schema: Mapping[str, Any] | None) -> None:
    """Raise the first problems of a schema option as one ``ValueError``."""
    if schema is not None:
        problems = schema_problems(schema)
        if problems:
            raise ValueError("; ".join(problems))


def judge_model_problem(model: str | None) -> str | None:
    """A judge model must be written ``provider:model``."""
    if model is not None and ":" not in model:
        return f"judge model {model!r} must be 'provider:model'"
    return None


def bounds_problem(type_name: str, low: float | None, high: float | None) -> str | None:
    """``min``/``max`` for length and between: at least one, in order."""
    if low is None and high is None:
        return f"{type_name} needs 'min', 'max' or both"
    if low is not None and high is not None and low > high:
        return f"{type_name}: min {low} is greater than max {high}"
    return None
