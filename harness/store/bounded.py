"""Model answers (and the texts in an exchange's steps) over the size limit are stored
truncated, marked with their full size.

A model can answer with 100 MB (a loop that never stops, a hostile endpoint). Assertions
see the whole answer; the store, report.html, results.csv and results.json get its first
``limits.max_output_bytes`` characters and a marker line saying how long it was, instead
of a copy per output file.
"""

from __future__ import annotations

from typing import Any

from harness import limits

MARKER = "[harness: answer truncated"


def bounded_output(text: str, limit: int | None = None) -> str:
    """``text`` if within the limit, else its head and a marker with the full size.

    Example:
        >>> print(bounded_output("x" * 20, 10))  # doctest: +ELLIPSIS
        xxxxxxxxxx
        [harness: answer truncated: 20 characters in full, the first 10 kept (limits...)]
    """
    cap = limits.current().max_output_bytes if limit is None else limit
    if len(text) <= cap:
        return text
    return (
        f"{text[:cap]}\n{MARKER}: {len(text):,} characters in full, the first {cap:,} kept "
        "(limits.max_output_bytes)]"
    )


def is_truncated(text: str | None) -> bool:
    """True for an answer :func:`bounded_output` cut."""
    return text is not None and MARKER in text[-200:]


STEPS_BUDGET = 4
"""All the texts of one item's steps together are kept within this many times
``limits.max_output_bytes`` (16 MB by default), whatever the number of steps."""
SHORTEST_CUT = 200
"""However many texts share the budget, each keeps at least this many characters."""


def bounded_steps(steps: list[dict[str, Any]], limit: int | None = None) -> list[dict[str, Any]]:
    """A trajectory's steps (``ResultRecord.steps``) with every text in them bounded.

    Every step is kept, with its tokens, cost and latency. A message, answer, tool
    argument or tool result over ``limit`` (``limits.max_output_bytes``) is cut as
    :func:`bounded_output` cuts an answer; when all the texts together pass
    ``STEPS_BUDGET`` times the limit (a loop that ran 10,000 steps), the longest are cut
    further, to one length that fits them in it. ``steps`` is returned itself when
    nothing needed cutting.
    """
    cap = limits.current().max_output_bytes if limit is None else limit
    sizes: list[int] = []
    _sizes(steps, sizes)
    cap = min(cap, _fair_share(sizes, STEPS_BUDGET * cap))
    out = [_bounded(step, cap) for step in steps]
    return steps if all(a is b for a, b in zip(out, steps, strict=True)) else out


def _sizes(value: Any, into: list[int]) -> None:
    if isinstance(value, str):
        into.append(len(value))
    elif isinstance(value, dict):
        for v in value.values():
            _sizes(v, into)
    elif isinstance(value, list):
        for v in value:
            _sizes(v, into)


def _fair_share(sizes: list[int], budget: int) -> int:
    """The largest length that, with every text cut to it, keeps them within ``budget``
    (never under ``SHORTEST_CUT``): shorter texts stay whole, the longest share the rest."""
    if sum(sizes) <= budget:
        return max(sizes, default=0)
    left, ordered = budget, sorted(sizes)
    for i, size in enumerate(ordered):
        share = left // (len(ordered) - i)
        if size > share:
            return max(share, SHORTEST_CUT)
        left -= size
    return max(ordered[-1], SHORTEST_CUT)


def _bounded(value: Any, cap: int) -> Any:
    if isinstance(value, str):
        return value if len(value) <= cap else bounded_output(value, cap)
    if isinstance(value, dict):
        items = {k: _bounded(v, cap) for k, v in value.items()}
        return value if all(items[k] is v for k, v in value.items()) else items
    if isinstance(value, list):
        kept = [_bounded(v, cap) for v in value]
        return value if all(a is b for a, b in zip(kept, value, strict=True)) else kept
    return value
