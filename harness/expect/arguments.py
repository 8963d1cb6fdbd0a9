"""Does a tool call's arguments match what an assertion expects?

Four ways, which an assertion may combine (all must hold):

- ``arguments`` as a subset (the default): the call's arguments contain these keys with
  these values; objects nested inside may hold extra keys too, lists compare whole.
- ``arguments`` exactly (``arguments_match: exact``): the same keys, the same values.
- ``arguments_schema``: the arguments validate against a JSON Schema.
- ``arguments_regex``: ``{argument: pattern}``, each argument's text (JSON for a
  non-text value) searched for the pattern, within the regex time limit.

Each check returns the first difference as a reason a person can act on
(``arguments.city is 'Paris', expected 'London'``), or None.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from harness.drivers.base import ToolCall
from harness.expect.common import as_text, show
from harness.expect.safe_regex import match
from harness.expect.structure import validator_for
from harness.expect.text import values_equal

ArgumentsMatch = Literal["subset", "exact"]


def partial_mismatch(expected: Any, got: Any, path: str = "arguments") -> str | None:
    """Where ``got`` fails to contain ``expected`` (objects may hold extra keys), or None."""
    return _mismatch(expected, got, path, exact=False)


def exact_mismatch(expected: Any, got: Any, path: str = "arguments") -> str | None:
    """Where ``got`` differs from ``expected`` (no extra keys anywhere), or None."""
    return _mismatch(expected, got, path, exact=True)


def _mismatch(expected: Any, got: Any, path: str, *, exact: bool) -> str | None:
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping):
            return f"{path} is {show(got, 40)}, expected an object"
        for key, want in expected.items():
            if key not in got:
                return f"{path}.{key} missing"
            inner = _mismatch(want, got[key], f"{path}.{key}", exact=exact)
            if inner is not None:
                return inner
        extra = [str(k) for k in got if k not in expected] if exact else []
        if extra:
            return f"{path} has {', '.join(extra[:5])} too (arguments_match: exact)"
        return None
    if exact and isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        for i, (want, have) in enumerate(zip(expected, got, strict=True)):
            inner = _mismatch(want, have, f"{path}.{i}", exact=True)
            if inner is not None:
                return inner
        return None
    if values_equal(expected, got):
        return None
    return f"{path} is {show(got, 40)}, expected {show(expected, 40)}"


def schema_mismatch(schema: Mapping[str, Any], arguments: Mapping[str, Any]) -> str | None:
    """The arguments' violations of ``schema`` (at most five), or None."""
    errors = list(validator_for(schema).iter_errors(dict(arguments)))
    if not errors:
        return None
    return "; ".join(f"arguments{e.json_path[1:]}: {e.message}" for e in errors[:5])


def regex_mismatch(patterns: Mapping[str, str], arguments: Mapping[str, Any]) -> str | None:
    """The first argument missing or not matching its pattern, or None.

    Raises:
        EvalError: a pattern ran out of time.
    """
    for name, pattern in patterns.items():
        if name not in arguments:
            return f"arguments.{name} missing"
        text = as_text(arguments[name])
        if match(pattern, text) is None:
            return f"arguments.{name} is {show(text, 40)}, which does not match /{pattern}/"
    return None


def arguments_mismatch(options: Mapping[str, Any], arguments: Mapping[str, Any]) -> str | None:
    """The first way a call's arguments miss an assertion's ``arguments``,
    ``arguments_schema`` and ``arguments_regex`` (as :data:`ArgumentsMatch` says), or None."""
    want = options.get("arguments")
    if want is not None:
        exact = options.get("arguments_match") == "exact"
        problem = (exact_mismatch if exact else partial_mismatch)(want, arguments)
        if problem is not None:
            return problem
    schema = options.get("arguments_schema")
    if schema is not None:
        problem = schema_mismatch(schema, arguments)
        if problem is not None:
            return problem
    patterns = options.get("arguments_regex")
    if patterns is not None:
        return regex_mismatch(patterns, arguments)
    return None


def unparsed_arguments(call: ToolCall) -> str | None:
    """Why a call's arguments are not a JSON object as the model wrote them, or None.

    Drivers turn arguments that are not a JSON object into ``{}`` and keep the text in
    ``raw_arguments``; this tells such a call from one that passed no arguments.
    """
    raw = call.raw_arguments.strip()
    if call.arguments or not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return f"arguments are not JSON: {show(raw, 60)}"
    if not isinstance(value, dict):
        return f"arguments are not a JSON object: {show(raw, 60)}"
    return None
