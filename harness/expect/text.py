"""Text assertions: equals, contains and friends, regex, one-of, length, similar.

The subject is the output's text, or the value of ``field`` (non-strings shown as JSON
for the substring types). ``normalize`` steps apply to both sides, and only when asked.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Sequence
from typing import Any

from rapidfuzz.distance import Levenshtein

from harness.expect import safe_regex
from harness.expect.common import Context, Outcome, as_text, compare, show, type_name
from harness.spec.types import Assertion

_WS = re.compile(r"\s+")
_PUNCT = str.maketrans("", "", string.punctuation + "“”‘’«»…–—¿¡")

NORMALIZERS: dict[str, Callable[[str], str]] = {
    "strip": str.strip,
    "lower": str.casefold,
    "collapse-whitespace": lambda s: _WS.sub(" ", s).strip(),
    "remove-punctuation": lambda s: s.translate(_PUNCT),
}


def normalize(text: str, steps: Sequence[str]) -> str:
    """Apply the ``normalize`` steps in the order given."""
    for step in steps:
        text = NORMALIZERS[step](text)
    return text


def _text(a: Assertion, value: Any) -> str:
    return normalize(as_text(value), a.normalize)


def _first_difference(expected: str, got: str) -> str:
    n = min(len(expected), len(got))
    i = next((k for k in range(n) if expected[k] != got[k]), n)
    if i == n:
        longer, which = (got, "got") if len(got) > n else (expected, "expected")
        extra = show(longer[i:], 30)
        return f"{which} has {len(longer) - n} more characters from position {i}: {extra}"
    want, came = show(expected[i : i + 12]), show(got[i : i + 12])
    return f"first difference at position {i} ({want} vs {came})"


def values_equal(a: Any, b: Any) -> bool:
    """JSON equality: object key order ignored, arrays in order, booleans are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


def _equal(a: Assertion, subject: Any, expected: Any, typed: bool) -> tuple[bool, str]:
    """(equal, why-not) for equals and one-of."""
    if not typed or a.normalize:
        want, got = _text(a, expected), _text(a, subject)
        if want == got:
            return True, ""
        return False, _first_difference(want, got)
    if values_equal(expected, subject):
        return True, ""
    if type_name(expected) != type_name(subject):
        return False, f"types differ: {type_name(expected)} vs {type_name(subject)}"
    if isinstance(expected, str):
        return False, _first_difference(expected, subject)
    return False, "values differ"


def equals(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The text (or field, compared as typed JSON) equals ``value``."""
    typed = a.field is not None or isinstance(a.value, dict | list)
    if a.field is None and isinstance(a.value, dict | list):
        subject = ctx.data()
    ok, why = _equal(a, subject, a.value, typed)
    if ok:
        return Outcome.check(True, f"equals {show(a.value)}")
    return Outcome.check(False, f"expected {show(a.value)}, got {show(subject)}; {why}")


def one_of(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The text (or field) equals one of the values."""
    for option in a.value:
        if _equal(a, subject, option, a.field is not None)[0]:
            return Outcome.check(True, f"got {show(subject)}, one of the {len(a.value)} values")
    listed = ", ".join(show(v, 30) for v in a.value[:8])
    return Outcome.check(False, f"expected one of [{listed}], got {show(subject)}")


def _find(a: Assertion, haystack: str, needle: Any, fold: bool) -> int:
    want = _text(a, needle)
    if fold:
        return haystack.casefold().find(want.casefold())
    return haystack.find(want)


def contains(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The text contains ``value``."""
    return _contains(a, subject, fold=False)


def icontains(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The text contains ``value``, ignoring case."""
    return _contains(a, subject, fold=True)


def _contains(a: Assertion, subject: Any, fold: bool) -> Outcome:
    text = _text(a, subject)
    at = _find(a, text, a.value, fold)
    how = " (ignoring case)" if fold else ""
    if at >= 0:
        return Outcome.check(True, f"found {show(as_text(a.value))}{how} at position {at}")
    return Outcome.check(
        False, f"expected to contain {show(as_text(a.value))}{how}; got {show(text)}"
    )


def contains_any(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The text contains at least one of the values."""
    text, fold = _text(a, subject), bool(a.options.get("ignore_case"))
    for needle in a.value:
        at = _find(a, text, needle, fold)
        if at >= 0:
            return Outcome.check(True, f"found {show(as_text(needle))} at position {at}")
    listed = ", ".join(show(as_text(v), 30) for v in a.value[:8])
    return Outcome.check(False, f"expected any of [{listed}]; none found in {show(text)}")


def contains_all(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The text contains every value; the score is the share found."""
    text, fold = _text(a, subject), bool(a.options.get("ignore_case"))
    missing = [v for v in a.value if _find(a, text, v, fold) < 0]
    score = 1.0 - len(missing) / len(a.value) if a.value else 1.0
    if not missing:
        return Outcome(True, 1.0, f"found all {len(a.value)} values")
    listed = ", ".join(show(as_text(v), 30) for v in missing[:8])
    return Outcome(
        False, score, f"missing {len(missing)} of {len(a.value)}: [{listed}] in {show(text)}"
    )


def starts_with(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The text starts with ``value``."""
    text, want = _text(a, subject), _text(a, a.value)
    if text.startswith(want):
        return Outcome.check(True, f"starts with {show(want)}")
    return Outcome.check(
        False, f"expected to start with {show(want)}; got {show(text[: len(want) + 40])}"
    )


def ends_with(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The text ends with ``value``."""
    text, want = _text(a, subject), _text(a, a.value)
    if text.endswith(want):
        return Outcome.check(True, f"ends with {show(want)}")
    tail = text[-(len(want) + 40) :]
    return Outcome.check(False, f"expected to end with {show(want)}; got …{show(tail)}")


def regex(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The text matches the regular expression (``search``, or ``fullmatch: true``)."""
    text = _text(a, subject)
    full = bool(a.options.get("fullmatch"))
    m = safe_regex.match(a.value, text, ignore_case=bool(a.options.get("ignore_case")), full=full)
    how = "fully matches" if full else "matches"
    if m is not None:
        return Outcome.check(True, f"{how} /{a.value}/ at {m.start()}: {show(m.group(0), 40)}")
    whole = " (whole text)" if full else ""
    return Outcome.check(False, f"expected a match for /{a.value}/{whole}; got {show(text)}")


def length(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """Length within [min, max]: characters or words of the text, items of an array field."""
    if isinstance(subject, list | dict):
        size, unit = len(subject), "items"
    else:
        text = _text(a, subject)
        unit = str(a.options.get("unit", "chars"))
        size = len(text.split()) if unit == "words" else len(text)
    low, high = a.options.get("min"), a.options.get("max")
    if low is not None and size < low:
        return Outcome.check(False, f"length {size} {unit}, expected at least {low} {unit}")
    if high is not None and size > high:
        return Outcome.check(False, f"length {size} {unit}, expected at most {high} {unit}")
    bounds = f"[{low if low is not None else '-'}, {high if high is not None else '-'}]"
    return Outcome.check(True, f"length {size} {unit} within {bounds}")


def similar(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """Normalized Levenshtein similarity to ``value`` reaches the threshold (default 0.8)."""
    want, got = _text(a, a.value), _text(a, subject)
    score = float(Levenshtein.normalized_similarity(want, got))
    need = a.threshold if a.threshold is not None else 0.8
    return Outcome(
        score >= need,
        score,
        f"similarity {compare(score, need)} to {show(want, 40)}; got {show(got, 40)}",
    )
