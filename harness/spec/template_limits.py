"""Bounds on rendering a prompt template: size, ``range()``, and time.

Templates are Jinja2 in a sandbox, which stops attribute tricks but not arithmetic:
``{{ 'a' * 1000000000 }}`` asks for 1 GB and two nested ``range(100000)`` loops never end.
:class:`LimitedEnvironment` refuses a ``*``, ``**`` or ``%`` whose result would pass
``limits.template_max_output``, a ``range()`` longer than ``limits.template_max_range`` and
padding arguments past the output limit; :func:`rendering` stops the output at the
output limit and, through a watchdog thread, interrupts a render that runs past
``limits.template_timeout_s`` (a pure-Python loop, which is what Jinja compiles to, is
interrupted between two bytecodes). Each gives a :class:`TemplateLimitError`.
"""

from __future__ import annotations

import ctypes
import re
import threading
import time
from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

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

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = limited_range

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """``left operator right``, refused when the result would be too big."""
        cap = limits_mod.current().template_max_output
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                n = _size(seq)
                if n is not None and isinstance(times, int) and n * times > cap:
                    raise _too_big(f"{operator!r} of a {type(seq).__name__}", n * times)
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
    try:
        with _deadline(lim.template_timeout_s):
            for chunk in template.generate(**variables):
                size += len(chunk)
                if size > lim.template_max_output:
                    raise _too_big("the rendered template", size)
                parts.append(chunk)
    except RecursionError:
        raise TemplateLimitError(
            "the template recurses too deep (a macro calling itself?)"
        ) from None
    except TemplateTimeout:  # the interrupt landed on the way out of the render
        raise TemplateLimitError(
            f"rendering took over {lim.template_timeout_s:g} s "
            "(limits.template_timeout_s in harness.yaml)"
        ) from None
    return "".join(parts)


class TemplateTimeout(Exception):
    """Raised inside a render's thread by the watchdog when its time is up."""


class _Watchdog:
    """One daemon thread for the process: interrupts renders past their deadline."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active: dict[int, tuple[float, object]] = {}  # thread id -> (deadline, token)
        self.fired: set[object] = set()
        self.thread: threading.Thread | None = None

    def watch(self) -> None:
        while True:
            time.sleep(0.05)
            now = time.monotonic()
            with self.lock:
                for tid, (deadline, token) in list(self.active.items()):
                    if now > deadline and token not in self.fired:
                        self.fired.add(token)
                        _raise_in(tid, TemplateTimeout)

    def start(self, tid: int, deadline: float, token: object) -> None:
        with self.lock:
            self.active[tid] = (deadline, token)
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self.watch, name="harness-template-watchdog", daemon=True
                )
                self.thread.start()

    def stop(self, tid: int, token: object) -> bool:
        """Stop watching; True when the watchdog fired (a pending interrupt is cleared)."""
        with self.lock:
            self.active.pop(tid, None)
            if token not in self.fired:
                return False
            self.fired.discard(token)
            _raise_in(tid, None)  # not raised yet? then it never will be
            return True


_WATCHDOG = _Watchdog()


def _raise_in(tid: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(tid), ctypes.py_object(exc) if exc is not None else None
    )


class _deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.token = object()
        self.tid = threading.get_ident()

    def __enter__(self) -> None:
        _WATCHDOG.start(self.tid, time.monotonic() + self.seconds, self.token)

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        fired = _WATCHDOG.stop(self.tid, self.token)
        if fired or isinstance(exc, TemplateTimeout):
            raise TemplateLimitError(
                f"rendering took over {self.seconds:g} s "
                "(limits.template_timeout_s in harness.yaml)"
            ) from None
