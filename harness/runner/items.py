"""Items: one spec x case x model (x prompt variant) x attempt, with a deterministic id."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.cassettes.key import CassetteKey
from harness.spec.types import Case, PromptTemplate, Spec


@dataclass(frozen=True, slots=True)
class Item:
    """The unit of work: run one case of one spec on one model (with one of the spec's
    prompt variants, when it has ``prompts:``), once.

    ``id`` is stable across runs and machines: ``spec::case::model::attempt``, and
    ``::<prompt>`` after it for a prompt variant. It is computed once, when the item is
    made: the pytest plugin and the store look it up for every item, many times.
    """

    spec: Spec
    case: Case
    model: str
    attempt: int = 1
    prompt: str | None = None
    id: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", self.cassette_key.id)

    @property
    def cassette_key(self) -> CassetteKey:
        """Which cassette this item's calls go to."""
        return CassetteKey(self.spec.name, self.case.id, self.model, self.attempt, self.prompt)

    @property
    def template(self) -> PromptTemplate:
        """The prompt this item sends: its variant's, or the spec's one prompt."""
        if self.prompt is not None:
            for variant in self.spec.prompts:
                if variant.name == self.prompt:
                    return variant.template
        return self.spec.prompt
