"""The ``tool_choice`` param, read once for every wire format.

A spec writes ``tool_choice`` as one of four portable values (``auto``, ``required``,
``none`` or a tool's name); each driver turns the :class:`ToolChoice` into its own field:
OpenAI ``tool_choice`` (a name becomes ``{type: function, function: {name}}``),
Anthropic ``tool_choice: {type: auto|any|none|tool, name}``, Gemini
``toolConfig.functionCallingConfig`` (mode ``AUTO``/``ANY``/``NONE``, a name is ``ANY``
with ``allowedFunctionNames``). Ollama has no such option: ``none`` sends no tools, a
tool's name sends only that tool (the model may still answer in text) and ``required``
sends the tools unforced. The table is in docs/drivers.md, "Tool calling".

A mapping is the wire format's own form and goes to OpenAI and Anthropic unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from harness.drivers.base import Request
from harness.errors import BadRequestError

ToolChoiceMode = Literal["auto", "required", "none", "tool"]
KEYWORDS: tuple[str, ...] = ("auto", "required", "none")
"""The portable values besides a tool's name."""


@dataclass(frozen=True, slots=True)
class ToolChoice:
    """Whether the model may, must or must not call a tool; ``name`` when mode is ``tool``."""

    mode: ToolChoiceMode
    name: str = ""


def tool_choice_problem(value: Any, tool_names: tuple[str, ...]) -> str | None:
    """What is wrong with a ``tool_choice`` value for a call offering ``tool_names``, or None.

    Example:
        >>> tool_choice_problem("lookup", ("lookup",)) is None
        True
        >>> tool_choice_problem("requird", ("lookup",))
        "tool_choice 'requird' is not auto, required, none or a tool's name (lookup)"
    """
    if value is None or isinstance(value, Mapping) or value in KEYWORDS:
        if value == "required" and not tool_names:
            return "tool_choice 'required' needs tools, and the call offers none"
        return None
    if not isinstance(value, str):
        return f"tool_choice must be a string, not {type(value).__name__} {value!r}"
    if value in tool_names:
        return None
    names = ", ".join(tool_names) if tool_names else "the call offers no tools"
    return f"tool_choice {value!r} is not auto, required, none or a tool's name ({names})"


def tool_choice(request: Request, *, provider: str = "", native: bool = True) -> ToolChoice | None:
    """The request's portable ``tool_choice`` param, or None when unset (or a mapping).

    Args:
        request: the request whose params and tools to read.
        provider: the provider's name, for errors.
        native: whether the wire format takes a mapping (its own form) unchanged.

    Raises:
        BadRequestError: the value is not auto, required, none or a tool of the request
            (or is a mapping and ``native`` is false).
    """
    value = request.params.get("tool_choice")
    problem = tool_choice_problem(value, tuple(t.name for t in request.tools))
    if problem is None and isinstance(value, Mapping) and not native:
        problem = (
            f"tool_choice {dict(value)!r} is another wire format's own form; this one takes "
            "auto, required, none or a tool's name"
        )
    if problem is not None:
        raise BadRequestError(
            f"{problem}; fix the tool_choice param of the spec or case",
            provider=provider,
            model=request.model,
        )
    if value is None or isinstance(value, Mapping):
        return None
    if value in KEYWORDS:
        mode: ToolChoiceMode = value
        return ToolChoice(mode)
    return ToolChoice("tool", value)


def native_tool_choice(request: Request) -> Mapping[str, Any] | None:
    """A ``tool_choice`` given as a mapping: the wire format's own form, sent unchanged."""
    value = request.params.get("tool_choice")
    return value if isinstance(value, Mapping) else None
