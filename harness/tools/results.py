"""What harness sends back when a model calls a spec's tool: the forms of ``result:``.

::

    result: 42                                  # a fixed value (non-text is sent as JSON)
    result: {value: {python: not code}}         # a fixed value that looks like another form
    result: {template: "{{ args.city }}: 18 C"} # Jinja over the call's args and the case's vars
    result: {python: tools.py:weather}          # your function, sync or async
    result:                                     # matches: the first whose `when` fits wins
      - when: {city: Paris}                     #   an argument equal to a value
        then: {temp_c: 18}
      - when: {city: {regex: "^Lon"}}           #   an argument (as text) matching a regex
        then: {template: "rain in {{ args.city }}"}
      - then: unknown city                      #   no `when`: any call

:func:`parse_result` reads what a spec wrote (and says what is wrong, without running
anything); :func:`resolve` produces the text sent to the model for one call.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from harness import limits
from harness.expect.common import EvalError
from harness.expect.deadline import DeadlineExceeded, call_with_deadline
from harness.expect.safe_regex import compile_pattern, match
from harness.spec.imports import ImportRefError, import_callable
from harness.spec.python_refs import ref_problem
from harness.spec.templating import render, template_variables

__all__ = [
    "FORMS",
    "Fixed",
    "Matches",
    "NoResult",
    "PythonResult",
    "Regex",
    "ResultDef",
    "TemplateResult",
    "ToolFailed",
    "parse_result",
    "resolve",
    "result_text",
]

FORMS = ("value", "template", "python")
"""The one-key mappings that are a form of result rather than a fixed mapping."""


@dataclass(frozen=True, slots=True)
class Fixed:
    """Always this value."""

    value: Any


@dataclass(frozen=True, slots=True)
class TemplateResult:
    """A Jinja template over ``args`` (the call's arguments) and ``vars`` (the case's)."""

    source: str


@dataclass(frozen=True, slots=True)
class PythonResult:
    """``module:function`` or ``file.py:function`` (relative to ``base_dir``, the spec's
    folder), called with the arguments as keywords (and ``vars=`` if it takes ``vars``)."""

    ref: str
    base_dir: str


@dataclass(frozen=True, slots=True)
class Regex:
    """A ``when`` condition: the argument, as text, contains a match of ``pattern``."""

    pattern: str


Then = Fixed | TemplateResult | PythonResult


@dataclass(frozen=True, slots=True)
class Match:
    """One entry of a matches list: ``when`` every condition holds, send ``then``."""

    when: Mapping[str, Any]
    then: Then


@dataclass(frozen=True, slots=True)
class Matches:
    """A list of matches; the first that fits the call's arguments wins."""

    matches: tuple[Match, ...]


ResultDef = Fixed | TemplateResult | PythonResult | Matches
Problem = tuple[tuple[str | int, ...], str]
"""Where below ``result`` (a path of keys) and what is wrong."""


class NoResult(Exception):
    """The spec gives no result for this call (no ``result:``, or no match fits)."""


class ToolFailed(Exception):
    """The tool raised (a python result, or a template that failed to render)."""


# parsing (load and validate time: nothing a spec names runs here)


def parse_result(value: Any, base_dir: Path) -> tuple[ResultDef | None, list[Problem]]:
    """The result a spec wrote, or the problems with it (paths relative to ``result``)."""
    if value is None:
        return None, []
    if isinstance(value, list) and _looks_like_matches(value):
        return _matches(value, base_dir)
    if isinstance(value, dict) and ("when" in value or "then" in value) and len(value) <= 2:
        return None, [((), "a `when:` match goes in a list: result: [{when: {...}, then: ...}]")]
    return _then(value, base_dir, ())


def _looks_like_matches(value: list[Any]) -> bool:
    return any(isinstance(v, dict) and ("when" in v or "then" in v) for v in value)


def _then(
    value: Any, base_dir: Path, where: tuple[str | int, ...]
) -> tuple[Then | None, list[Problem]]:
    if not (isinstance(value, dict) and len(value) == 1 and next(iter(value)) in FORMS):
        return Fixed(value), []
    form, arg = next(iter(value.items()))
    at = (*where, form)
    if form == "value":
        return Fixed(arg), []
    if not isinstance(arg, str) or not arg.strip():
        return None, [(at, f"'{form}' needs text, got {type(arg).__name__}")]
    if form == "template":
        try:
            names = template_variables(arg)
        except jinja2.TemplateSyntaxError as exc:
            message = f"template syntax error on template line {exc.lineno}: {exc.message}"
            return None, [(at, message)]
        unknown = sorted(names - {"args", "vars"})
        if unknown:
            return None, [
                (
                    at,
                    f"a result template reads 'args' (the call's arguments) and 'vars' (the "
                    f"case's), not {', '.join(map(repr, unknown))}: write "
                    f"{{{{ args.{unknown[0]} }}}} or {{{{ vars.{unknown[0]} }}}}",
                )
            ]
        return TemplateResult(arg), []
    problem = ref_problem(arg, base_dir)  # located and read, never run
    if problem:
        return None, [(at, f"python result: {problem}")]
    return PythonResult(arg, str(base_dir.resolve())), []


