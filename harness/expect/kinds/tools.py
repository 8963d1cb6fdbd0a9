"""Declarations of the types that read an exchange's tool calls and steps: tool-called,
no-tool-called, tool-sequence, max-steps, tool-call-f1, is-valid-tools-call
(evaluators in :mod:`harness.expect.trajectory`)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import ValidationInfo, field_validator, model_validator

from harness.expect import trajectory
from harness.expect.declare import AssertionType, OptionError, Options, written_type
from harness.expect.kinds.checks import raise_schema_problems, regex_problem

MAX_EXPECTED_CALLS = 200
"""tool-call-f1 pairs calls by augmenting paths, as deep as the expected list is long."""
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _step_problem(v: int | None, type_name: str) -> None:
    if v is not None and v < 1:
        raise ValueError(f"{type_name}: step counts model calls from 1, got {v}")


class ToolCalledOptions(Options):
    """tool-called: the tool's name, where and how often, and what its arguments hold."""

    value: str
    step: int | None = None
    times: int | dict[str, int] | None = None
    arguments: dict[str, Any] | None = None
    arguments_match: Literal["subset", "exact"] = "subset"
    arguments_schema: dict[str, Any] | None = None
    arguments_regex: dict[str, str] | None = None

    @field_validator("step")
    @classmethod
    def _step(cls, v: int | None, info: ValidationInfo) -> int | None:
        _step_problem(v, written_type(info))
        return v

    @field_validator("times")
    @classmethod
    def _times(cls, v: int | dict[str, int] | None, info: ValidationInfo) -> Any:
        if v is None:
            return v
        name = written_type(info)
        if isinstance(v, int):
            if v < 0:
                raise ValueError(f"{name}: times must be zero or more, got {v}")
            return v
        unknown = sorted(set(v) - {"min", "max"})
        if unknown or not v:
            raise ValueError(
                f"{name}: times is a number or {{min: N, max: N}} (one or both), "
                f"got {', '.join(unknown) or 'an empty mapping'}"
            )
        if any(n < 0 for n in v.values()):
            raise ValueError(f"{name}: times' min and max must be zero or more")
        if v.get("min", 0) > v.get("max", v.get("min", 0)):
            raise ValueError(f"{name}: times' min {v['min']} is greater than its max {v['max']}")
        return v

    @field_validator("arguments_schema")
    @classmethod
    def _valid(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        raise_schema_problems(v)
        return v

    @field_validator("arguments_regex")
    @classmethod
    def _patterns(cls, v: dict[str, str] | None, info: ValidationInfo) -> dict[str, str] | None:
        for name, pattern in (v or {}).items():
            problem = regex_problem(pattern)
            if problem:
                raise ValueError(f"arguments_regex.{name}: {problem}")
        return v

    @model_validator(mode="after")
    def _exact_needs_arguments(self) -> ToolCalledOptions:
        if self.arguments_match == "exact" and self.arguments is None:
            raise OptionError(
                "arguments_match", "arguments_match: exact needs the 'arguments' to match"
            )
        return self


class ToolSequenceOptions(Options):
    """tool-sequence: the tool names in order; ``strict`` for exactly that sequence."""

    value: list[str]
    strict: bool = False

    @field_validator("value")
    @classmethod
    def _names(cls, v: list[str], info: ValidationInfo) -> list[str]:
        if not v:
            raise ValueError(f"{written_type(info)} needs at least one tool name in 'value'")
        for i, name in enumerate(v):
            if not _TOOL_NAME.match(name):
                raise ValueError(
                    f"value item {i}: {name!r} is not a tool name (letters, digits, _ and -)"
                )
        return v


class MaxStepsOptions(Options):
    """max-steps: the most model calls the exchange may take."""

    value: int

    @field_validator("value")
    @classmethod
    def _positive(cls, v: int, info: ValidationInfo) -> int:
        if v < 1:
            raise ValueError(f"{written_type(info)} needs a value of 1 or more (model calls)")
        return v


class ToolCallF1Options(Options):
    """tool-call-f1: the expected calls, ``{name, arguments?}`` each, and how arguments match."""

    value: list[dict[str, Any]]
    arguments_match: Literal["subset", "exact"] = "subset"

    @field_validator("value")
    @classmethod
    def _calls(cls, v: list[dict[str, Any]], info: ValidationInfo) -> list[dict[str, Any]]:
        name = written_type(info)
        if not v:
            raise ValueError(f"{name} needs at least one expected call in 'value'")
        if len(v) > MAX_EXPECTED_CALLS:
            raise ValueError(f"{name} takes at most {MAX_EXPECTED_CALLS} expected calls")
        for i, call in enumerate(v):
            unknown = sorted(str(k) for k in call if k not in ("name", "arguments"))
            if unknown:
                raise ValueError(
                    f"value item {i}: unknown key {unknown[0]!r}; an expected call has "
                    "'name' and optionally 'arguments'"
                )
            tool = call.get("name")
            if not isinstance(tool, str) or not _TOOL_NAME.match(tool):
                raise ValueError(f"value item {i}: needs 'name', the tool's name")
            arguments = call.get("arguments")
            if arguments is not None and not isinstance(arguments, dict):
                raise ValueError(f"value item {i}: arguments must be an object of values")
        return v


class StepOptions(Options):
    """is-valid-tools-call: optionally only the calls of one step."""

    step: int | None = None

    @field_validator("step")
    @classmethod
    def _step(cls, v: int | None, info: ValidationInfo) -> int | None:
        _step_problem(v, written_type(info))
        return v


class NoToolCalledOptions(StepOptions):
    """no-tool-called: optionally the one tool that must not be called, and the step."""

    value: str | None = None


def _tools(name: str, summary: str, evaluate: Any, options: type[Options]) -> AssertionType:
    return AssertionType(
        name, summary, evaluate, options, subject="self", section="tools", looks_at_call=True
    )


TOOL_CALLED = _tools(
    "tool-called",
    "the model called tool value with matching arguments (optionally in step, times times)",
    trajectory.tool_called,
    ToolCalledOptions,
)
NO_TOOL_CALLED = _tools(
    "no-tool-called",
    "the model called no tool (or not the named one)",
    trajectory.no_tool_called,
    NoToolCalledOptions,
)
TOOL_SEQUENCE = _tools(
    "tool-sequence",
    "the tools called, in order, hold value (strict: are exactly value)",
    trajectory.tool_sequence,
    ToolSequenceOptions,
)
MAX_STEPS = _tools(
    "max-steps",
    "the exchange took at most value model calls",
    trajectory.max_steps,
    MaxStepsOptions,
)
TOOL_CALL_F1 = AssertionType(
    "tool-call-f1",
    "F1 of the calls made against the expected calls >= threshold (default 1)",
    trajectory.tool_call_f1,
    ToolCallF1Options,
    subject="self",
    section="tools",
    scored=True,
    looks_at_call=True,
)
IS_VALID_TOOLS_CALL = _tools(
    "is-valid-tools-call",
    "every tool call names a declared tool, arguments valid against its parameters",
    trajectory.is_valid_tools_call,
    StepOptions,
)

__all__ = [
    "IS_VALID_TOOLS_CALL",
    "MAX_STEPS",
    "NO_TOOL_CALLED",
    "TOOL_CALLED",
    "TOOL_CALL_F1",
    "TOOL_SEQUENCE",
]
