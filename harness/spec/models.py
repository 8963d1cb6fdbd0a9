"""File models: exactly what users may write in a spec, validated strictly.

These pydantic models mirror the YAML (``extra="forbid"`` everywhere, so a typo is
an error with a suggestion); runtime code works with the frozen dataclasses in
:mod:`harness.spec.types` instead.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NormalizeStep = Literal["strip", "lower", "collapse-whitespace", "remove-punctuation"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FileRef(_Strict):
    """A template kept in its own file: ``{file: prompts/support.j2}``, relative to the spec."""

    file: str = Field(min_length=1)


class PartFile(_Strict):
    """One part of a message: ``{text: ...}``, ``{image: path | url | data-uri}``,
    ``{file: path.pdf}`` or ``{audio: path.wav}``; values are templates over the case's vars."""

    text: str | None = None
    image: str | None = None
    file: str | None = None
    audio: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> PartFile:
        given = [k for k in ("text", "image", "file", "audio") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "a part is exactly one of {text: ...}, {image: ...}, {file: ...}, {audio: ...}"
            )
        return self

    @property
    def kind(self) -> Literal["text", "image", "file", "audio"]:
        """Which of the four the part is."""
        for k in ("text", "image", "file", "audio"):
            if getattr(self, k) is not None:
                return k
        raise AssertionError("validated: one kind is set")


Content = str | FileRef | list[PartFile]


class MessageFile(_Strict):
    """One message of a multi-turn prompt."""

    role: Literal["system", "user", "assistant"]
    content: Content


class PromptFile(_Strict):
    """``system`` + ``user`` templates, or a list of ``messages``; any template may be a
    ``{file: ...}``, and ``{file: ...}`` alone is the user template."""

    system: str | FileRef | None = None
    user: Content | None = None
    messages: list[MessageFile] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> PromptFile:
        if self.messages is not None and (self.system is not None or self.user is not None):
            raise ValueError("use either 'messages' or 'system'/'user', not both")
        if self.messages is None and self.user is None:
            raise ValueError("needs 'user' (and optionally 'system') or 'messages'")
        if self.messages is not None and not self.messages:
            raise ValueError("'messages' must hold at least one message")
        return self


class VariantFile(PromptFile):
    """One entry of ``prompts:``: what ``prompt:`` takes, with an optional stable ``name``."""

    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        if isinstance(v, str):
            return {"user": v}
        if isinstance(v, dict) and "file" in v and set(v) <= {"file", "name"}:
            return {"name": v.get("name"), "user": {"file": v["file"]}}
        return v


class ParamsFile(_Strict):
    """Sampling parameters, provider-neutral. ``extra_body`` is passed to the provider as is."""

    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, gt=0)
    top_p: float | None = Field(default=None, ge=0, le=1)
    top_k: int | None = Field(default=None, gt=0)
    stop: list[str] | str | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    # auto, required, none or a tool's name; checked against the tools by harness.tools.checks
    tool_choice: str | None = None
    stream: bool | None = None
    extra_body: dict[str, Any] | None = None


class ToolFile(_Strict):
    """A tool the model may call; ``result`` is what harness sends back when it is called
    (its forms are checked by :mod:`harness.tools.checks`); ``python`` defines the tool
    from a function's signature or a pydantic model."""

    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    description: str | None = None
    parameters: dict[str, Any] | None = None
    python: str | None = None
    result: Any = None
    on_error: Literal["send", "fail"] = "send"

    @model_validator(mode="after")
    def _named(self) -> ToolFile:
        if self.name is None and self.python is None:
            raise ValueError(
                "missing required key 'name' (or 'python: module:function' to take it from)"
            )
        return self


class AssertionFile(BaseModel):
    """An expectation. Common keys are typed here; type-specific keys are checked
    against the assertion type's declaration by :mod:`harness.expect.registry`."""

    model_config = ConfigDict(extra="allow")

    type: str
    value: Any = None
    field: str | None = None
    weight: float = Field(default=1.0, ge=0)
    # at most 1 for most types, checked with the type (levenshtein's is a distance)
    threshold: float | None = Field(default=None, ge=0)
    normalize: list[NormalizeStep] | None = None
    transform: Any = None  # checked by harness.transforms.apply.check_transform


class CaseFile(_Strict):
    """One case: template variables and the expectations for them."""

    id: str | int | None = None
    description: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)
    expect: list[AssertionFile] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    threshold: float | None = Field(default=None, ge=0, le=1)
    repeat: int | None = Field(default=None, ge=1)
    skip: bool | str = False
    transform: Any = None
    turns: list[str] | None = None
    max_steps: int | None = Field(default=None, ge=1, le=100)


class SpecFile(_Strict):
    """A spec file: a prompt, cases, an output schema and expectations."""

    name: str | None = None
    description: str | None = None
    models: list[str] = Field(default_factory=list)
    params: ParamsFile = Field(default_factory=ParamsFile)
    prompt: PromptFile | None = None
    prompts: list[VariantFile] | dict[str, VariantFile] | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    tools: list[ToolFile] = Field(default_factory=list)
    tools_file: str | None = None
    max_steps: int | None = Field(default=None, ge=1, le=100)
    vars: dict[str, Any] = Field(default_factory=dict)
    expect: list[AssertionFile] = Field(default_factory=list)
    cases: list[CaseFile] = Field(default_factory=list)
    cases_file: str | list[str] | None = None
    tags: list[str] = Field(default_factory=list)
    threshold: float | None = Field(default=None, ge=0, le=1)
    repeat: int = Field(default=1, ge=1)
    max_cost: float | None = Field(default=None, gt=0)
    batch: bool | None = None  # send its calls through batch APIs (None: as the run says)
    normalize: list[NormalizeStep] | None = None
    judge: str | None = None
    # the embedder of semantic-similar assertions ('provider:model'); checked with the judge
    embedder: str | None = None
    transform: Any = None

    @model_validator(mode="after")
    def _one_prompt_key(self) -> SpecFile:
        # neither key: the loader reports "missing required key 'prompt'" with other problems
        if self.prompt is not None and self.prompts is not None:
            raise ValueError("use either 'prompt' or 'prompts' (variants), not both")
        if self.prompts is not None and not self.prompts:
            raise ValueError("'prompts' must hold at least one prompt")
        return self

    @field_validator("name")
    @classmethod
    def _safe_name(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", v):
            raise ValueError(
                f"spec name {v!r} may only hold letters, digits, '_', '.' and '-' "
                "(it names folders and test ids)"
            )
        return v

    @field_validator("models", mode="before")
    @classmethod
    def _one_model(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("prompt", mode="before")
    @classmethod
    def _prompt_shorthand(cls, v: Any) -> Any:
        if isinstance(v, str) or (isinstance(v, dict) and set(v) == {"file"}):
            return {"user": v}
        return v
