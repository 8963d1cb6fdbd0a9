"""Items: one spec x case x model x attempt, with a deterministic id."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.cassettes.key import CassetteKey
from harness.spec.types import Case, Spec


@dataclass(frozen=True, slots=True)
class Item:
    """The unit of work: run one case of one spec on one model, once.

    ``id`` is stable across runs and machines: ``spec::case::model::attempt``. It is
    computed once, when the item is made: the pytest plugin and the store look it up
    for every item, many times.
    """

    spec: Spec
    case: Case
    model: str
    attempt: int = 1
    id: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "id", f"{self.spec.name}::{self.case.id}::{self.model}::{self.attempt}"
        )

    @property
    def cassette_key(self) -> CassetteKey:
        """Which cassette this item's calls go to."""
        return CassetteKey(self.spec.name, self.case.id, self.model, self.attempt)
