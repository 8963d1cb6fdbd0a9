"""``CassetteKey``: which cassette a call belongs to, and where that cassette lives.

The cassettes stage is addressed by its own key, not by the runner's item, so anything
that makes model calls (a spec item, a tool loop's steps, a prompt variant, a remote
worker) names its cassette the same way without importing the runner.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.cassettes.paths import cassette_path, safe_name


@dataclass(frozen=True, slots=True)
class CassetteKey:
    """One spec x case (x prompt variant) x model x attempt.

    Example:
        >>> CassetteKey("qa", "capital", "openai:gpt-4o").path(Path("c")).as_posix()
        'c/qa/capital/openai/gpt-4o.yaml'
        >>> CassetteKey("qa", "capital", "openai:gpt-4o", 2, "terse").path(Path("c")).as_posix()
        'c/qa/capital%2Bterse/openai/gpt-4o.attempt-2.yaml'
    """

    spec: str
    case: str
    model: str
    attempt: int = 1
    variant: str | None = None

    @property
    def id(self) -> str:
        """``spec::case::model::attempt`` (the variant joins the case as ``case+variant``)."""
        return f"{self.spec}::{self._case}::{self.model}::{self.attempt}"

    @property
    def _case(self) -> str:
        return self.case if self.variant is None else f"{self.case}+{self.variant}"

    def path(self, root: Path) -> Path:
        """``<root>/<spec>/<case>/<provider>/<model>[.attempt-N].yaml``: the layout every
        committed cassette already uses (a variant is kept apart as ``<case>+<variant>``)."""
        return cassette_path(root, self.spec, self._case, self.model, self.attempt)


__all__ = ["CassetteKey", "safe_name"]
