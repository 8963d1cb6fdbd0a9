"""The RAG family, graded by the judge on a case's ``context`` (and ``query``) variables.

- ``faithfulness``: every claim of the output is supported by the context; score =
  supported claims / claims (an output with no factual claim scores 1).
- ``answer-relevance``: every statement of the output addresses the question; score =
  relevant statements / statements.
- ``context-precision``: the passages useful for reaching the reference answer (``value``)
  rank first; score = average precision over the useful passages (as ragas).
- ``context-recall``: every statement of the reference answer (``value``) can be
  attributed to the context; score = attributed / statements.

The context is the case variable ``context`` (``context_var:`` to pick another): a list of
passages, or a text whose blank lines separate passages. The question is the variable
``query`` (``query_var:``), else the rendered prompt. Each passes when its score reaches
``threshold`` (default 0.5); the reason lists the judge's verdict on each failing item.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from harness.expect.common import Context, EvalError, Outcome, as_text, compare, show
from harness.expect.declare import AssertionType
from harness.expect.grading import (
    Graded,
    ask_judge,
    case_var,
    chunks,
    numbered,
    question,
    tagged,
)
from harness.expect.kinds.graded import JudgeModelOptions
from harness.spec.types import Assertion

DEFAULT_THRESHOLD = 0.5


class RagOptions(JudgeModelOptions):
    """Which case variables hold the context and the question."""

    context_var: str | None = None
    query_var: str | None = None


class ReferenceRagOptions(RagOptions):
    """The reference answer is ``value``."""

    value: str


def _items_schema(item: str, verdict: Mapping[str, Any]) -> Mapping[str, Any]:
    return {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        item: {"type": "string"},
                        "verdict": verdict,
                        "reason": {"type": "string"},
                    },
                    "required": [item, "verdict", "reason"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["items"],
        "additionalProperties": False,
    }


_YES_NO: Mapping[str, Any] = {"type": "string", "enum": ["yes", "no"]}


async def _judge_items(
    a: Assertion, ctx: Context, system: str, user: str, item: str, name: str
) -> tuple[list[Mapping[str, Any]], Graded]:
    got = await ask_judge(
        a, ctx, system=system, user=user, schema=_items_schema(item, _YES_NO), schema_name=name
    )
    items = got.data.get("items")
    if not isinstance(items, list) or not all(
        isinstance(x, dict) and str(x.get("verdict", "")).lower() in ("yes", "no") for x in items
    ):
        raise EvalError(f"{a.type}: the judge's items are not yes/no verdicts", raw=got.raw)
    return items, got


def _yes(x: Mapping[str, Any]) -> bool:
    return str(x.get("verdict", "")).lower() == "yes"


def _outcome(
    a: Assertion,
    score: float,
    head: str,
    failing: list[Mapping[str, Any]],
    item: str,
    got: Graded,
) -> Outcome:
    need = a.threshold if a.threshold is not None else DEFAULT_THRESHOLD
    tail = "; ".join(
        f"{show(as_text(x.get(item, '')), 60)}: {show(as_text(x.get('reason', '')), 80)}"
        for x in failing[:3]
    )
    more = f"; {len(failing) - 3} more" if len(failing) > 3 else ""
    reason = f"{a.type} {compare(score, need)}: {head}" + (f"; {tail}{more}" if tail else "")
    return Outcome(score >= need, score, reason, got.raw, got.cost_usd)


def _share(
    a: Assertion, items: list[Mapping[str, Any]], item: str, what: str, got: Graded
) -> Outcome:
    """Score = the share of items the judge said yes to; the reason names the others."""
    bad = [x for x in items if not _yes(x)]
    head = f"{len(items) - len(bad)} of {len(items)} {what}"
    return _outcome(a, (len(items) - len(bad)) / len(items), head, bad, item, got)


FAITHFULNESS_SYSTEM = (
    "You check an OUTPUT against a CONTEXT. List every factual claim the OUTPUT makes, "
    "one per item, and for each answer 'yes' if the CONTEXT supports it or 'no' if the "
    "CONTEXT does not say so or contradicts it, with a one-sentence reason. Answer with a "
    'JSON object: {"items": [{"claim": ..., "verdict": "yes"|"no", "reason": ...}]}.'
)


async def faithfulness(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """Every claim of the output is supported by the context."""
    context = chunks(case_var(a, ctx, "context_var", "context"))
    user = f"{tagged('context', numbered(context))}{tagged('output', as_text(subject))}"
    items, got = await _judge_items(a, ctx, FAITHFULNESS_SYSTEM, user, "claim", "claims")
    if not items:
        why = f"faithfulness: judge {got.model} found no factual claim"
        return Outcome(True, 1.0, why, got.raw, got.cost_usd)
    return _share(a, items, "claim", "claims supported by the context", got)


RELEVANCE_SYSTEM = (
    "You check whether an OUTPUT answers a QUESTION. Split the OUTPUT into its statements, "
    "one per item, and for each answer 'yes' if it helps answer the QUESTION or 'no' if it "
    "is off-topic or filler, with a one-sentence reason. Answer with a JSON object: "
    '{"items": [{"statement": ..., "verdict": "yes"|"no", "reason": ...}]}.'
)


async def answer_relevance(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """Every statement of the output addresses the question."""
    user = f"{tagged('question', question(a, ctx))}{tagged('output', as_text(subject))}"
    items, got = await _judge_items(a, ctx, RELEVANCE_SYSTEM, user, "statement", "statements")
    if not items:
        why = f"answer-relevance: judge {got.model} found no statement"
        return Outcome(False, 0.0, why, got.raw, got.cost_usd)
    return _share(a, items, "statement", "statements address the question", got)


PRECISION_SYSTEM = (
    "You rate retrieved CONTEXT passages for a QUESTION whose correct answer is the "
    "REFERENCE. For each passage, in the order given, answer 'yes' if it is useful for "
    "arriving at the REFERENCE answer, else 'no', with a one-sentence reason. Answer with a "
    'JSON object with one item per passage: {"items": [{"passage": the passage\'s first '
    'words, "verdict": "yes"|"no", "reason": ...}]}.'
)


async def context_precision(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """Useful passages rank first: average precision over the useful ones."""
    context = chunks(case_var(a, ctx, "context_var", "context"))
    user = (
        f"{tagged('question', question(a, ctx))}{tagged('reference', as_text(a.value))}"
        f"{tagged('context', numbered(context))}"
    )
    items, got = await _judge_items(a, ctx, PRECISION_SYSTEM, user, "passage", "passages")
    if len(items) != len(context):
        raise EvalError(
            f"context-precision: the judge rated {len(items)} passages, the context has "
            f"{len(context)}",
            raw=got.raw,
        )
    useful = [_yes(x) for x in items]
    score = average_precision(useful)
    bad = [x for x in items if not _yes(x)]
    ranks = ", ".join(str(i) for i, u in enumerate(useful, start=1) if u) or "none"
    head = f"useful passages at ranks {ranks} of {len(items)}"
    return _outcome(a, score, head, bad, "passage", got)


def average_precision(useful: list[bool]) -> float:
    """Mean of precision@k over the ranks k that hold a useful passage (0 if none)."""
    hits, total = 0, 0.0
    for k, ok in enumerate(useful, start=1):
        if ok:
            hits += 1
            total += hits / k
    return total / hits if hits else 0.0


RECALL_SYSTEM = (
    "You check whether a CONTEXT holds what a REFERENCE answer says. Split the REFERENCE "
    "into its statements, one per item, and for each answer 'yes' if it can be attributed "
    "to the CONTEXT, else 'no', with a one-sentence reason. Answer with a JSON object: "
    '{"items": [{"statement": ..., "verdict": "yes"|"no", "reason": ...}]}.'
)


async def context_recall(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """Every statement of the reference answer can be found in the context."""
    context = chunks(case_var(a, ctx, "context_var", "context"))
    user = f"{tagged('reference', as_text(a.value))}{tagged('context', numbered(context))}"
    items, got = await _judge_items(a, ctx, RECALL_SYSTEM, user, "statement", "recall")
    if not items:
        raise EvalError(
            f"context-recall: judge {got.model} found no statement in the reference",
            raw=got.raw,
        )
    return _share(a, items, "statement", "reference statements found in the context", got)


def _rag(
    name: str, summary: str, fn: Callable[..., Any], options: type[RagOptions]
) -> AssertionType:
    return AssertionType(name, summary, fn, options, section="model-graded")


FAITHFULNESS = _rag(
    "faithfulness",
    "share of the output's claims the context supports >= threshold",
    faithfulness,
    RagOptions,
)
ANSWER_RELEVANCE = _rag(
    "answer-relevance",
    "share of the output's statements that address the question >= threshold",
    answer_relevance,
    RagOptions,
)
CONTEXT_PRECISION = _rag(
    "context-precision",
    "useful context passages rank first (average precision) >= threshold",
    context_precision,
    ReferenceRagOptions,
)
CONTEXT_RECALL = _rag(
    "context-recall",
    "share of the reference's statements found in the context >= threshold",
    context_recall,
    ReferenceRagOptions,
)
