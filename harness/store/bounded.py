"""Model answers over the size limit are stored truncated, marked with their full size.

A model can answer with 100 MB (a loop that never stops, a hostile endpoint). Assertions
see the whole answer; the store, report.html, results.csv and results.json get its first
``limits.max_output_bytes`` characters and a marker line saying how long it was, instead
of a copy per output file.
"""

from __future__ import annotations

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
