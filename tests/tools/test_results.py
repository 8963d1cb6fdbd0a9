"""Tool results: each form of ``result:`` read from a spec and resolved for one call."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from harness import limits
from harness.tools.results import (
    Fixed,
    Matches,
    NoResult,
    PythonResult,
    TemplateResult,
    ToolFailed,
    parse_result,
    resolve,
)

TOOLS_PY = """
import asyncio, time

def weather(city, vars):
    return {"city": city, "unit": vars["unit"]}

async def slow_add(a, b):
    await asyncio.sleep(0)
    return a + b

def broken(**kwargs):
    raise ValueError("the weather service is down")

def hangs(**kwargs):
    time.sleep(60)

async def hangs_async(**kwargs):
    await asyncio.sleep(60)

def huge(**kwargs):
    return "x" * 5_000_000
"""


@pytest.fixture
def tools_dir(tmp_path: Path) -> Path:
    (tmp_path / "harness.yaml").write_text("{}\n")
    (tmp_path / "tools.py").write_text(TOOLS_PY)
    return tmp_path


@pytest.fixture
def short_python_timeout() -> Iterator[None]:
    saved = limits.current()
    limits.configure(replace(saved, python_timeout_s=0.2))
    yield
    limits.configure(saved)


def _parsed(value: Any, base: Path) -> Any:
    result, problems = parse_result(value, base)
    assert problems == []
    return result


@pytest.mark.parametrize(
    ("value", "args", "sent"),
    [
        pytest.param("18 C", {}, "18 C", id="text-as-is"),
        pytest.param(42, {}, "42", id="number-as-json"),
        pytest.param(
            {"temp": 18, "unit": "C"}, {}, '{"temp": 18, "unit": "C"}', id="mapping-as-json"
        ),
        pytest.param(
            {"value": {"python": "not code"}}, {}, '{"python": "not code"}', id="value-escape"
        ),
        pytest.param(
            [{"when": {"city": "Paris"}, "then": 18}, {"then": "unknown"}],
            {"city": "Paris"},
            "18",
            id="when-equal",
        ),
        pytest.param(
            [{"when": {"city": "Paris"}, "then": 18}, {"then": "unknown"}],
            {"city": "Lyon"},
            "unknown",
            id="catch-all",
        ),
        pytest.param(
            [{"when": {"city": {"regex": "^Lon"}}, "then": "rain"}, {"then": "sun"}],
            {"city": "London"},
            "rain",
            id="when-regex",
        ),
        pytest.param(
            [{"when": {"n": 2}, "then": "two"}, {"then": "other"}],
            {"n": "2"},
            "other",
            id="text-is-not-a-number",
        ),
        pytest.param(
            [{"when": {"a": 1}, "then": "first"}, {"when": {"a": 1}, "then": "second"}],
            {"a": 1},
            "first",
            id="first-match-wins",
        ),
        pytest.param(
            [{"when": {"a": 1, "b": {"regex": "x"}}, "then": "both"}, {"then": "not both"}],
            {"a": 1, "b": "yyy"},
            "not both",
            id="every-condition-must-hold",
        ),
        pytest.param(
            {"template": "{{ args.city }} in {{ vars.unit }}"},
            {"city": "Oslo"},
            "Oslo in C",
            id="template",
        ),
    ],
)
async def test_a_result_form_sends_what_the_spec_says(
    value: Any, args: dict[str, Any], sent: str, tmp_path: Path
) -> None:
    result = _parsed(value, tmp_path)
    assert await resolve(result, "weather", args, {"unit": "C"}) == sent


def test_the_forms_are_told_apart(tmp_path: Path) -> None:
    assert isinstance(_parsed("x", tmp_path), Fixed)
    assert isinstance(_parsed([1, 2], tmp_path), Fixed)  # a plain list is a value
    assert isinstance(_parsed({"template": "{{ args.a }}"}, tmp_path), TemplateResult)
    assert isinstance(_parsed([{"then": 1}], tmp_path), Matches)
    assert parse_result(None, tmp_path) == (None, [])


async def test_no_result_and_no_match_name_the_tool_and_what_to_add(tmp_path: Path) -> None:
    with pytest.raises(NoResult, match="tool 'lookup', which has no result: add 'result:'"):
        await resolve(None, "lookup", {}, {})
    result = _parsed([{"when": {"city": "Paris"}, "then": 18}], tmp_path)
    with pytest.raises(NoResult, match=r"no 'when:' of tool 'lookup' matches .*Lyon.*catch-all"):
        await resolve(result, "lookup", {"city": "Lyon"}, {})


@pytest.mark.parametrize(
    ("value", "where", "message"),
    [
        pytest.param({"when": {"a": 1}, "then": 2}, (), "goes in a list", id="when-not-in-a-list"),
        pytest.param([{"when": {"a": 1}}], (0,), "needs 'then'", id="match-without-then"),
        pytest.param(
            [{"when": {"a": 1}, "then": 1, "else": 2}],
            (0, "else"),
            "unknown key 'else'",
            id="extra-key",
        ),
        pytest.param(
            [{"when": {"a": 1}, "thn": 1}],
            (0, "thn"),
            "unknown key 'thn' in a match (did you mean 'then'?)",
            id="typo-did-you-mean",
        ),
        pytest.param(
            [{"when": {"a": {"regex": "("}}, "then": 1}],
            (0, "when", "a", "regex"),
            "invalid regex",
            id="bad-regex",
        ),
        pytest.param(
            {"template": "{{ city }}"},
            ("template",),
            "{{ args.city }}",
            id="template-reads-a-bare-name",
        ),
        pytest.param(
            {"template": "{% if %}"}, ("template",), "template syntax error", id="template-syntax"
        ),
        pytest.param(
            {"python": "nowhere.py:fn"}, ("python",), "not found", id="python-file-missing"
        ),
        pytest.param(
            {"python": "tools.py:missing"},
            ("python",),
            "no top-level 'missing'",
            id="python-name-missing",
        ),
        pytest.param({"python": 3}, ("python",), "needs text", id="python-not-text"),
    ],
)
def test_a_wrong_result_is_a_problem_at_its_key(
    value: Any, where: tuple[Any, ...], message: str, tools_dir: Path
) -> None:
    result, problems = parse_result(value, tools_dir)
    assert result is None
    assert [p[0] for p in problems] == [where]
    assert message in problems[0][1]


async def test_python_results_get_the_arguments_and_the_vars(tools_dir: Path) -> None:
    weather = _parsed({"python": "tools.py:weather"}, tools_dir)
    assert isinstance(weather, PythonResult)
    sent = await resolve(weather, "weather", {"city": "Oslo"}, {"unit": "C"})
    assert sent == '{"city": "Oslo", "unit": "C"}'
    add = _parsed({"python": "tools.py:slow_add"}, tools_dir)
    assert await resolve(add, "add", {"a": 2, "b": 3}, {}) == "5"


async def test_a_python_tool_that_raises_is_a_tool_failure(tools_dir: Path) -> None:
    broken = _parsed({"python": "tools.py:broken"}, tools_dir)
    with pytest.raises(
        ToolFailed, match="'weather' raised ValueError: the weather service is down"
    ):
        await resolve(broken, "weather", {}, {})
    add = _parsed({"python": "tools.py:slow_add"}, tools_dir)
    with pytest.raises(ToolFailed, match="unexpected keyword argument 'c'"):
        await resolve(add, "add", {"a": 1, "b": 2, "c": 3}, {})


@pytest.mark.parametrize("name", ["hangs", "hangs_async"])
async def test_a_python_tool_that_hangs_ends_at_its_deadline(
    name: str, tools_dir: Path, short_python_timeout: None
) -> None:
    result = _parsed({"python": f"tools.py:{name}"}, tools_dir)
    started = time.monotonic()
    with pytest.raises(ToolFailed, match=r"did not .* within 0\.2 s.*python_timeout_s"):
        await resolve(result, "slow", {}, {})
    assert time.monotonic() - started < 5


async def test_a_template_bomb_is_refused_not_rendered(tmp_path: Path) -> None:
    bomb = _parsed({"template": "{{ 'x' * 1000000000 }}"}, tmp_path)
    with pytest.raises(ToolFailed, match=r"template of 'big' failed.*limit"):
        await resolve(bomb, "big", {}, {})
    loops = _parsed(
        {
            "template": "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
        },
        tmp_path,
    )
    with pytest.raises(ToolFailed, match="limit"):
        await resolve(loops, "big", {}, {})


async def test_a_catastrophic_regex_on_an_argument_is_a_tool_failure(
    tmp_path: Path,
) -> None:
    saved = limits.current()
    limits.configure(replace(saved, regex_timeout_s=0.1))
    try:
        result = _parsed([{"when": {"s": {"regex": "(a|aa)+$"}}, "then": 1}], tmp_path)
        with pytest.raises(ToolFailed, match="regex timed out"):
            await resolve(result, "t", {"s": "a" * 5000 + "b"}, {})
    finally:
        limits.configure(saved)


async def test_a_python_tool_that_returns_too_much_is_a_tool_failure(tools_dir: Path) -> None:
    result = _parsed({"python": "tools.py:huge"}, tools_dir)
    with pytest.raises(ToolFailed, match=r"returned 5,000,000 characters, over the 1,000,000"):
        await resolve(result, "big", {}, {})
