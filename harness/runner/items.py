"""Items: one spec x case x model x attempt, with a deterministic id."""

from __future__ import annotations

from dataclasses import dataclass

from harness.spec.types import Case, Spec


@dataclass(frozen=True, slots=True)
class Item:
    """The unit of work: run one case of one spec on one model, once."""

    spec: Spec
    case: Case
    model: str
    attempt: int = 1

    @property
    def id(self) -> str:
        """Stable across runs and machines: ``spec::case::model::attempt``."""
        return f"{self.spec.name}::{self.case.id}::{self.model}::{self.attempt}"
