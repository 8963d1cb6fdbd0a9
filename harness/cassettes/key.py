"""``CassetteKey``: which cassette a call belongs to, and where that cassette lives.

The cassettes stage is addressed by its own key, not by the runner's item, so anything
that makes model calls (a spec item, a tool loop's steps, a prompt variant, a remote
worker) names its cassette the same way without importing the runner.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.cassettes.paths import cassette_path


@dataclass(frozen=True, slots=True)
class CassetteKey:
    """One spec x case (x prompt variant) x model x attempt.

    Example:
        >>> CassetteKey("qa", "capital", "openai:gpt-4o").path(Path("c")).as_posix()
        'c/qa/capital/openai/gpt-4o.yaml'
        >>> CassetteKey("qa", "capital", "openai:gpt-4o", 2, "terse").path(Path("c")).as_posix()
        'c/qa/capital/openai/gpt-4o.variant-terse.attempt-2.yaml'
    """

    spec: str
    case: str
    model: str
    attempt: int = 1
    variant: str | None = None

    @property
    def id(self) -> str:
        """``spec::case::model::attempt`` (``spec::case::model::attempt::variant`` with one)."""
        base = f"{self.spec}::{self.case}::{self.model}::{self.attempt}"
        return base if self.variant is None else f"{base}::{self.variant}"

    def path(self, root: Path) -> Path:
        """``<root>/<spec>/<case>/<provider>/<model>[.variant-V][.attempt-N].yaml``: the
        layout every committed cassette already uses (no variant)."""
        return cassette_path(root, self.spec, self.case, self.model, self.attempt, self.variant)


__all__ = ["CassetteKey"]
