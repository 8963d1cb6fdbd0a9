"""Runtime spec objects: plain frozen dataclasses built from validated spec files."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.errors import SpecProblem
    from harness.tools.results import ResultDef


@dataclass(frozen=True, slots=True)
class Assertion:
    """One expectation, ready to evaluate.

    ``type`` is without the ``not-`` prefix; ``negate`` says whether it had one.
    ``options`` holds the type-specific keys (tolerance, min, max, rubric, ...).
    """

    type: str
    value: Any = None
    field: str | None = None
    weight: float = 1.0
    threshold: float | None = None
    negate: bool = False
    normalize: tuple[str, ...] = ()
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    transform: tuple[str, ...] = ()

    @property
    def metric(self) -> str | None:
        """The metric this assertion's score counts toward (``metric: helpfulness``), if any."""
        name = self.options.get("metric")
        return str(name) if name is not None else None

    @property
    def label(self) -> str:
        """The type as the user wrote it, e.g. ``not-contains``."""
        return f"not-{self.type}" if self.negate else self.type


@dataclass(frozen=True, slots=True)
class PartTemplate:
    """One part of a message: its kind and its Jinja source (for image, file and audio the
    source renders to a path relative to the spec, a URL or a data URI)."""

    kind: str
    source: str


MessageTemplate = str | tuple[PartTemplate, ...]


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """A prompt's message templates as (role, Jinja2 source) pairs, in order (a message
    with parts has a tuple of :class:`PartTemplate` instead of one source).

    ``base_dir`` (the spec's folder) and ``root`` (the project's) are where ``{% include %}``
    and ``{% import %}`` look; None for templates that include nothing.
    """

    messages: tuple[tuple[str, MessageTemplate], ...]
    base_dir: str | None = None
    root: str | None = None


@dataclass(frozen=True, slots=True)
class PromptVariant:
    """One of a spec's ``prompts:``: its stable name and its templates."""

    name: str
    template: PromptTemplate


@dataclass(frozen=True, slots=True)
class ToolDef:
    """A tool declared by a spec; ``result`` is what harness sends back when the model calls
    it (None: the spec only offers the tool, and no loop runs)."""

    name: str
    description: str
    parameters: Mapping[str, Any]
    result: ResultDef | None = None
    on_error: str = "send"


@dataclass(frozen=True, slots=True)
class Case:
    """One case of a spec: its variables and its expectations (spec-level ones included)."""

    id: str
    vars: Mapping[str, Any]
    expect: tuple[Assertion, ...]
    description: str | None = None
    tags: tuple[str, ...] = ()
    threshold: float | None = None
    repeat: int = 1
    skip: str | None = None
    source: str = ""
    line: int = 0
    transform: tuple[str, ...] = ()
    turns: tuple[str, ...] = ()
    """User messages of turns 2, 3, ... (templates over the vars); the prompt is turn 1."""
    max_steps: int | None = None


@dataclass(frozen=True, slots=True)
class Spec:
    """A loaded, validated spec."""

    name: str
    path: str
    prompt: PromptTemplate
    cases: Sequence[Case]
    """In order; a spec with cases files re-reads them each time this is iterated
    (:class:`harness.spec.case_stream.SpecCases`): iterate it, don't index it in a loop."""
    description: str | None = None
    models: tuple[str, ...] = ()
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    schema: Mapping[str, Any] | None = None
    schema_source: str | None = None
    tools: tuple[ToolDef, ...] = ()
    tags: tuple[str, ...] = ()
    threshold: float | None = None
    max_cost: float | None = None
    batch: bool | None = None
    """``batch:``: send this spec's calls through batch APIs (False: never; None: as the
    run and the provider say)."""
    judge: str | None = None
    content_hash: str = ""
    embedder: str | None = None
    vars: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    warnings: tuple[SpecProblem, ...] = ()
    origins: Mapping[str, str] = dataclasses.field(default_factory=dict)
    prompts: tuple[PromptVariant, ...] = ()
    """The variants of ``prompts:``; empty for a spec with one ``prompt:`` (``prompt`` is
    then the prompt; with variants it is the first variant's templates)."""
    max_steps: int | None = None
    """Model calls allowed per turn of a tool loop (None: the case's, else 8)."""
