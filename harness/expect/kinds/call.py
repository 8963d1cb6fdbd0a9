"""Declarations of the types that read the model call: cost and speed, finish reason,
refusal, tool calls (evaluators in :mod:`harness.expect.behaviour`)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationInfo, field_validator

from harness.expect import behaviour
from harness.expect.declare import AssertionType, Evaluator, Options, written_type
from harness.expect.kinds.checks import raise_schema_problems


class MaxOptions(Options):
    """A limit: zero or more."""

    value: int | float

    @field_validator("value")
    @classmethod
    def _non_negative(cls, v: float, info: ValidationInfo) -> float:
        if v < 0:
            raise ValueError(f"{written_type(info)} needs a value of zero or more")
        return v


class FinishReasonOptions(Options):
    """finish-reason: the expected reason."""

    value: str


class ToolCalledOptions(Options):
    """tool-called: the tool's name, and what its arguments hold."""

    value: str
    arguments: dict[str, Any] | None = None
    arguments_schema: dict[str, Any] | None = None

    @field_validator("arguments_schema")
    @classmethod
    def _valid(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        raise_schema_problems(v)
        return v


class NoToolCalledOptions(Options):
    """no-tool-called: optionally the one tool that must not be called."""

    value: str | None = None


def _limit(name: str, summary: str, evaluate: Evaluator) -> AssertionType:
    return AssertionType(
        name,
        summary,
        evaluate,
        MaxOptions,
        subject="self",
        section="cost and speed",
        looks_at_call=True,
    )


MAX_LATENCY_MS = _limit("max-latency-ms", "latency at most value ms", behaviour.max_latency_ms)
MAX_TTFT_MS = _limit("max-ttft-ms", "time to first token at most value ms", behaviour.max_ttft_ms)
MAX_COST_USD = _limit("max-cost-usd", "call cost at most value USD", behaviour.max_cost_usd)
MAX_OUTPUT_TOKENS = _limit(
    "max-output-tokens", "output tokens at most value", behaviour.max_output_tokens
)
FINISH_REASON = AssertionType(
    "finish-reason",
    "finish reason equals value",
    behaviour.finish_reason,
    FinishReasonOptions,
    subject="self",
    section="behaviour",
    looks_at_call=True,
)
IS_REFUSAL = AssertionType(
    "is-refusal", "the model refused", behaviour.is_refusal, section="behaviour"
)
TOOL_CALLED = AssertionType(
    "tool-called",
    "the model called the tool with matching arguments",
    behaviour.tool_called,
    ToolCalledOptions,
    subject="self",
    section="tools",
    looks_at_call=True,
)
NO_TOOL_CALLED = AssertionType(
    "no-tool-called",
    "the model called no tool (or not the named one)",
    behaviour.no_tool_called,
    NoToolCalledOptions,
    subject="self",
    section="tools",
    looks_at_call=True,
)
