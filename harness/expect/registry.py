"""The assertion types: their names and the options each accepts.

The spec validator uses this table to reject unknown types and misspelt or missing
options before anything runs; :mod:`harness.expect` attaches an evaluator to each.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Number = (int, float)


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """What an assertion type accepts: the allowed option keys with their Python types,
    and which keys (``value`` included) it needs."""

    name: str
    options: Mapping[str, tuple[type, ...]] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    value_types: tuple[type, ...] | None = None
    summary: str = ""


def _t(
    name: str,
    summary: str,
    *,
    requires: tuple[str, ...] = (),
    value: tuple[type, ...] | None = None,
    **options: tuple[type, ...],
) -> TypeInfo:
    return TypeInfo(name, options, requires, value, summary)


_STR = (str,)
_LIST = (list,)
_NUM = Number
_BOOL = (bool,)
_TEXTLIKE = (str, int, float, bool)

TYPES: dict[str, TypeInfo] = {
    t.name: t
    for t in [
        # text
        _t("equals", "output (or field) equals value", requires=("value",)),
        _t("contains", "text contains value", requires=("value",), value=_TEXTLIKE),
        _t("icontains", "text contains value, ignoring case", requires=("value",), value=_TEXTLIKE),
        _t(
            "contains-any",
            "text contains at least one of the values",
            requires=("value",),
            value=_LIST,
            ignore_case=_BOOL,
        ),
        _t(
            "contains-all",
            "text contains every value",
            requires=("value",),
            value=_LIST,
            ignore_case=_BOOL,
        ),
        _t("starts-with", "text starts with value", requires=("value",), value=_TEXTLIKE),
        _t("ends-with", "text ends with value", requires=("value",), value=_TEXTLIKE),
        _t(
            "regex",
            "text matches the regular expression",
            requires=("value",),
            value=_STR,
            ignore_case=_BOOL,
            fullmatch=_BOOL,
        ),
        _t("one-of", "output equals one of the values", requires=("value",), value=_LIST),
        _t("length", "length within min/max chars or words", min=_NUM, max=_NUM, unit=_STR),
        _t(
            "similar",
            "normalized edit similarity >= threshold (default 0.8)",
            requires=("value",),
            value=_STR,
        ),
        # structure
        _t("is-json", "output holds JSON (fences and chatter allowed)", strict=_BOOL),
        _t(
            "schema-valid",
            "parsed output validates against the spec's (or an inline) schema",
            schema=(dict,),
        ),
        _t("json-equals", "parsed output equals value, ignoring key order", requires=("value",)),
        _t("field-present", "the field exists in the parsed output", requires=("field",)),
        # numbers
        _t(
            "close-to",
            "number within tolerance of value",
            requires=("value",),
            value=_NUM,
            tolerance=_NUM,
            relative=_BOOL,
        ),
        _t("between", "number within [min, max]", min=_NUM, max=_NUM),
        # cost and speed
        _t("max-latency-ms", "latency at most value ms", requires=("value",), value=_NUM),
        _t("max-ttft-ms", "time to first token at most value ms", requires=("value",), value=_NUM),
        _t("max-cost-usd", "call cost at most value USD", requires=("value",), value=_NUM),
        _t("max-output-tokens", "output tokens at most value", requires=("value",), value=_NUM),
        # behaviour
        _t("finish-reason", "finish reason equals value", requires=("value",), value=_STR),
        _t("is-refusal", "the model refused"),
        # tools
        _t(
            "tool-called",
            "the model called the tool with matching arguments",
            requires=("value",),
            value=_STR,
            arguments=(dict,),
            arguments_schema=(dict,),
        ),
        _t("no-tool-called", "the model called no tool (or not the named one)", value=_STR),
        # model-graded
        _t(
            "judge",
            "a judge model grades the output against a rubric",
            value=_STR,
            rubric=_STR,
            model=_STR,
            params=(dict,),
        ),
        _t(
            "classify",
            "a judge model picks a label; passes when it is value",
            requires=("value", "labels"),
            value=_STR,
            labels=_LIST,
            rubric=_STR,
            model=_STR,
            params=(dict,),
        ),
        # custom
        _t(
            "python",
            "a Python function `pkg.module:function` decides",
            requires=("value",),
            value=_STR,
        ),
    ]
}


def split_negation(type_name: str) -> tuple[str, bool]:
    """``not-contains`` -> (``contains``, True)."""
    if type_name.startswith("not-") and type_name[4:] in TYPES:
        return type_name[4:], True
    return type_name, False


def is_known_type(type_name: str) -> bool:
    """True for a registered type, with or without the ``not-`` prefix."""
    return split_negation(type_name)[0] in TYPES


def suggest_type(type_name: str) -> str | None:
    """The closest registered type name, for 'did you mean' hints."""
    base = type_name[4:] if type_name.startswith("not-") else type_name
    hits = difflib.get_close_matches(base, TYPES.keys(), n=1, cutoff=0.6)
    if not hits:
        return None
    return f"not-{hits[0]}" if type_name.startswith("not-") else hits[0]


def check_assertion(data: Mapping[str, Any]) -> list[tuple[str | None, str]]:
    """Problems with one assertion's type and options as (key or None, message) pairs."""
    type_name = data.get("type")
    if not isinstance(type_name, str):
        return []  # the shape check reports a missing or non-text type
    base, _ = split_negation(type_name)
    info = TYPES.get(base)
    if info is None:
        hint = suggest_type(type_name)
        tail = (
            f" (did you mean {hint!r}?)" if hint else f"; known types: {', '.join(sorted(TYPES))}"
        )
        return [("type", f"unknown assertion type {type_name!r}{tail}")]
    problems: list[tuple[str | None, str]] = []
    common = {"type", "value", "field", "weight", "threshold", "normalize", "transform"}
    for key, val in data.items():
        if key in common:
            continue
        if key not in info.options:
            allowed = sorted(info.options)
            close = difflib.get_close_matches(str(key), allowed, n=1)
            more = f" (did you mean {close[0]!r}?)" if close else ""
            listed = f"; {base} takes: {', '.join(allowed)}" if allowed and not close else ""
            if not allowed:
                listed = f"; {base} takes no options besides {', '.join(sorted(common - {'type'}))}"
            problems.append((key, f"unknown option {key!r} for {type_name}{more}{listed}"))
        elif not _is(val, info.options[key]):
            want = " or ".join(t.__name__ for t in info.options[key])
            problems.append((key, f"{key!r} must be {want}, got {type(val).__name__}"))
    for key in info.requires:
        if data.get(key) is None:
            problems.append((None, f"{type_name} needs {key!r}"))
    value = data.get("value")
    if value is not None and info.value_types is not None and not _is(value, info.value_types):
        want = " or ".join(t.__name__ for t in info.value_types)
        problems.append(
            ("value", f"{type_name} needs 'value' to be {want}, got {type(value).__name__}")
        )
    if base in ("length", "between") and data.get("min") is None and data.get("max") is None:
        problems.append((None, f"{type_name} needs 'min', 'max' or both"))
    if not problems:  # deeper checks only once the shapes are right
        problems.extend(_check_values(base, type_name, data))
    return problems


