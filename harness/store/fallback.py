"""Where results go when the store cannot take them: a JSON-lines file next to it.

A finished item's result must never be lost to a store error (a damaged page, a full
disk): the writer appends what it could not store here and the run says where.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from harness.store.records import ResultRecord


@dataclasses.dataclass(slots=True)
class FallbackFile:
    """``<store>.unsaved.jsonl``: one result per line, as the store would hold it."""

    path: Path
    count: int = 0
    error: str = ""

    @classmethod
    def next_to(cls, store_path: Path | None) -> FallbackFile:
        """The fallback file of a store (in the working directory for an in-memory store)."""
        if store_path is None:
            return cls(Path("harness.unsaved.jsonl"))
        return cls(store_path.with_name(store_path.name + ".unsaved.jsonl"))

    def write(self, records: Sequence[ResultRecord], error: BaseException) -> None:
        """Append ``records``; ``error`` is why the store did not take them."""
        self.error = self.error or f"{type(error).__name__}: {error}"
        with self.path.open("a", encoding="utf-8") as f:
            for record in records:
                f.write(json.dumps(dataclasses.asdict(record), default=str) + "\n")
        self.count += len(records)
