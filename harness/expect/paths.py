"""Field paths into the parsed output: dotted (``a.b.0.c``) or JSON Pointer (``/a/b/0/c``).

A dotted path cannot name a key that holds a dot; use a JSON Pointer for that
(``/version/1.2``), with ``~1`` for ``/`` and ``~0`` for ``~`` as RFC 6901 says.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from harness.expect.common import Unmet, show


@lru_cache(maxsize=1024)
def split_path(path: str) -> tuple[str, ...]:
    """The steps of a field path.

    Example:
        >>> split_path("items.0.name"), split_path("/items/0/name")
        (('items', '0', 'name'), ('items', '0', 'name'))
    """
    if path.startswith("/"):
        return tuple(p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/"))
    if path in ("", "$"):
        return ()
    return tuple(path.removeprefix("$.").split("."))


def resolve(data: Any, path: str) -> Any:
    """The value at ``path`` in ``data``.

    Raises:
        Unmet: the path does not exist; the reason names the step and what is there instead.
    """
    current = data
    steps = split_path(path)
    for i, step in enumerate(steps):
        where = _shown(steps[:i])
        if isinstance(current, dict):
            if step in current:
                current = current[step]
                continue
            keys = ", ".join(repr(k) for k in list(current)[:12]) or "none"
            more = ", …" if len(current) > 12 else ""
            raise Unmet(f"field {path!r}: no key {step!r} at {where}; keys there: {keys}{more}")
        if isinstance(current, list):
            if step.isdigit() or (step.startswith("-") and step[1:].isdigit()):
                index = int(step)
                if -len(current) <= index < len(current):
                    current = current[index]
                    continue
                raise Unmet(
                    f"field {path!r}: index {index} out of range at {where} "
                    f"(array of {len(current)} items)"
                )
            raise Unmet(f"field {path!r}: {where} is an array; {step!r} is not an index")
        raise Unmet(f"field {path!r}: {where} is {show(current)}, not an object or array")
    return current


def _shown(steps: tuple[str, ...]) -> str:
    return "$" + "".join(f"[{s}]" if s.isdigit() else f".{s}" for s in steps)
