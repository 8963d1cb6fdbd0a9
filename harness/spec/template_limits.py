"""Bounds on rendering a prompt template: size, ``range()``, and time.

Templates are Jinja2 in a sandbox, which stops attribute tricks but not arithmetic:
``{{ 'a' * 1000000000 }}`` asks for 1 GB and two nested ``range(100000)`` loops never end.
:class:`LimitedEnvironment` refuses a ``*``, ``**`` or ``%`` whose result would pass
``limits.template_max_output``, a ``range()`` longer than ``limits.template_max_range`` and
padding arguments past the output limit, and makes every ``{% for %}`` loop check the
render's deadline (``limits.template_timeout_s``) as it iterates; :func:`render_limited`
stops the output at the output limit; ``~`` and ``+`` are checked before they join, so
text doubled in a loop stops at the limit instead of taking gigabytes. Each gives a
:class:`TemplateLimitError`. A single step is bounded by the size checks, so a loop is the
only way to take long.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from harness import limits as limits_mod

_WIDE = re.compile(r"\d{7,}")  # a width of a million characters or more in a format


class TemplateLimitError(SecurityError):
    """A template asked for more than the limits allow; the message says which limit."""


def _too_big(what: str, size: int) -> TemplateLimitError:
    cap = limits_mod.current().template_max_output
    return TemplateLimitError(
        f"{what} would make {size:,} characters, over the {cap:,} limit "
        "(limits.template_max_output in harness.yaml)"
    )


_WIDTH_ERROR = TemplateLimitError(
    "a format width of a million characters or more (limits.template_max_output in harness.yaml)"
)


def _size(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


class LimitedEnvironment(ImmutableSandboxedEnvironment):
    """The prompt sandbox with size checks on ``*``, ``**``, ``%``, ``range`` and padding."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = limited_range
        self.globals[LOOP_GUARD] = loop_guard
        self.globals[CONCAT] = limited_concat

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return guard_concat(guard_loops(super()._parse(source, name, filename)))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """``left operator right``, refused when the result would be too big."""
        lim = limits_mod.current()
        cap = lim.template_max_output
        if operator == "+":
            n, m = _size(left), _size(right)
            if n is not None and m is not None:
                if isinstance(left, list | tuple) and n + m > lim.template_max_range:
                    raise TemplateLimitError(
                        f"'+' would make a {type(left).__name__} of {n + m:,} items, over "
                        f"the {lim.template_max_range:,} limit (limits.template_max_range)"
                    )
                if isinstance(left, str | bytes) and n + m > cap:
                    raise _too_big(f"'+' of a {type(left).__name__}", n + m)
        elif operator == "*":
            for seq, times in ((left, right), (right, left)):
                n = _size(seq)
                if n is None or not isinstance(times, int):
                    continue
                if isinstance(seq, str | bytes) and n * times > cap:
                    raise _too_big(f"{operator!r} of a {type(seq).__name__}", n * times)
                if isinstance(seq, list | tuple) and n * times > lim.template_max_range:
                    raise TemplateLimitError(
                        f"'*' would make a {type(seq).__name__} of {n * times:,} items, over "
                        f"the {lim.template_max_range:,} limit (limits.template_max_range)"
                    )
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0:
                digits = int(abs(left).bit_length() * right * 0.302) + 1
                if digits > cap:
                    raise _too_big("'**'", digits)
        elif isinstance(left, str) and _WIDE.search(left):
            raise _WIDTH_ERROR
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Call from a template; padding (``ljust``, ``center``, ``format`` widths...) past
        the output limit is refused."""
        cap = limits_mod.current().template_max_output
        if isinstance(getattr(__obj, "__self__", None), str):
            numbers = [a for a in (*args, *kwargs.values()) if isinstance(a, int)]
            if any(n > cap for n in numbers):
                raise _too_big(f"str.{getattr(__obj, '__name__', '?')}()", max(numbers))
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Any:
        """``str.format`` for templates; a width of a million or more is refused."""
        wrapped = super().wrap_str_format(value)
        if wrapped is not None and _WIDE.search(value.__self__):
            raise _WIDTH_ERROR
        return wrapped


def limited_concat(*parts: Any) -> str:
    """``a ~ b ~ ...`` for templates: refused before joining when the text would pass
    ``limits.template_max_output`` (a ``{% set x = x ~ x %}`` loop doubles it each turn)."""
    texts = [p if isinstance(p, str) else str(p) for p in parts]
    size = sum(len(t) for t in texts)
    if size > limits_mod.current().template_max_output:
        raise _too_big("'~'", size)
    return "".join(texts)


def limited_range(*args: int) -> range:
    """``range()`` for templates, at most ``limits.template_max_range`` long."""
    r = range(*args)
    cap = limits_mod.current().template_max_range
    if len(r) > cap:
        raise TemplateLimitError(
            f"range of {len(r):,} numbers, over the {cap:,} limit "
            "(limits.template_max_range in harness.yaml)"
        )
    return r


def render_limited(template: jinja2.Template, variables: Mapping[str, Any]) -> str:
    """Render within the output and time limits.

    Raises:
        TemplateLimitError: the output grew past its limit, the render took too long or
            recursed too deep.
    """
    lim = limits_mod.current()
    parts: list[str] = []
    size = 0
    token = _DEADLINE.set((time.monotonic() + lim.template_timeout_s, lim.template_timeout_s))
    try:
        for chunk in template.generate(**variables):
            size += len(chunk)
            if size > lim.template_max_output:
                raise _too_big("the rendered template", size)
            parts.append(chunk)
            _check_deadline()
    except RecursionError:
        raise TemplateLimitError(
            "the template recurses too deep (a macro calling itself?)"
        ) from None
    finally:
        _DEADLINE.reset(token)
    return "".join(parts)


_DEADLINE: ContextVar[tuple[float, float] | None] = ContextVar("harness_render", default=None)
LOOP_GUARD = "harness_loop_guard"
"""The global every ``{% for %}`` of a template iterates through."""


def _check_deadline() -> None:
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline[0]:
        raise TemplateLimitError(
            f"rendering took over {deadline[1]:g} s (limits.template_timeout_s in harness.yaml)"
        )


def loop_guard(iterable: Any) -> Iterator[Any]:
    """``iterable``, checking the render's deadline as it goes (every 256 steps)."""
    for i, value in enumerate(iterable):
        if not i & 255:
            _check_deadline()
        yield value


CONCAT = "harness_concat"
"""The global every ``~`` of a template joins its parts through."""


class _ConcatGuard(NodeTransformer):
    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        parts = [self.visit(n) for n in node.nodes]
        guard = nodes.Name(CONCAT, "load", lineno=node.lineno)
        return nodes.Call(guard, parts, [], None, None, lineno=node.lineno)


def guard_concat(template: nodes.Template) -> nodes.Template:
    """Make every ``~`` in a parsed template a call of :func:`limited_concat`."""
    out = _ConcatGuard().visit(template)
    assert isinstance(out, nodes.Template)
    return out


def guard_loops(template: nodes.Template) -> nodes.Template:
    """Make every ``{% for %}`` in a parsed template iterate through :func:`loop_guard`."""
    for loop in template.find_all(nodes.For):
        guard = nodes.Name(LOOP_GUARD, "load", lineno=loop.lineno)
        loop.iter = nodes.Call(guard, [loop.iter], [], None, None, lineno=loop.lineno)
    return template
