"""``semantic-similar``: the output means the same as the reference, by embeddings.

The output and each reference in ``value`` are embedded; the score is the best cosine
similarity, and the type passes when it reaches ``threshold`` (default 0.75, as
promptfoo's ``similar``). The embedder is the assertion's ``embedder:``, else the spec's,
else ``defaults.embedder`` in harness.yaml, else the local one
(``local:paraphrase-minilm-l3``, offline, ``pip install 'harness[embed]'``).
"""

from __future__ import annotations

from typing import Any

from pydantic import field_validator

from harness.embed.base import DEFAULT_EMBEDDER, cosine
from harness.embed.router import LOCAL_ONLY
from harness.errors import HarnessError
from harness.expect.common import Context, EvalError, Outcome, as_text, compare, show
from harness.expect.declare import AssertionType
from harness.expect.kinds.overlap import ReferenceOptions
from harness.expect.text import normalize
from harness.spec.types import Assertion

DEFAULT_THRESHOLD = 0.75


class SemanticOptions(ReferenceOptions):
    """The reference(s) in ``value`` and optionally the embedder."""

    embedder: str | None = None

    @field_validator("embedder")
    @classmethod
    def _provider_model(cls, v: str | None) -> str | None:
        if v is not None and ":" not in v:
            raise ValueError(
                f"embedder {v!r} must be 'provider:model', e.g. 'openai:text-embedding-3-small' "
                f"or {DEFAULT_EMBEDDER!r}"
            )
        return v


def embedder_of(a: Assertion, ctx: Context) -> str:
    """The embedder id for this assertion: its own, the spec's, the project's, the local one."""
    return str(
        a.options.get("embedder")
        or getattr(ctx.spec, "embedder", None)
        or ctx.embedder
        or DEFAULT_EMBEDDER
    )


async def semantic_similar(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The best cosine similarity of the output to a reference reaches the threshold."""
    refs = a.value if isinstance(a.value, list) else [a.value]
    got = normalize(as_text(subject), a.normalize)
    wanted = [normalize(str(r), a.normalize) for r in refs]
    embedder = embedder_of(a, ctx)
    embed = ctx.embed or LOCAL_ONLY
    try:
        vectors = await embed(embedder, [got, *wanted])
    except HarnessError as exc:  # an embedder that cannot run is an error, never a pass
        raise EvalError(f"semantic-similar: embedder {embedder}: {exc}") from None
    score, best = max((cosine(vectors[0], v), r) for v, r in zip(vectors[1:], wanted, strict=True))
    need = a.threshold if a.threshold is not None else DEFAULT_THRESHOLD
    more = f" (best of {len(wanted)})" if len(wanted) > 1 else ""
    reason = f"cosine {compare(score, need)} to {show(best, 40)}{more} ({embedder})"
    return Outcome(score >= need, max(score, 0.0), f"{reason}; got {show(got, 40)}")


SEMANTIC_SIMILAR = AssertionType(
    "semantic-similar",
    "cosine similarity of embeddings to value >= threshold (default 0.75)",
    semantic_similar,
    SemanticOptions,
    section="semantic",
)
