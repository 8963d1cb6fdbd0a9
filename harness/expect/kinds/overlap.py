"""Reference-overlap types: rouge-n, rouge-l, bleu, f1, exact-match, levenshtein.

``value`` is the reference answer, or a list of them (the best match counts). The score is
the metric itself; the type passes when it reaches ``threshold`` (levenshtein: when the
edit distance is at most ``threshold``). The numbers are those of rouge-score, sacrebleu
and the SQuAD script (see :mod:`harness.expect.metrics.overlap`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import field_validator
from rapidfuzz.distance import Levenshtein

from harness.expect.common import Context, Outcome, as_text, compare, show
from harness.expect.declare import AssertionType, Options
from harness.expect.metrics import overlap
from harness.expect.text import normalize
from harness.spec.types import Assertion

Variant = Literal["precision", "recall", "f"]
DEFAULT_THRESHOLDS = {"rouge-n": 0.75, "rouge-l": 0.75, "bleu": 0.5, "f1": 0.5}
DEFAULT_MAX_DISTANCE = 5


class ReferenceOptions(Options):
    """The reference answer, or several (the best match counts)."""

    value: str | list[str]

    @field_validator("value")
    @classmethod
    def _some(cls, v: str | list[str]) -> str | list[str]:
        if isinstance(v, list) and not v:
            raise ValueError("needs at least one reference in 'value'")
        return v


class RougeLOptions(ReferenceOptions):
    """rouge-l: which of precision, recall and F to score."""

    variant: Variant = "f"


class RougeNOptions(RougeLOptions):
    """rouge-n: the n-gram size too."""

    n: int = 1

    @field_validator("n")
    @classmethod
    def _size(cls, v: int) -> int:
        if not 1 <= v <= 9:
            raise ValueError(f"n must be from 1 to 9, got {v}")
        return v


class LevenshteinOptions(Options):
    """levenshtein: the reference and the largest distance that passes."""

    value: str
    threshold: int | float | None = None

    @field_validator("threshold")
    @classmethod
    def _non_negative(cls, v: float | None) -> float | None:
        if v is not None and v < 0:
            raise ValueError("levenshtein's threshold is an edit distance: zero or more")
        return v


def _sides(a: Assertion, subject: Any) -> tuple[str, list[str]]:
    refs = a.value if isinstance(a.value, list) else [a.value]
    return normalize(as_text(subject), a.normalize), [normalize(str(r), a.normalize) for r in refs]


def _scored(a: Assertion, subject: Any, name: str, metric: Callable[[str, str], float]) -> Outcome:
    got, refs = _sides(a, subject)
    score, best = max((metric(got, ref), ref) for ref in refs)
    need = a.threshold if a.threshold is not None else DEFAULT_THRESHOLDS[a.type]
    against = f"{show(best, 40)}" + (f" (best of {len(refs)})" if len(refs) > 1 else "")
    return Outcome(score >= need, score, f"{name} {compare(score, need)} against {against}")


def _variant(a: Assertion) -> Variant:
    variant: Variant = a.options.get("variant", "f")
    return variant


def rouge_n(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """ROUGE-N (``n``, default 1) of the output against the reference."""
    n, variant = int(a.options.get("n", 1)), _variant(a)
    return _scored(
        a, subject, f"rouge-{n} {variant}", lambda p, r: getattr(overlap.rouge_n(p, r, n), variant)
    )


def rouge_l(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """ROUGE-L (longest common subsequence) of the output against the reference."""
    variant = _variant(a)
    return _scored(
        a, subject, f"rouge-l {variant}", lambda p, r: getattr(overlap.rouge_l(p, r), variant)
    )


def bleu(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """Sentence BLEU against all the references at once (as sacrebleu)."""
    got, refs = _sides(a, subject)
    score = overlap.bleu(got, refs)
    need = a.threshold if a.threshold is not None else DEFAULT_THRESHOLDS["bleu"]
    against = show(refs[0], 40) if len(refs) == 1 else f"{len(refs)} references"
    return Outcome(score >= need, score, f"bleu {compare(score, need)} against {against}")


def f1(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """SQuAD token F1 of the output against the reference."""
    return _scored(a, subject, "f1", overlap.squad_f1)


def exact_match(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """Equal to a reference after SQuAD normalization."""
    got, refs = _sides(a, subject)
    hit = next((r for r in refs if overlap.exact_match(got, r)), None)
    if hit is not None:
        return Outcome.check(True, f"matches {show(hit, 40)} after normalization")
    shown = overlap.squad_normalize(got)
    listed = ", ".join(show(r, 30) for r in refs[:5])
    return Outcome.check(False, f"normalized {show(shown, 40)} matches none of [{listed}]")


def levenshtein(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """Raw edit distance at most ``threshold`` (default 5), as promptfoo's levenshtein."""
    got, (want,) = _sides(a, subject)
    distance = int(Levenshtein.distance(got, want))
    limit = a.threshold if a.threshold is not None else DEFAULT_MAX_DISTANCE
    score = 1.0 - distance / max(len(got), len(want), 1)
    word = "<=" if distance <= limit else ">"
    return Outcome(
        distance <= limit,
        score,
        f"edit distance {distance} {word} {limit:g} to {show(want, 40)}; got {show(got, 40)}",
    )


def _overlap(name: str, summary: str, fn: Any, options: type[Options]) -> AssertionType:
    return AssertionType(name, summary, fn, options, section="overlap")


ROUGE_N = _overlap(
    "rouge-n", "ROUGE-N (n-gram overlap) >= threshold (default 0.75)", rouge_n, RougeNOptions
)
ROUGE_L = _overlap(
    "rouge-l",
    "ROUGE-L (longest common subsequence) >= threshold (default 0.75)",
    rouge_l,
    RougeLOptions,
)
BLEU = _overlap("bleu", "sentence BLEU >= threshold (default 0.5)", bleu, ReferenceOptions)
F1 = _overlap("f1", "SQuAD token F1 >= threshold (default 0.5)", f1, ReferenceOptions)
EXACT_MATCH = _overlap(
    "exact-match", "equal after SQuAD normalization", exact_match, ReferenceOptions
)
LEVENSHTEIN = _overlap(
    "levenshtein",
    "edit distance <= threshold (default 5)",
    levenshtein,
    LevenshteinOptions,
)
