"""Structure and number assertions: is-json, schema-valid, json-equals, field-present,
close-to, between. Their subject is the parsed output, or the value of ``field``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jsonschema

from harness.expect.common import Context, EvalError, Outcome, Unmet, as_number, show, type_name
from harness.expect.extract import extract_json
from harness.expect.paths import resolve
from harness.expect.text import values_equal
from harness.spec.types import Assertion

DEFAULT_TOLERANCE = 1e-6
_VALIDATORS: dict[int, tuple[Mapping[str, Any], Any]] = {}


def validator_for(schema: Mapping[str, Any]) -> Any:
    """A jsonschema validator for ``schema`` (formats checked), cached by the schema's identity.

    Specs keep their schema objects for the whole run, so identity is a cheap, exact key;
    the cached entry holds the schema itself so the id cannot be reused while cached.
    """
    hit = _VALIDATORS.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    if len(_VALIDATORS) > 512:
        _VALIDATORS.clear()
    _VALIDATORS[id(schema)] = (schema, validator)
    return validator


def is_json(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The output holds JSON: fences and chatter allowed, repair not (``strict``: whole text).

    On a ``field``, a string value must parse as JSON; any other value already is JSON.
    """
    if a.field is not None:
        if not isinstance(subject, str):
            return Outcome.check(True, f"field {a.field!r} holds {type_name(subject)} data")
        try:
            json.loads(subject)
        except ValueError as exc:
            return Outcome.check(False, f"field {a.field!r} is not JSON ({exc}): {show(subject)}")
        return Outcome.check(True, f"field {a.field!r} holds a JSON text")
    text = ctx.output.text
    if a.options.get("strict"):
        try:
            json.loads(text)
        except ValueError as exc:
            return Outcome.check(False, f"the whole output is not JSON ({exc}); got {show(text)}")
        return Outcome.check(True, "the whole output is JSON")
    got = extract_json(text)
    if got.error is not None:
        return Outcome.check(False, f"output is not JSON ({got.error}); got {show(text)}")
    if got.repaired:
        return Outcome.check(
            False, f"output is near-JSON: it parsed only after repair; got {show(text)}"
        )
    return Outcome.check(True, f"output holds JSON ({type_name(got.value)})")


def schema_valid(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The parsed output (or field) validates; the reason lists every violation with its path."""
    schema = a.options.get("schema", ctx.spec.schema)
    if schema is None:
        raise EvalError("schema-valid needs a schema: set 'schema:' on the spec or the assertion")
    subject = resolve(ctx.data(), a.field) if a.field is not None else ctx.data()
    errors = sorted(validator_for(schema).iter_errors(subject), key=lambda e: list(e.absolute_path))
    repaired = " (after JSON repair)" if ctx.repaired() and a.field is None else ""
    if not errors:
        return Outcome.check(True, f"valid against the schema{repaired}")
    listed = "; ".join(f"{e.json_path}: {_trim(e.message)}" for e in errors)
    return Outcome.check(False, f"{len(errors)} schema violation(s){repaired}: {listed}")


def _trim(message: str, limit: int = 120) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def json_equals(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The parsed output (or field) equals ``value`` as JSON: key order ignored, arrays in order.

    A string ``value`` is parsed as JSON first.
    """
    expected = a.value
    if isinstance(expected, str):
        try:
            expected = json.loads(expected)
        except ValueError as exc:
            raise EvalError(f"json-equals 'value' is a string that is not JSON: {exc}") from None
    where = first_difference(expected, subject, "$")
    if where is None:
        return Outcome.check(True, f"equals {show(expected)} as JSON")
    return Outcome.check(False, f"JSON differs at {where}")


def first_difference(expected: Any, got: Any, path: str) -> str | None:
    """Where two JSON values first differ, as ``$.a[2]: expected 3, got 4``; None if equal."""
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in expected:
            if key not in got:
                return f"{path}.{key}: missing (expected {show(expected[key], 40)})"
            inner = first_difference(expected[key], got[key], f"{path}.{key}")
            if inner is not None:
                return inner
        extra = [k for k in got if k not in expected]
        if extra:
            return f"{path}: unexpected key(s) {', '.join(repr(k) for k in extra[:5])}"
        return None
    if isinstance(expected, list) and isinstance(got, list):
        for i, (x, y) in enumerate(zip(expected, got, strict=False)):
            inner = first_difference(x, y, f"{path}[{i}]")
            if inner is not None:
                return inner
        if len(expected) != len(got):
            return f"{path}: expected {len(expected)} items, got {len(got)}"
        return None
    if values_equal(expected, got):
        return None
    kinds = "" if type_name(expected) == type_name(got) else f" ({type_name(got)})"
    return f"{path}: expected {show(expected, 40)}, got {show(got, 40)}{kinds}"


def field_present(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The field exists in the parsed output (its value may be null)."""
    assert a.field is not None  # the validator requires it
    try:
        value = resolve(ctx.data(), a.field)
    except Unmet as exc:
        return Outcome.check(False, str(exc))
    return Outcome.check(True, f"field {a.field!r} is present: {show(value, 40)}")


def close_to(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """A number within ``tolerance`` of ``value`` (absolute; ``relative: true`` for a fraction)."""
    got = as_number(subject)
    tolerance = float(a.options.get("tolerance", DEFAULT_TOLERANCE))
    allowed = tolerance * abs(a.value) if a.options.get("relative") else tolerance
    diff = abs(got - a.value)
    how = f"{tolerance:g} relative = {allowed:g}" if a.options.get("relative") else f"{allowed:g}"
    if diff <= allowed:
        return Outcome.check(True, f"{got:g} is within {how} of {a.value:g}")
    return Outcome.check(False, f"expected {a.value:g} ± {how}, got {got:g} (off by {diff:g})")


def between(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """A number within [min, max], both inclusive."""
    got = as_number(subject)
    low, high = a.options.get("min"), a.options.get("max")
    bounds = f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
    ok = (low is None or got >= low) and (high is None or got <= high)
    word = "within" if ok else "outside"
    return Outcome.check(ok, f"{got:g} is {word} {bounds}")