def _is(value: Any, types: tuple[type, ...]) -> bool:
    return isinstance(value, types) and not (isinstance(value, bool) and bool not in types)


# types that look at the call, not at the output's content: a field means nothing to them
_NO_FIELD = frozenset(
    {
        "max-latency-ms",
        "max-ttft-ms",
        "max-cost-usd",
        "max-output-tokens",
        "finish-reason",
        "tool-called",
        "no-tool-called",
    }
)
_TEXTLIKE_ITEMS = ("contains-any", "contains-all")


def _check_values(
    base: str, type_name: str, data: Mapping[str, Any]
) -> list[tuple[str | None, str]]:
    """Checks of what the keys hold: regexes compile, bounds are ordered, schemas are valid."""
    problems: list[tuple[str | None, str]] = []
    value = data.get("value")
    field_path = data.get("field")
    if field_path is not None:
        if base in _NO_FIELD:
            problems.append(("field", f"{type_name} looks at the model call, not a field"))
        elif isinstance(field_path, str):
            problem = _path_problem(field_path)
            if problem:
                problems.append(("field", problem))
    if base == "regex" and isinstance(value, str):
        try:
            re.compile(value, re.IGNORECASE if data.get("ignore_case") else 0)
        except re.error as exc:
            problems.append(("value", f"invalid regular expression {value!r}: {exc}"))
    if base in (*_TEXTLIKE_ITEMS, "one-of") and isinstance(value, list):
        if not value:
            problems.append(("value", f"{type_name} needs at least one value"))
        elif base in _TEXTLIKE_ITEMS:
            bad = [v for v in value if not isinstance(v, str | int | float) or v is None]
            if bad:
                problems.append(
                    ("value", f"{type_name} values must be text or numbers: {bad[0]!r}")
                )
    if base == "length" and data.get("unit", "chars") not in ("chars", "words"):
        problems.append(("unit", f"unit must be 'chars' or 'words', got {data.get('unit')!r}"))
    if base in ("length", "between"):
        low, high = data.get("min"), data.get("max")
        if low is not None and high is not None and low > high:
            problems.append((None, f"{type_name}: min {low} is greater than max {high}"))
    if base == "close-to" and data.get("tolerance") is not None and data["tolerance"] < 0:
        problems.append(("tolerance", "tolerance must be zero or more"))
    if base.startswith("max-") and isinstance(value, int | float) and value < 0:
        problems.append(("value", f"{type_name} needs a value of zero or more"))
    for key in ("value", "min", "max", "tolerance"):
        v = data.get(key)
        if isinstance(v, float) and not math.isfinite(v):
            problems.append((key, f"{key!r} must be a finite number"))
    if base == "json-equals" and isinstance(value, str):
        try:
            json.loads(value)
        except ValueError as exc:
            problems.append(("value", f"json-equals 'value' is text that is not JSON: {exc}"))
    for key in ("schema", "arguments_schema"):
        if isinstance(data.get(key), dict):
            problems.extend((key, m) for m in _schema_problems(data[key]))
    if base == "judge" and not (data.get("rubric") or data.get("value")):
        problems.append((None, "judge needs a 'rubric' (or the rubric as 'value')"))
    model = data.get("model")
    if base in ("judge", "classify") and isinstance(model, str) and ":" not in model:
        problems.append(("model", f"judge model {data['model']!r} must be 'provider:model'"))
    if base == "classify":
        labels = data.get("labels") or []
        if not labels or not all(isinstance(x, str) and x for x in labels):
            problems.append(("labels", "labels must be a non-empty list of texts"))
        elif len(set(labels)) != len(labels):
            problems.append(("labels", "labels must not repeat"))
        elif value not in labels:
            hint = difflib.get_close_matches(str(value), labels, n=1)
            more = f" (did you mean {hint[0]!r}?)" if hint else ""
            problems.append(("value", f"classify value {value!r} is not one of the labels{more}"))
    if base == "python" and isinstance(value, str) and ":" not in value:
        problems.append(
            ("value", f"python needs 'pkg.module:function' or 'file.py:function', got {value!r}")
        )
    return problems


def _path_problem(path: str) -> str | None:
    if path.startswith("/") or path in ("", "$"):
        return None
    if any(step == "" for step in path.removeprefix("$.").split(".")):
        return f"field {path!r} has an empty step; write 'a.b.0' or a JSON Pointer '/a/b/0'"
    return None


def _schema_problems(schema: Mapping[str, Any]) -> list[str]:
    import jsonschema  # here: only specs with a schema pay for it at start-up

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return [
        f"invalid JSON Schema at {e.json_path}: {e.message}"
        for e in cls(cls.META_SCHEMA).iter_errors(schema)
    ]
