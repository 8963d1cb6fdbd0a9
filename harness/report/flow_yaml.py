"""One-line flow YAML of an expectation, as ``yaml.safe_dump(..., default_flow_style=True)``
writes it, without the emitter's per-call set-up for the plain values expectations hold.

The report shows every case's expectations as the spec wrote them (``failing.written``);
a run of N cases has N distinct ones, and PyYAML's emitter took about 130 µs each, the
largest single cost of the report files at 10,000 results. Values this module is not
sure about (non-ASCII text, quoting, long or odd keys, floats that would need a tag)
go to ``yaml.safe_dump``; a property test checks both give the same text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import yaml

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_ ./-]*")
"""Text that PyYAML writes unquoted in a flow collection (if it does not resolve to
another type, and has no space at either end)."""
_MAX = 200
"""Longer text goes to PyYAML (its emitter treats long keys and scalars specially)."""
_RESOLVER = yaml.resolver.Resolver()
_STR = "tag:yaml.org,2002:str"
_FLOAT = "tag:yaml.org,2002:float"


class _Unsure(Exception):
    """A value left to PyYAML."""


def _resolves_to(text: str) -> str:
    return str(_RESOLVER.resolve(yaml.ScalarNode, text, (True, False)))  # type: ignore[no-untyped-call]


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    kind = type(value)
    if kind is str:
        if (
            len(value) <= _MAX
            and _PLAIN.fullmatch(value)
            and value[-1] != " "
            and _resolves_to(value) == _STR
        ):
            return str(value)
        raise _Unsure
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):
        text = float.__repr__(value).lower()
        if "." not in text and "e" in text:  # as SafeRepresenter.represent_float
            text = text.replace("e", ".0e", 1)
        if _resolves_to(text) == _FLOAT:
            return text
    raise _Unsure


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        if type(value) is not dict:
            raise _Unsure
        return _mapping(value)
    return _scalar(value)


def _mapping(item: dict[Any, Any]) -> str:
    parts = []
    for key, value in item.items():
        if type(key) is not str:
            raise _Unsure
        parts.append(f"{_scalar(key)}: {_value(value)}")
    return "{" + ", ".join(parts) + "}"


def flow_yaml(item: dict[str, Any]) -> str:
    """``yaml.safe_dump(item, default_flow_style=True, sort_keys=False, allow_unicode=True,
    width=1_000_000).strip()``, fast for plain values.

    Example:
        >>> flow_yaml({"type": "contains", "value": "item 7", "threshold": 0.5})
        '{type: contains, value: item 7, threshold: 0.5}'
    """
    try:
        return _mapping(item)
    except _Unsure:
        pass
    text = yaml.safe_dump(
        item, default_flow_style=True, sort_keys=False, allow_unicode=True, width=1_000_000
    )
    return text.strip()
