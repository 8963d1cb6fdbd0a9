"""``g-eval`` (criteria, steps, a 1-5 score) and ``factuality`` (answer vs reference).

G-Eval (Liu et al., 2023): the judge writes evaluation steps for the criteria (once per
judge and criteria, or take ``steps:`` as given), then scores the output from 1 to 5
following them; the score is normalized to [0, 1] as ``(s - 1) / 4``. With
``logprobs: true`` and a provider that returns token log-probabilities (OpenAI-compatible),
the score is the probability-weighted mean over 1..5 of the score token, as in the paper.

Factuality (as promptfoo's and OpenAI's evals): the judge compares the output with the
reference answer in ``value`` and picks one of: subset, superset, same, disagrees,
immaterial (they differ, but not in a way that matters). Every category but ``disagrees``
passes unless ``allow:`` narrows them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import field_validator, model_validator

from harness.expect.common import Context, EvalError, Outcome, as_text, compare, show
from harness.expect.declare import AssertionType
from harness.expect.grading import add_costs, ask_judge, tagged
from harness.expect.judge import judge_model, render_rubric, vars_block
from harness.expect.kinds.graded import JudgeModelOptions
from harness.spec.types import Assertion

DEFAULT_THRESHOLD = 0.5
_STEPS: dict[tuple[str, str], list[str]] = {}

STEPS_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {"steps": {"type": "array", "items": {"type": "string"}}},
    "required": ["steps"],
    "additionalProperties": False,
}
SCORE_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "reason": {"type": "string"},
        "score": {"type": "integer", "minimum": 1, "maximum": 5},
    },
    "required": ["reason", "score"],
    "additionalProperties": False,
}
STEPS_SYSTEM = (
    "You design evaluation procedures. Given CRITERIA for judging a model's output, write "
    "3 to 5 concise, concrete evaluation steps a grader can follow. Answer with a JSON "
    'object: {"steps": [...]}.'
)
SCORE_SYSTEM = (
    "You are a strict, impartial grader. Follow the EVALUATION STEPS to judge the OUTPUT "
    "against the CRITERIA, then give a score from 1 (does not meet them at all) to 5 (fully "
    'meets them). Answer with a JSON object: {"reason": one or two sentences, "score": 1-5}.'
)


class GEvalOptions(JudgeModelOptions):
    """g-eval: the criteria (or as ``value``), optional steps, and whether to use logprobs."""

    value: str | None = None
    criteria: str | None = None
    steps: list[str] | None = None
    logprobs: bool = False

    @model_validator(mode="after")
    def _has_criteria(self) -> GEvalOptions:
        if not (self.criteria or self.value):
            raise ValueError("g-eval needs 'criteria' (or the criteria as 'value')")
        if self.steps is not None and not self.steps:
            raise ValueError("g-eval 'steps' must hold at least one step (or leave it out)")
        return self


async def _steps(a: Assertion, ctx: Context, criteria: str) -> tuple[list[str], float | None]:
    """The steps, and what writing them cost now (0 when given or written before)."""
    given = a.options.get("steps")
    if given:
        return [str(s) for s in given], 0.0
    key = (judge_model(a, ctx), criteria)
    cost: float | None = 0.0
    if key not in _STEPS:
        got = await ask_judge(
            a,
            ctx,
            system=STEPS_SYSTEM,
            user=tagged("criteria", criteria),
            schema=STEPS_SCHEMA,
            schema_name="evaluation_steps",
        )
        steps = got.data.get("steps")
        if not isinstance(steps, list) or not steps or not all(isinstance(s, str) for s in steps):
            raise EvalError(f"g-eval: the judge wrote no usable steps: {show(steps)}", raw=got.raw)
        _STEPS[key] = list(steps)
        cost = got.cost_usd
    return _STEPS[key], cost


def weighted_score(raw: Any) -> float | None:
    """The probability-weighted 1-5 score from an OpenAI-shaped response's logprobs.

    Looks for the first token after ``"score"`` that is a digit 1-5 and weighs the digits
    among its top alternatives by probability; None when the response has no logprobs.
    """
    try:
        tokens = raw["choices"][0]["logprobs"]["content"]
    except (KeyError, IndexError, TypeError):
        return None
    seen_key = False
    for token in tokens or []:
        text = str(token.get("token", ""))
        if "score" in text:
            seen_key = True
            continue
        if seen_key and text.strip() in {"1", "2", "3", "4", "5"}:
            weights: dict[int, float] = {}
            for alt in token.get("top_logprobs") or [token]:
                digit = str(alt.get("token", "")).strip()
                if digit in {"1", "2", "3", "4", "5"}:
                    weights[int(digit)] = weights.get(int(digit), 0.0) + math.exp(alt["logprob"])
            total = sum(weights.values())
            return sum(d * w for d, w in weights.items()) / total if total else None
    return None


async def g_eval(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """Score the output 1-5 against the criteria by the (given or generated) steps."""
    criteria = render_rubric(str(a.options.get("criteria") or a.value), ctx)
    steps, steps_cost = await _steps(a, ctx, criteria)
    listed = "\n".join(f"{i}. {s}" for i, s in enumerate(steps, start=1))
    user = (
        f"{tagged('criteria', criteria)}{tagged('evaluation_steps', listed)}"
        f"{vars_block(ctx)}{tagged('output', as_text(subject))}"
    )
    use_logprobs = bool(a.options.get("logprobs"))
    got = await ask_judge(
        a,
        ctx,
        system=SCORE_SYSTEM,
        user=user,
        schema=SCORE_SCHEMA,
        schema_name="g_eval_score",
        params={"logprobs": True, "top_logprobs": 5} if use_logprobs else None,
    )
    score = got.data.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or not 1 <= score <= 5:
        raise EvalError(f"g-eval: the judge's score is not 1 to 5: {show(score)}", raw=got.raw)
    how = f"scored {score:g}/5"
    if use_logprobs:
        weighted = weighted_score(got.response.raw)
        if weighted is not None:
            score, how = weighted, f"scored {weighted:.2f}/5 (probability-weighted)"
        else:
            how += " (no logprobs in the answer)"
    normalized = (float(score) - 1) / 4
    need = a.threshold if a.threshold is not None else DEFAULT_THRESHOLD
    why = as_text(got.data.get("reason", "")).strip() or "(no reason given)"
    return Outcome(
        normalized >= need,
        normalized,
        f"g-eval {got.model} {how} = {compare(normalized, need)}: {show(why, 200)}",
        got.raw,
        add_costs(steps_cost, got.cost_usd),
    )


Category = Literal["subset", "superset", "same", "disagrees", "immaterial"]
CATEGORIES: dict[str, str] = {
    "subset": "the output is a subset of the reference and fully consistent with it",
    "superset": "the output is a superset of the reference and fully consistent with it",
    "same": "the output contains all the same details as the reference",
    "disagrees": "there is a disagreement between the output and the reference",
    "immaterial": "they differ, but the differences do not matter for factuality",
}
FACTUALITY_SYSTEM = (
    "You compare the factual content of an OUTPUT with a REFERENCE answer to the same "
    "question. Ignore style, grammar and punctuation. Pick exactly one category: "
    + "; ".join(f"{k}: {v}" for k, v in CATEGORIES.items())
    + '. Answer with a JSON object: {"reason": one or two sentences naming the facts that '
    'differ, "category": the category}.'
)


class FactualityOptions(JudgeModelOptions):
    """factuality: the reference answer, and the categories that pass."""

    value: str
    allow: list[Category] | None = None

    @field_validator("allow")
    @classmethod
    def _some(cls, v: list[Category] | None) -> list[Category] | None:
        if v is not None and not v:
            raise ValueError("allow must name at least one category")
        return v


async def factuality(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """Compare the output's facts with the reference answer in ``value``."""
    reference = render_rubric(str(a.value), ctx)
    user = f"{vars_block(ctx)}{tagged('reference', reference)}{tagged('output', as_text(subject))}"
    schema = {
        "type": "object",
        "properties": {
            "reason": {"type": "string"},
            "category": {"type": "string", "enum": list(CATEGORIES)},
        },
        "required": ["reason", "category"],
        "additionalProperties": False,
    }
    got = await ask_judge(
        a, ctx, system=FACTUALITY_SYSTEM, user=user, schema=schema, schema_name="factuality"
    )
    category = str(got.data.get("category", "")).strip().lower()
    if category not in CATEGORIES:
        raise EvalError(
            f"factuality: the judge answered {show(category)}, not one of {list(CATEGORIES)}",
            raw=got.raw,
        )
    allowed = a.options.get("allow") or [c for c in CATEGORIES if c != "disagrees"]
    ok = category in allowed
    why = as_text(got.data.get("reason", "")).strip() or "(no reason given)"
    head = f"judge {got.model}: {category}" + ("" if ok else f" (allowed: {', '.join(allowed)})")
    return Outcome(ok, 1.0 if ok else 0.0, f"{head}: {show(why, 200)}", got.raw, got.cost_usd)


G_EVAL = AssertionType(
    "g-eval",
    "a judge scores the output 1-5 on criteria by evaluation steps (G-Eval); >= threshold",
    g_eval,
    GEvalOptions,
    section="model-graded",
)
FACTUALITY = AssertionType(
    "factuality",
    "a judge compares the output's facts with the reference answer",
    factuality,
    FactualityOptions,
    section="model-graded",
)
