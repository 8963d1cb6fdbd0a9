"""Declarations of the types that read the model call: cost and speed, finish reason,
refusal (evaluators in :mod:`harness.expect.behaviour`; tool calls are in
:mod:`harness.expect.kinds.tools`)."""

from __future__ import annotations

from pydantic import ValidationInfo, field_validator

from harness.expect import behaviour
from harness.expect.declare import AssertionType, Evaluator, Options, written_type


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
