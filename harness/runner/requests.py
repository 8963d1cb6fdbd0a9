"""Item -> Request: render the prompt, merge parameters, attach schema and tools."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from harness.drivers.base import Message, Part, Request, TextPart, Tool
from harness.drivers.registry import parse_model_id
from harness.runner.items import Item
from harness.spec.parts import to_part
from harness.spec.templating import render
from harness.spec.types import PartTemplate, PromptTemplate

_NOT_PARAMS = frozenset({"stream"})


def merged_params(item: Item, model_params: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """harness.yaml ``models[<id>].params`` with the spec's ``params`` on top."""
    return {**model_params.get(item.model, {}), **item.spec.params}


_VAR = re.compile(r"{{\s*([A-Za-z_][A-Za-z0-9_]*)\s*}}")
_SYNTAX = re.compile(r"{{|}}|{%|%}|{#|#}")


@lru_cache(maxsize=1024)
def _simple_parts(source: str) -> tuple[str, ...] | None:
    """``source`` split into text and variable names when it only substitutes plain
    variables (``{{ name }}``); None when it needs Jinja (filters, blocks, attributes)."""
    parts = _VAR.split(source)
    if any(_SYNTAX.search(text) for text in parts[::2]):
        return None
    return tuple(parts)


def fast_render(
    source: str,
    variables: Mapping[str, Any],
    *,
    base_dir: str | None = None,
    root: str | None = None,
) -> str:
    """Render a prompt template; plain ``{{ name }}`` templates skip Jinja (same output).

    Raises:
        jinja2.UndefinedError: a variable is missing.
    """
    parts = _simple_parts(source)
    if parts is None:
        return render(source, variables, base_dir=base_dir, root=root)
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(part)
        elif part in variables:
            out.append(str(variables[part]))
        else:
            raise jinja2.UndefinedError(f"{part!r} is undefined")
    return "".join(out)


def render_messages(item: Item) -> tuple[Message, ...]:
    """The item's prompt rendered with the spec's vars and the case's vars (case wins).

    Raises:
        jinja2.UndefinedError: a variable is missing (the loader normally catches that).
    """
    variables = {**item.spec.vars, **item.case.vars} if item.spec.vars else item.case.vars
    prompt = item.template
    return tuple(
        Message(
            role=role,  # type: ignore[arg-type]
            content=fast_render(source, variables, base_dir=prompt.base_dir, root=prompt.root)
            if isinstance(source, str)
            else render_parts(source, variables, prompt),
        )
        for role, source in prompt.messages
    )


def render_parts(
    parts: tuple[PartTemplate, ...], variables: Mapping[str, Any], prompt: PromptTemplate
) -> tuple[Part, ...]:
    """A message's parts: text rendered, image/file/audio values rendered and read.

    Raises:
        PartError: a file is missing, outside the project or too large.
    """
    base_dir = Path(prompt.base_dir) if prompt.base_dir else Path.cwd()
    root = Path(prompt.root) if prompt.root else base_dir
    out: list[Part] = []
    for p in parts:
        value = fast_render(p.source, variables, base_dir=prompt.base_dir, root=prompt.root)
        out.append(TextPart(value) if p.kind == "text" else to_part(p.kind, value, base_dir, root))
    return tuple(out)


def build_request(
    item: Item, model_params: Mapping[str, Mapping[str, Any]] | None = None
) -> Request:
    """The provider-neutral request for one item.

    Args:
        item: what to run.
        model_params: per-model parameters from harness.yaml (``ProjectConfig.model_params``).
    """
    params = merged_params(item, model_params or {})
    stream = bool(params.get("stream", False))
    _, model = parse_model_id(item.model)
    return Request(
        model=model,
        messages=render_messages(item),
        params={k: v for k, v in params.items() if k not in _NOT_PARAMS},
        schema=item.spec.schema,
        tools=tuple(Tool(t.name, t.description, t.parameters) for t in item.spec.tools),
        stream=stream,
    )


def prompt_text(request: Request) -> str:
    """The rendered prompt as stored with a result: one ``role: text`` block per message."""
    if len(request.messages) == 1:
        return request.messages[0].text
    return "\n\n".join(f"{m.role}: {m.text}" for m in request.messages)