def _matches(value: list[Any], base_dir: Path) -> tuple[Matches | None, list[Problem]]:
    out: list[Match] = []
    problems: list[Problem] = []
    for i, entry in enumerate(value):
        extra = sorted(set(entry) - {"when", "then"}, key=str) if isinstance(entry, dict) else []
        if extra:
            close = difflib.get_close_matches(str(extra[0]), ["when", "then"], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ": it takes 'when' and 'then'"
            problems.append(((i, extra[0]), f"unknown key {extra[0]!r} in a match{hint}"))
            continue
        if not isinstance(entry, dict) or "then" not in entry:
            message = "each match needs 'then' (and 'when', except a last catch-all)"
            problems.append(((i,), message))
            continue
        when = entry.get("when") or {}
        if not isinstance(when, dict):
            problems.append(((i, "when"), "'when' maps argument names to values or {regex: ...}"))
            continue
        conditions: dict[str, Any] = {}
        for arg, want in when.items():
            if isinstance(want, dict) and set(want) == {"regex"}:
                pattern = want["regex"]
                bad = _pattern_problem(pattern)
                if bad:
                    problems.append(((i, "when", arg, "regex"), bad))
                    continue
                want = Regex(pattern)
            conditions[str(arg)] = want
        then, then_problems = _then(entry["then"], base_dir, (i, "then"))
        problems.extend(then_problems)
        if then is not None:
            out.append(Match(conditions, then))
    return (Matches(tuple(out)) if not problems else None), problems


def _pattern_problem(pattern: Any) -> str | None:
    if not isinstance(pattern, str):
        return f"'regex' needs text, got {type(pattern).__name__}"
    import re

    try:
        compile_pattern(pattern)
    except re.error as exc:
        return f"invalid regex {pattern!r}: {exc}"
    return None


# resolving (run time)


def result_text(value: Any) -> str:
    """What the model receives: text as is, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


async def resolve(
    result: ResultDef | None, tool: str, args: Mapping[str, Any], variables: Mapping[str, Any]
) -> str:
    """The text sent back for one call of ``tool`` with ``args``.

    Raises:
        NoResult: the spec gives no result for this call (the message says what to add).
        ToolFailed: the tool raised, ran out of time, or its template failed.
    """
    if result is None:
        raise NoResult(
            f"the model called tool {tool!r}, which has no result: add 'result:' to the tool "
            "(a value, a list of {when: ..., then: ...}, {template: ...} or {python: module:fn})"
        )
    then: Then
    if isinstance(result, Matches):
        found = _first_match(result, args)
        if found is None:
            raise NoResult(
                f"no 'when:' of tool {tool!r} matches the arguments "
                f"{result_text(dict(args))[:200]}: add a match for them, or a last "
                "catch-all entry with 'then:' and no 'when:'"
            )
        then = found
    else:
        then = result
    if isinstance(then, Fixed):
        return result_text(then.value)
    if isinstance(then, TemplateResult):
        try:
            return render(then.source, {"args": dict(args), "vars": dict(variables)})
        except (jinja2.TemplateError, RecursionError) as exc:
            raise ToolFailed(f"the result template of {tool!r} failed: {exc}") from None
    text = result_text(await _call_python(then, tool, args, variables))
    cap = limits.current().template_max_output
    if len(text) > cap:  # a result goes into every later request of the exchange
        raise ToolFailed(
            f"tool {tool!r} returned {len(text):,} characters, over the {cap:,} limit "
            "(limits.template_max_output in harness.yaml)"
        )
    return text


def _first_match(result: Matches, args: Mapping[str, Any]) -> Then | None:
    for m in result.matches:
        if all(_holds(want, args, name) for name, want in m.when.items()):
            return m.then
    return None


def _holds(want: Any, args: Mapping[str, Any], name: str) -> bool:
    if name not in args:
        return False
    got = args[name]
    if isinstance(want, Regex):
        text = got if isinstance(got, str) else result_text(got)
        try:
            return match(want.pattern, text) is not None
        except EvalError as exc:  # catastrophic backtracking on this argument
            raise ToolFailed(str(exc)) from None
    if isinstance(want, str) or isinstance(got, str):
        return isinstance(want, str) and isinstance(got, str) and want == got
    return bool(want == got and isinstance(want, bool) == isinstance(got, bool))


def load_python(ref: str, base_dir: str) -> Callable[..., Any]:
    """Import (once) the function a python result or tool names.

    Raises:
        ToolFailed: it cannot be imported or is not callable.
    """
    try:
        fn: Callable[..., Any] = import_callable(ref, Path(base_dir))
    except ImportRefError as exc:
        raise ToolFailed(f"python {ref}: {exc}") from None
    return fn


def takes_vars(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` declares a ``vars`` parameter (it then gets the case's vars)."""
    try:
        return "vars" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


async def _call_python(
    then: PythonResult, tool: str, args: Mapping[str, Any], variables: Mapping[str, Any]
) -> Any:
    fn = load_python(then.ref, then.base_dir)
    kwargs = dict(args)
    if takes_vars(fn):
        kwargs["vars"] = dict(variables)
    timeout = limits.current().python_timeout_s
    try:  # a partial of an async function is still awaited as one (inspect unwraps it)
        return await call_with_deadline(functools.partial(fn, **kwargs), timeout=timeout)
    except DeadlineExceeded as exc:
        raise ToolFailed(
            f"tool {tool!r} ({then.ref}) {exc} (raise limits.python_timeout_s in harness.yaml "
            "if it needs longer)"
        ) from None
    except Exception as exc:  # the user's code may raise anything: a tool error
        raise ToolFailed(f"tool {tool!r} raised {type(exc).__name__}: {exc}") from None
