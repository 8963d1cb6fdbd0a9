"""Large binary values in recorded requests (base64 images, PDFs, audio) kept out of the YAML.

When a cassette is written, every string in a JSON request body that is base64 (or a
``data:...;base64,`` URI) of at least :data:`MIN_CHARS` characters is replaced by
``harness-blob:sha256:<hex>`` and its exact text is stored once, by that hash, in
``<cassettes>/<spec>/_blobs/<hex>.b64`` beside the spec's cassettes. Recording 1,000 image
cases therefore keeps cassettes small and diffs readable, and an image shared by cases or
models is stored once. Requests are matched by hash: the live request's large values are
hashed the same way before bodies are compared, so replay never reads the blobs.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from harness.cassettes.atomic import write_atomic

MIN_CHARS = 1024
REF_PREFIX = "harness-blob:sha256:"
BLOB_DIR = "_blobs"
_BASE64 = re.compile(r"(?:data:[\w.+-]+/[\w.+-]+;base64,)?[A-Za-z0-9+/_-]+={0,2}")


def is_blob(value: str) -> bool:
    """A string long and base64-like enough to be stored apart."""
    return len(value) >= MIN_CHARS and _BASE64.fullmatch(value) is not None


def ref(value: str) -> str:
    """The reference that stands for ``value`` in a cassette."""
    return REF_PREFIX + hashlib.sha256(value.encode("utf-8")).hexdigest()


def collapse(value: Any) -> Any:
    """``value`` with every blob-sized base64 string replaced by its reference (for
    matching a live request against a recorded one)."""
    if isinstance(value, str):
        return ref(value) if is_blob(value) else value
    if isinstance(value, list):
        return [collapse(v) for v in value]
    if isinstance(value, dict):
        return {k: collapse(v) for k, v in value.items()}
    return value


def blob_dir(cassette_path: Path) -> Path:
    """``<cassettes>/<spec>/_blobs`` for ``<cassettes>/<spec>/<case>/<provider>/<model>.yaml``."""
    return cassette_path.parent.parent.parent / BLOB_DIR


def externalize(value: Any, folder: Path) -> Any:
    """:func:`collapse`, writing each replaced string to ``folder/<hex>.b64`` once."""
    if isinstance(value, str):
        if not is_blob(value):
            return value
        reference = ref(value)
        _write_once(folder / f"{reference[len(REF_PREFIX) :]}.b64", value)
        return reference
    if isinstance(value, list):
        return [externalize(v, folder) for v in value]
    if isinstance(value, dict):
        return {k: externalize(v, folder) for k, v in value.items()}
    return value


def _write_once(path: Path, text: str) -> None:
    if path.exists():  # content-addressed: an existing file already holds this text
        return
    write_atomic(path, text)


def read_blob(reference: str, folder: Path) -> str | None:
    """The text a reference stands for, or None when its file is missing."""
    if not reference.startswith(REF_PREFIX):
        return None
    path = folder / f"{reference[len(REF_PREFIX) :]}.b64"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None
