"""A scripted multi-step tool exchange, shared by the four provider fakes.

A fake started with ``options={"tool_script": [...]}`` plays the script instead of its
usual answers. Each entry is one model turn: a list of calls to ask for (several at
once are parallel calls), or, last, the final text, where ``{results}`` becomes the tool
results received so far, joined by ``", "``::

    [[{"name": "add", "arguments": {"a": 2, "b": 2}},
      {"name": "lookup", "arguments": {"q": "Paris"}}],        # step 1: two calls at once
     [{"name": "add", "arguments": {"a": 4, "b": 1}}],         # step 2: one more
     "The answers: {results}"]                                 # step 3: the answer

The fake is stateless: the step is the number of tool-calling turns already in the
request's history. Before answering, every earlier turn is checked the way the real API
checks it (each wire format's module reads its own history into :class:`Exchange`):
the calls sent back are the ones the fake asked for, and every call has exactly one
result that references it (by id where the wire format has ids, by name and order
where it has none). A broken history gets the wire format's 400 with a message that
starts ``tool exchange:``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Step = Sequence[Mapping[str, Any]] | str


class ScriptError(ValueError):
    """The request's history breaks the tool exchange (the fake answers 400)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"tool exchange: {message}")


@dataclass
class Call:
    """A call the model made, as the request's history repeats it."""

    name: str
    arguments: Any
    id: str | None = None


@dataclass
class Result:
    """A tool result in the request: what it references (``ref``: an id or, without ids,
    a name) and its content as text."""

    ref: str
    content: str


@dataclass
class Exchange:
    """One tool-calling turn of the history and the results that answered it."""

    calls: list[Call]
    results: list[Result] = field(default_factory=list)
    by_name: bool = False  # results reference calls by name and order, not by id


def result_text(value: Any) -> str:
    """A result's content as text (a Gemini ``{"result": v}`` wrapper unwrapped)."""
    if isinstance(value, Mapping) and set(value) == {"result"}:
        value = value["result"]
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def call_id(prefix: str, step: int, n: int) -> str:
    """The id a fake gives the ``n``-th call (from 1) of script step ``step`` (from 1)."""
    return f"{prefix}{step}_{n}"


def next_step(script: Sequence[Step], history: Sequence[Exchange]) -> Step:
    """The script's entry for a request whose history holds ``history``.

    Raises:
        ScriptError: the history does not follow the script, or a call lacks its result.
    """
    for number, exchange in enumerate(history, start=1):
        _check(script, number, exchange)
    step = len(history)
    if step >= len(script):
        raise ScriptError(f"the script has {len(script)} steps; this request is step {step + 1}")
    entry = script[step]
    if isinstance(entry, str):
        results = [r.content for ex in history for r in ex.results]
        return entry.replace("{results}", ", ".join(results))
    return entry


def _check(script: Sequence[Step], number: int, exchange: Exchange) -> None:
    wanted = script[number - 1] if number <= len(script) else "the end"
    if isinstance(wanted, str):
        raise ScriptError(f"step {number} should have been the answer, not more tool calls")
    asked = [(c["name"], c["arguments"]) for c in wanted]
    sent = [(c.name, c.arguments) for c in exchange.calls]
    if sent != asked:
        raise ScriptError(
            f"step {number}: the calls sent back {sent} are not the calls made {asked}"
        )
    refs = [r.ref for r in exchange.results]
    if exchange.by_name:
        names = [c.name for c in exchange.calls]
        if refs != names:
            raise ScriptError(f"step {number}: results for {refs}, but the calls were {names}")
        return
    ids = [c.id or "" for c in exchange.calls]
    if sorted(refs) != sorted(ids):
        raise ScriptError(f"step {number}: results reference {refs}, but the calls were {ids}")
