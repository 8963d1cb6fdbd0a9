"""Regular expressions with a time limit: a catastrophic pattern errors, it never hangs.

Patterns run on the ``regex`` engine, whose matcher checks a deadline as it backtracks
(``timeout=``), so ``(a|aa)+$`` against a long line of ``a`` gives up after
``limits.regex_timeout_s`` instead of blocking the event loop for hours. A pattern that
only Python's ``re`` accepts (rare syntax differences) still runs, on ``re``, without one.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from harness import limits
from harness.expect.common import EvalError


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str, ignore_case: bool = False) -> Any:
    """A compiled pattern, cached: the same assertion runs on every model and case."""
    import regex as regex_engine  # here: only specs with regex assertions pay for it

    try:
        return regex_engine.compile(pattern, regex_engine.IGNORECASE if ignore_case else 0)
    except regex_engine.error:
        return re.compile(pattern, re.IGNORECASE if ignore_case else 0)


def match(pattern: str, text: str, *, ignore_case: bool = False, full: bool = False) -> Any:
    """``search`` (or ``fullmatch``) within the regex time limit; the match or None.

    Raises:
        EvalError: the pattern ran out of time ("regex timed out after 1 s").
    """
    compiled = compile_pattern(pattern, ignore_case)
    timeout = limits.current().regex_timeout_s
    find = compiled.fullmatch if full else compiled.search
    if isinstance(compiled, re.Pattern):
        return find(text)
    try:
        return find(text, timeout=timeout)
    except TimeoutError:
        raise EvalError(
            f"regex timed out after {timeout:g} s on {len(text):,} characters: simplify "
            f"/{pattern}/ (nested repeats such as (a+)+ backtrack without end), or raise "
            "limits.regex_timeout_s in harness.yaml"
        ) from None
