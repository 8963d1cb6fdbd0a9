"""Fuzz the bounds on hostile input: random alias graphs, nesting, templates and regexes.

Each example must end within a time budget and a memory budget, with a result or a
clear problem (never another exception): the limits of :mod:`harness.limits` at work.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import jinja2
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import limits
from harness.cassettes.storage import YAMLSerializer
from harness.expect.common import EvalError
from harness.expect.safe_regex import match
from harness.spec.templating import render
from harness.spec.yaml_loader import load_yaml

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SECONDS = 5.0  # per example, generous for a loaded machine; a bomb takes minutes or forever
MEGABYTES = 64


@pytest.fixture(autouse=True)
def tight_limits() -> Iterator[None]:
    """Short time limits, so a bomb is cut off well inside the budget."""
    limits.configure(limits.Limits(regex_timeout_s=0.2, template_timeout_s=0.3))
    yield
    limits.configure(limits.Limits())


def bounded(fn: Callable[[], Any]) -> Any:
    """``fn()``, checked to stay within the time and memory budget."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        return fn()
    finally:
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        assert elapsed < SECONDS, f"took {elapsed:.1f} s"
        assert peak < MEGABYTES, f"peaked at {peak:.0f} MB"


@st.composite
def alias_graphs(draw: st.DrawFn) -> str:
    """YAML whose anchors refer to earlier anchors (or, sometimes, to themselves)."""
    count = draw(st.integers(1, 12))
    lines = []
    for i in range(count):
        width = draw(st.integers(0, 12))
        refs = [
            f"*a{draw(st.integers(0, i))}" if i and draw(st.booleans()) else "lol"
            for _ in range(width)
        ]
        if draw(st.integers(0, 9)) == 0:
            body = f"&a{i} [*a{i}]" if i else "&a0 [x]"  # a value that contains itself
        elif draw(st.booleans()):
            body = f"&a{i} [{', '.join(refs)}]"
        else:
            body = f"&a{i} {{{', '.join(f'k{j}: {r}' for j, r in enumerate(refs))}}}"
        lines.append(f"key{i}: {body}")
    return "\n".join(lines) + "\n"


@given(alias_graphs())
@FUZZ
def test_alias_graphs_load_or_give_a_problem(text: str) -> None:
    loaded = bounded(lambda: load_yaml(text))
    assert loaded.problems or isinstance(loaded.data, dict)
    for pos, message in loaded.problems:
        assert pos.line >= 1 and pos.col >= 1 and message


@given(alias_graphs())
@FUZZ
def test_alias_graphs_in_cassettes_load_or_raise_a_yaml_error(text: str) -> None:
    def load() -> Any:
        try:
            return YAMLSerializer.deserialize(text)
        except yaml.YAMLError:
            return None

    bounded(load)


@given(st.lists(st.sampled_from(["[", "{a: ", "- ", "[x, "]), max_size=3000), st.booleans())
@FUZZ
def test_nesting_loads_or_gives_a_problem(opens: list[str], block: bool) -> None:
    closers = {"[": "]", "{a: ": "}", "[x, ": "]", "- ": ""}
    if block:
        text = "".join("  " * i + "- \n" for i in range(len(opens))) + "  " * len(opens) + "x\n"
    else:
        inner = "".join(o for o in opens if o != "- ")
        text = "v: " + inner + "1" + "".join(closers[o] for o in reversed(opens) if o != "- ")
    loaded = bounded(lambda: load_yaml(text))
    assert loaded.problems or loaded.data is not None


BIG = st.sampled_from(["10", "1000", "100000", "10000000", "1000000000"])


@st.composite
def templates(draw: st.DrawFn) -> str:
    """Templates built from loops, repetition, powers, padding and macros."""
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        n, m = draw(BIG), draw(BIG)
        parts.append(
            draw(
                st.sampled_from(
                    [
                        f"{{% for i in range({n}) %}}{{% for j in range({m}) %}}{{% endfor %}}"
                        "{% endfor %}",
                        f"{{{{ 'ab' * {n} }}}}",
                        f"{{{{ [0] * {n} * {m} }}}}",
                        f"{{{{ {n} ** {m} }}}}",
                        f"{{{{ 'x'.ljust({n}) }}}}",
                        f"{{{{ '{{:>{n}}}'.format(1) }}}}",
                        f"{{{{ '%{n}s' % 1 }}}}",
                        "{% for c in s %}{{ s }}{% endfor %}",
                        "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
                        "{{ s | length }} {{ s[:3] }}",
                    ]
                )
            )
        )
    return "".join(parts)


@given(templates(), st.text(alphabet="ab", max_size=2000))
@FUZZ
def test_templates_render_or_stop_at_a_limit(template: str, s: str) -> None:
    def go() -> str | None:
        try:
            return render(template, {"s": s})
        except jinja2.TemplateError:  # TemplateLimitError is one
            return None
        except (ValueError, ArithmeticError):  # Python's own: 10**5000 has too many digits
            return None  # (the loader reports any render error as a problem at the case)

    out = bounded(go)
    assert out is None or len(out) <= limits.current().template_max_output


ATOMS = ["a", "aa", "a?", "\\w", ".", "[ab]", "(?:a|aa)", "a*", "b"]


@st.composite
def patterns(draw: st.DrawFn) -> str:
    """Regexes with nested quantifiers, the shape that backtracks without end."""
    pattern = draw(st.sampled_from(ATOMS))
    for _ in range(draw(st.integers(0, 4))):
        other = draw(st.sampled_from(ATOMS))
        shape = draw(st.sampled_from(["({0}|{1})", "({0}{1})", "({0})+", "({0})*", "{0}{1}"]))
        pattern = shape.format(pattern, other)
    return pattern + draw(st.sampled_from(["", "$", "b$", "!"]))


@given(patterns(), st.integers(0, 60), st.sampled_from(["", "!", "b", "ab!"]))
@FUZZ
def test_regexes_match_or_time_out(pattern: str, n: int, tail: str) -> None:
    def go() -> object:
        try:
            return match(pattern, "a" * n + tail)
        except EvalError as exc:
            assert "regex timed out after 0.2 s" in str(exc)
            return None

    bounded(go)
