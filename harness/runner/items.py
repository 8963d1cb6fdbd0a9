"""Items: one spec x case x model x attempt, with a deterministic id."""

from __future__ import annotations

from dataclasses import dataclass

from harness.spec.types import Case, PromptTemplate, Spec


@dataclass(frozen=True, slots=True)
class Item:
    """The unit of work: run one case of one spec on one model (with one of the spec's
    prompt variants, when it has ``prompts:``), once."""

    spec: Spec
    case: Case
    model: str
    attempt: int = 1
    prompt: str | None = None

    @property
    def id(self) -> str:
        """Stable across runs and machines: ``spec::case::model::attempt``, and
        ``::<prompt>`` after it for a prompt variant."""
        base = f"{self.spec.name}::{self.case.id}::{self.model}::{self.attempt}"
        return base if self.prompt is None else f"{base}::{self.prompt}"

    @property
    def template(self) -> PromptTemplate:
        """The prompt this item sends: its variant's, or the spec's one prompt."""
        if self.prompt is not None:
            for variant in self.spec.prompts:
                if variant.name == self.prompt:
                    return variant.template
        return self.spec.prompt
