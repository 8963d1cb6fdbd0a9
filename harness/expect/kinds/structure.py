"""Declarations of the structure and number types (evaluators in
:mod:`harness.expect.structure`)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from harness.expect import structure
from harness.expect.declare import AssertionType, Options, written_type
from harness.expect.kinds.checks import bounds_problem, raise_schema_problems
from harness.expect.kinds.text import ValueOptions


class IsJsonOptions(Options):
    """is-json: ``strict`` asks for the whole text to be JSON."""

    strict: bool = False


class SchemaValidOptions(Options):
    """schema-valid: an inline schema instead of the spec's."""

    schema_: dict[str, Any] | None = Field(default=None, alias="schema")

    @field_validator("schema_")
    @classmethod
    def _valid(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        raise_schema_problems(v)
        return v


class JsonEqualsOptions(ValueOptions):
    """json-equals: a value, or a text holding JSON."""

    @field_validator("value")
    @classmethod
    def _json_text(cls, v: Any) -> Any:
        if isinstance(v, str):
            try:
                json.loads(v)
            except ValueError as exc:
                raise ValueError(f"json-equals 'value' is text that is not JSON: {exc}") from None
        return v


class CloseToOptions(Options):
    """close-to: a number and a tolerance."""

    value: int | float
    tolerance: int | float | None = None
    relative: bool = False

    @field_validator("tolerance")
    @classmethod
    def _non_negative(cls, v: float | None) -> float | None:
        if v is not None and v < 0:
            raise ValueError("tolerance must be zero or more")
        return v


class BetweenOptions(Options):
    """between: inclusive bounds, at least one."""

    min: int | float | None = None
    max: int | float | None = None

    @model_validator(mode="after")
    def _bounds(self, info: ValidationInfo) -> BetweenOptions:
        problem = bounds_problem(written_type(info), self.min, self.max)
        if problem:
            raise ValueError(problem)
        return self


IS_JSON = AssertionType(
    "is-json",
    "output holds JSON (fences and chatter allowed)",
    structure.is_json,
    IsJsonOptions,
    subject="field",
    section="structure",
)
SCHEMA_VALID = AssertionType(
    "schema-valid",
    "parsed output validates against the spec's (or an inline) schema",
    structure.schema_valid,
    SchemaValidOptions,
    subject="self",  # it checks its schema first
    section="structure",
)
JSON_EQUALS = AssertionType(
    "json-equals",
    "parsed output equals value, ignoring key order",
    structure.json_equals,
    JsonEqualsOptions,
    subject="data",
    section="structure",
)
FIELD_PRESENT = AssertionType(
    "field-present",
    "the field exists in the parsed output",
    structure.field_present,
    subject="self",
    section="structure",
    needs_field=True,
)
CLOSE_TO = AssertionType(
    "close-to",
    "number within tolerance of value",
    structure.close_to,
    CloseToOptions,
    section="numbers",
)
BETWEEN = AssertionType(
    "between", "number within [min, max]", structure.between, BetweenOptions, section="numbers"
)
