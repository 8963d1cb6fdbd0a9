"""Assertion values as templates over a case's vars, rendered once when the spec loads.

``{type: equals, field: label, value: "{{ label }}"}`` at the spec level compares each case's
output with that case's own ``label``. Every string inside an assertion's ``value`` and its
type-specific options (``rubric``, ``labels``, ``pattern``, ...) that holds ``{{`` or ``{%``
is a template, rendered in the same sandbox as prompts. A string that is exactly one
variable, ``"{{ age }}"``, keeps the variable's own type (the number 42, not the text "42"),
so ``equals`` on a number field works.

Example:
    >>> a = Assertion("equals", value="{{ label }}", field="label")
    >>> render_assertion(a, {"label": "billing"}).value
    'billing'
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from harness.spec.templating import render, template_variables
from harness.spec.types import Assertion, Case

_MARKS = ("{{", "{%")
_ONE_VARIABLE = re.compile(r"\s*\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*")


def is_template(text: object) -> bool:
    """True for a string that holds a Jinja2 expression or statement."""
    return isinstance(text, str) and any(mark in text for mark in _MARKS)


def templates_in(a: Assertion) -> Iterator[tuple[str, str]]:
    """``(key, source)`` of every template in an assertion's value and options.

    ``key`` is the assertion key the template sits under (``value``, ``rubric``, ...).
    """
    if isinstance(a.value, str) and not a.options:  # the common case, kept cheap
        if is_template(a.value):
            yield "value", a.value
        return
    for key, value in (("value", a.value), *a.options.items()):
        for text in _strings(value):
            if is_template(text):
                yield key, text


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)


@lru_cache(maxsize=1024)
def variables_of(source: str) -> frozenset[str]:
    """The top-level names a template reads (cached: one source serves every case)."""
    return frozenset(template_variables(source))


def render_value(value: Any, variables: Mapping[str, Any]) -> Any:
    """``value`` with every template string in it rendered against ``variables``.

    Raises:
        jinja2.TemplateError: a template fails (undefined variable, syntax, ...).
    """
    if isinstance(value, str):
        if not is_template(value):
            return value
        whole = _ONE_VARIABLE.fullmatch(value)
        if whole and whole.group(1) in variables:
            return variables[whole.group(1)]
        return render(value, variables)
    if isinstance(value, list):
        return [render_value(item, variables) for item in value]
    if isinstance(value, tuple):
        return tuple(render_value(item, variables) for item in value)
    if isinstance(value, Mapping):
        return {k: render_value(v, variables) for k, v in value.items()}
    return value


def render_assertion(a: Assertion, variables: Mapping[str, Any]) -> Assertion:
    """The assertion with its templates rendered; the same object when it has none."""
    if next(templates_in(a), None) is None:
        return a
    return dataclasses.replace(
        a,
        value=render_value(a.value, variables),
        options={k: render_value(v, variables) for k, v in a.options.items()},
    )


def render_case(case: Case, variables: Mapping[str, Any]) -> Case:
    """The case with every assertion's templates rendered against ``variables``."""
    expect = tuple(render_assertion(a, variables) for a in case.expect)
    if all(new is old for new, old in zip(expect, case.expect, strict=True)):
        return case
    return dataclasses.replace(case, expect=expect)
