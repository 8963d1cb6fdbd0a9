"""Cassette paths: ``<root>/<spec>/<case>/<provider>/<model>[.attempt-N].yaml``, safe on every OS.

Names stay readable: characters that some OS refuses (``<>:"/\\|?*``, control
characters, a trailing dot or space) and ``%`` itself are percent-encoded, so two
different names never share a file; Windows device names (CON, NUL, COM1, ...)
get a leading underscore.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from harness.cassettes.constants import SUFFIX

__all__ = ["SUFFIX", "cassette_path", "safe_name"]
_UNSAFE = re.compile(r'[<>:"/\\|?*%\x00-\x1f\x7f]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)
_MAX_LEN = 100  # leaves room for the folders under Windows' 260-character limit


def safe_name(name: str) -> str:
    """One path component that every OS accepts and that keeps ``name`` readable.

    Example:
        >>> safe_name("llama3.1:8b")
        'llama3.1%3A8b'
        >>> safe_name("CON")
        '_CON'
    """
    out = _UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", name)
    if not out:
        return "_"
    if out in (".", ".."):
        return out.replace(".", "%2E")
    stripped = out.rstrip(". ")
    if stripped != out:  # Windows drops trailing dots and spaces silently
        tail = out[len(stripped) :]
        out = stripped + "".join(f"%{ord(c):02X}" for c in tail)
    if _RESERVED.match(out):
        out = "_" + out
    if len(out) > _MAX_LEN:
        digest = hashlib.sha256(name.encode()).hexdigest()[:10]
        out = f"{out[: _MAX_LEN - 11]}-{digest}"
    return out


def cassette_path(
    root: Path, spec: str, case: str, model: str, attempt: int = 1, variant: str | None = None
) -> Path:
    """Where the cassette for one spec x case x model (x prompt variant x attempt) lives.

    ``model`` is the full ``provider:model`` id; a model without a provider prefix
    goes under ``_``. A prompt variant adds ``.variant-<name>`` to the file name, so
    cassettes of specs without variants keep their paths.

    Example:
        >>> cassette_path(Path("cassettes"), "qa", "capital", "openai:gpt-4o").as_posix()
        'cassettes/qa/capital/openai/gpt-4o.yaml'
        >>> cassette_path(Path("c"), "qa", "capital", "openai:gpt-4o", 2, "terse").as_posix()
        'c/qa/capital/openai/gpt-4o.variant-terse.attempt-2.yaml'
    """
    provider, sep, name = model.partition(":")
    if not sep:
        provider, name = "_", model
    stem = safe_name(name)
    if variant is not None:
        stem = f"{stem}.variant-{safe_name(variant)}"
    if attempt > 1:
        stem = f"{stem}.attempt-{attempt}"
    return root / safe_name(spec) / safe_name(case) / safe_name(provider) / f"{stem}{SUFFIX}"
