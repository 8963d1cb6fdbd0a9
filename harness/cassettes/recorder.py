"""Cassette recording and replay (interface; the vcrpy-backed implementation replaces this).

The runner creates one ``Recorder`` per run, wraps each driver's transport with
``recorder.wrap(transport)`` and runs every item inside ``with recorder.scope(item):``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import httpx

from harness.runner.items import Item

RecordMode = Literal["none", "once", "new_episodes", "all", "off"]


class Recorder:
    """Routes each item's HTTP calls to its own cassette under full concurrency."""

    def __init__(self, root: Path, mode: RecordMode) -> None:
        self.root = root
        self.mode = mode

    def wrap(self, transport: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        """The transport drivers should use (records/replays per the mode)."""
        return transport

    def cassette_path(self, item: Item) -> Path:
        """Where an item's cassette lives."""
        provider, _, model = item.model.partition(":")
        return self.root / item.spec.name / item.case.id / provider / f"{model}.yaml"

    @contextlib.contextmanager
    def scope(self, item: Item) -> Iterator[None]:
        """Route calls made inside this block (in this task) to ``item``'s cassette."""
        yield

    def close(self) -> None:
        """Write every cassette that has new interactions."""
