"""The only place that touches vcrpy internals; ``tests/cassettes/test_vcr_adapter.py``
fails when a vcrpy release changes any of them.

vcrpy offers no public way to: write a cassette on demand (``Cassette._save``, normally
called when its context manager exits, which per-item scopes under concurrency do not
use); tell the interactions loaded from disk from those appended this run
(``Cassette._loaded_count``); or subclass its safe YAML loader
(``vcr.serializers.yamlserializer._CassetteLoader``).
"""

from __future__ import annotations

from typing import Any

from vcr.serializers.yamlserializer import _CassetteLoader as CassetteLoader

__all__ = ["CassetteLoader", "loaded_count", "save_cassette"]


def loaded_count(cassette: Any) -> int:
    """How many of ``cassette.data``'s interactions came from the file (the rest are new)."""
    count: int = cassette._loaded_count
    return count


def save_cassette(cassette: Any) -> None:
    """Write ``cassette`` through its persister now (vcrpy writes only when it is dirty)."""
    cassette._save()
