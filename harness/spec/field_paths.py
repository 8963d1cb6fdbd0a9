"""Assertion ``field:`` paths checked against the spec's output schema when the spec loads.

``{type: equals, field: lable}`` under a schema whose object declares ``label`` can never
pass; it is a validation problem (``... no property 'lable' (did you mean 'label'?)``), not
a run of failures. Paths the schema leaves open (no ``properties``, ``additionalProperties``
as a schema, ``patternProperties``) are let through.

The same walk finds the type a field holds, so a text value compared with a number or
boolean field (a CSV cell, or ``"{{ priority }}"`` rendered from one) is read as that type:
``"2"`` -> ``2``, ``"true"`` -> ``True``.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from harness.errors import SpecProblem
from harness.expect.paths import split_path
from harness.spec.case_templates import Place, PlaceOf
from harness.spec.types import Assertion, Case
from harness.spec.yaml_loader import PathKey

Schema = Mapping[str, Any]
_OPEN = object()  # the schema does not say what is there
_INTEGER = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_COMPARED = frozenset({"equals", "one-of"})
ABSENCE_CHECKS = frozenset({"field-present"})
"""Types whose ``not-`` form asserts the field is missing: never a problem."""


def field_problem(schema: Schema, field: str) -> str | None:
    """Why ``field`` cannot exist in an output valid under ``schema``; None if it can."""
    result = _walk(schema, schema, split_path(field), ())
    return result if isinstance(result, str) else None


def field_schema(schema: Schema, field: str) -> Schema | None:
    """The subschema ``field`` holds, when the schema says so plainly."""
    result = _walk(schema, schema, split_path(field), ())
    return result if isinstance(result, Mapping) else None


def _walk(root: Schema, node: Any, steps: tuple[str, ...], done: tuple[str, ...]) -> Any:
    """The subschema at ``steps`` (``done`` already walked), :data:`_OPEN`, or a problem."""
    node = _deref(root, node)
    if not isinstance(node, Mapping) or len(done) > 64:
        return _OPEN
    if not steps:
        return node
    branches = [b for key in ("anyOf", "oneOf", "allOf") for b in node.get(key) or ()]
    if branches:
        results = [_walk(root, b, steps, done) for b in branches]
        found = [r for r in results if not isinstance(r, str)]
        return found[0] if found else results[0]
    step, rest = steps[0], steps[1:]
    kinds = _kinds(node)
    here = f"under {'.'.join(done)!r}" if done else "at the top level"
    at = f"at {'.'.join(done)!r}" if done else "at the top level"
    deeper = (*done, step)
    if "object" in kinds or "properties" in node:
        props = node.get("properties")
        if isinstance(props, Mapping) and step in props:
            return _walk(root, props[step], rest, deeper)
        extra = node.get("additionalProperties")
        if isinstance(extra, Mapping):
            return _walk(root, extra, rest, deeper)
        if node.get("patternProperties") or not isinstance(props, Mapping) or not props:
            return _OPEN
        names = list(props)
        close = difflib.get_close_matches(step, names, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        listed = ", ".join(repr(n) for n in names[:12]) + (", ..." if len(names) > 12 else "")
        return f"the schema has no property {step!r} {here}{hint}; it has {listed}"
    if "array" in kinds or "items" in node or "prefixItems" in node:
        if not (_INTEGER.fullmatch(step)):
            return f"the schema has an array {at}, and {step!r} is not an index"
        prefix = node.get("prefixItems")
        index = int(step)
        if isinstance(prefix, list) and 0 <= index < len(prefix):
            return _walk(root, prefix[index], rest, deeper)
        items = node.get("items")
        return _walk(root, items, rest, deeper) if isinstance(items, Mapping) else _OPEN
    if kinds and kinds <= {"string", "number", "integer", "boolean", "null"}:
        kind = " or ".join(sorted(kinds))
        return f"the schema has {_article(kind)} {kind} {at}, which has no field {step!r}"
    return _OPEN


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _kinds(node: Mapping[str, Any]) -> set[str]:
    kind = node.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)}
    return set()


def _deref(root: Schema, node: Any) -> Any:
    seen = 0
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and seen < 32:
        ref = node["$ref"]
        if not ref.startswith("#"):
            return _OPEN
        target: Any = root
        for part in ref[1:].split("/")[1:] if ref != "#" else ():
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, Mapping) or part not in target:
                return _OPEN
            target = target[part]
        node, seen = target, seen + 1
    return node


def value_kinds(root: Schema, node: Any) -> set[str]:
    """The JSON types a subschema allows, through ``$ref`` and ``anyOf``/``oneOf``."""
    node = _deref(root, node)
    if not isinstance(node, Mapping):
        return set()
    kinds = _kinds(node)
    for key in ("anyOf", "oneOf"):
        for branch in node.get(key) or ():
            kinds |= value_kinds(root, branch)
    return kinds


def typed_value(kinds: set[str], value: Any) -> Any:
    """``value`` read as a number or boolean when it is text and ``kinds`` has no string."""
    if not isinstance(value, str):
        return value
    if "string" in kinds or not kinds:
        return value
    text = value.strip()
    if kinds & {"integer", "number"} and _INTEGER.fullmatch(text):
        return int(text)
    if "number" in kinds and _NUMBER.fullmatch(text):
        return float(text)
    if "boolean" in kinds and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return value


def _typed(kinds_of: Callable[[str], set[str] | None], a: Assertion) -> Assertion:
    if a.type not in _COMPARED or a.field is None:
        return a
    kinds = kinds_of(a.field)
    if kinds is None:
        return a
    if a.type == "one-of" and isinstance(a.value, list):
        value: Any = [typed_value(kinds, v) for v in a.value]
    else:
        value = typed_value(kinds, a.value)
    return (
        a
        if value == a.value and type(value) is type(a.value)
        else dataclasses.replace(a, value=value)
    )


def check_field_paths(
    schema: Schema,
    cases: Sequence[Case],
    spec_expect: Sequence[Assertion],
    place: PlaceOf,
) -> tuple[list[Case], list[SpecProblem]]:
    """Cases with compared values typed by the schema, and every impossible ``field:``.

    A problem in a spec-level assertion is reported once; one repeated by many rows of a
    cases file (an ``expected_lable`` column) once, with the number of rows. Each distinct
    field is walked once, however many cases name it.
    """
    check = FieldPaths(schema, spec_expect, place)
    out = [check.case(case) for case in cases]
    return out, check.problems()


class FieldPaths:
    """:func:`check_field_paths` one case at a time: feed every case to :meth:`case`,
    then read :meth:`problems` (so a cases file can be checked as a stream)."""

    def __init__(self, schema: Schema, spec_expect: Sequence[Assertion], place: PlaceOf) -> None:
        self.found: dict[tuple[str, str, str], tuple[Place, int]] = {}
        self.place = place
        self.spec_path = place(None, ()).path
        self.spec_expect_count = len(spec_expect)

        @functools.cache
        def problem_of(field: str) -> str | None:
            return field_problem(schema, field)

        @functools.cache
        def kinds_of(field: str) -> set[str] | None:
            target = field_schema(schema, field)
            return None if target is None else value_kinds(schema, target)

        self.problem_of = problem_of
        self.kinds_of = kinds_of
        for j, a in enumerate(spec_expect):
            if a.field is not None:
                self._note(None, ("expect", j, "field"), f"expect.{j}", a)

    def _note(self, case: Case | None, path: PathKey, key: str, a: Assertion) -> None:
        assert a.field is not None
        if a.negate and a.type in ABSENCE_CHECKS:
            return  # checking that a field is absent is fine for a field the schema lacks
        problem = self.problem_of(a.field)
        if problem is None:
            return
        where = self.place(case, path)
        message = f"field {a.field!r}: {problem}"
        # rows of a cases file share one line; the spec's own keys each keep theirs
        group = (
            where.path,
            f"{where.line}:{where.col}" if where.path == self.spec_path else key,
            message,
        )
        first, count = self.found.get(group, (where, 0))
        self.found[group] = (first, count + 1)

    def typed(self, case: Case) -> Case:
        """The case with compared values read as the types their fields hold."""
        expect = tuple(_typed(self.kinds_of, a) for a in case.expect)
        changed = any(new is not old for new, old in zip(expect, case.expect, strict=True))
        return dataclasses.replace(case, expect=expect) if changed else case

    def case(self, case: Case) -> Case:
        """Check one case's ``field:`` paths; the case, typed."""
        for k, a in enumerate(case.expect[self.spec_expect_count :]):
            if a.field is not None:
                self._note(case, ("expect", k, "field"), f"case-expect.{k}.{a.field}", a)
        return self.typed(case)

    def problems(self) -> list[SpecProblem]:
        """Every impossible field found so far."""
        problems: list[SpecProblem] = []
        for (_, _, message), (where, count) in self.found.items():
            rows = f" (and {count - 1} more cases like it)" if count > 1 else ""
            problems.append(
                SpecProblem(where.path, where.line, where.col, f"{message}{rows}", where.where)
            )
        return problems
