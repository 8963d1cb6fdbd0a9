"""Declarations of the text types; their evaluators are in :mod:`harness.expect.text`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ValidationInfo, field_validator, model_validator

from harness.expect import text
from harness.expect.declare import AssertionType, OptionError, Options, written_type
from harness.expect.kinds.checks import bounds_problem, regex_problem

TextLike = str | int | float | bool


class ValueOptions(Options):
    """A required ``value`` of any JSON type."""

    value: Any


class TextValueOptions(Options):
    """A required text-like ``value``."""

    value: TextLike


class _ListOptions(Options):
    value: list[Any]

    @field_validator("value")
    @classmethod
    def _not_empty(cls, v: list[Any], info: ValidationInfo) -> list[Any]:
        if not v:
            raise ValueError(f"{written_type(info)} needs at least one value")
        return v


class ContainsManyOptions(_ListOptions):
    """contains-any and contains-all: texts or numbers, optionally ignoring case."""

    ignore_case: bool = False

    @field_validator("value")
    @classmethod
    def _text_items(cls, v: list[Any], info: ValidationInfo) -> list[Any]:
        bad = [x for x in v if not isinstance(x, str | int | float)]
        if bad:
            raise ValueError(f"{written_type(info)} values must be text or numbers: {bad[0]!r}")
        return v


class OneOfOptions(_ListOptions):
    """one-of: a non-empty list of values."""


class RegexOptions(Options):
    """regex: a pattern that compiles."""

    value: str
    ignore_case: bool = False
    fullmatch: bool = False

    @model_validator(mode="after")
    def _compiles(self) -> RegexOptions:
        problem = regex_problem(self.value, self.ignore_case)
        if problem:
            raise OptionError("value", problem)
        return self


class LengthOptions(Options):
    """length: bounds in characters or words."""

    min: int | float | None = None
    max: int | float | None = None
    unit: Literal["chars", "words"] = "chars"

    @model_validator(mode="after")
    def _bounds(self, info: ValidationInfo) -> LengthOptions:
        problem = bounds_problem(written_type(info), self.min, self.max)
        if problem:
            raise ValueError(problem)
        return self


class SimilarOptions(Options):
    """similar: the text to compare with."""

    value: str


EQUALS = AssertionType(
    "equals", "output (or field) equals value", text.equals, ValueOptions, section="text"
)
CONTAINS = AssertionType(
    "contains", "text contains value", text.contains, TextValueOptions, section="text"
)
ICONTAINS = AssertionType(
    "icontains",
    "text contains value, ignoring case",
    text.icontains,
    TextValueOptions,
    section="text",
)
CONTAINS_ANY = AssertionType(
    "contains-any",
    "text contains at least one of the values",
    text.contains_any,
    ContainsManyOptions,
    section="text",
)
CONTAINS_ALL = AssertionType(
    "contains-all",
    "text contains every value",
    text.contains_all,
    ContainsManyOptions,
    section="text",
    scored=True,
)
STARTS_WITH = AssertionType(
    "starts-with", "text starts with value", text.starts_with, TextValueOptions, section="text"
)
ENDS_WITH = AssertionType(
    "ends-with", "text ends with value", text.ends_with, TextValueOptions, section="text"
)
REGEX = AssertionType(
    "regex", "text matches the regular expression", text.regex, RegexOptions, section="text"
)
ONE_OF = AssertionType(
    "one-of", "output equals one of the values", text.one_of, OneOfOptions, section="text"
)
LENGTH = AssertionType(
    "length",
    "length within min/max chars or words",
    text.length,
    LengthOptions,
    section="text",
)
SIMILAR = AssertionType(
    "similar",
    "normalized edit similarity >= threshold (default 0.8); see semantic-similar for meaning",
    text.similar,
    SimilarOptions,
    section="text",
)
