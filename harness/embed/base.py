"""What every embedder shares: the call's shape, the default id, cosine similarity."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence

EmbedCall = Callable[[str, Sequence[str]], Awaitable[list[list[float]]]]
"""How assertions embed texts: ``await embed("openai:text-embedding-3-small", texts)``.
The runner supplies one that shares its drivers, limits and cassettes."""

DEFAULT_EMBEDDER = "local:paraphrase-minilm-l3"
"""The embedder used when neither the assertion, the spec nor harness.yaml names one."""


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors (0.0 when either is all zeros).

    Raises:
        ValueError: the vectors differ in length (two different embedders).
    """
    if len(a) != len(b):
        raise ValueError(f"vectors of different lengths ({len(a)} and {len(b)})")
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    return dot / norm if norm else 0.0
