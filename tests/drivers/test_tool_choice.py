"""The ``tool_choice`` param in each wire format, and the errors for values none can take."""

from __future__ import annotations

from typing import Any

import pytest

from harness.drivers.base import Request
from harness.drivers.tool_choice import ToolChoice, tool_choice, tool_choice_problem
from harness.errors import BadRequestError
from tests.drivers.tool_loop import DRIVERS, TOOLS
from tests.drivers.tool_loop import request_body as body


@pytest.mark.parametrize(
    ("kind", "value", "field", "expected"),
    [
        pytest.param("openai", "auto", "tool_choice", "auto", id="openai-auto"),
        pytest.param("openai", "required", "tool_choice", "required", id="openai-required"),
        pytest.param("openai", "none", "tool_choice", "none", id="openai-none"),
        pytest.param(
            "openai",
            "lookup",
            "tool_choice",
            {"type": "function", "function": {"name": "lookup"}},
            id="openai-named",
        ),
        pytest.param("anthropic", "auto", "tool_choice", {"type": "auto"}, id="anthropic-auto"),
        pytest.param("anthropic", "required", "tool_choice", {"type": "any"}, id="anthropic-any"),
        pytest.param("anthropic", "none", "tool_choice", {"type": "none"}, id="anthropic-none"),
        pytest.param(
            "anthropic",
            "lookup",
            "tool_choice",
            {"type": "tool", "name": "lookup"},
            id="anthropic-named",
        ),
        pytest.param(
            "gemini",
            "auto",
            "toolConfig",
            {"functionCallingConfig": {"mode": "AUTO"}},
            id="gemini-auto",
        ),
        pytest.param(
            "gemini",
            "required",
            "toolConfig",
            {"functionCallingConfig": {"mode": "ANY"}},
            id="gemini-any",
        ),
        pytest.param(
            "gemini",
            "none",
            "toolConfig",
            {"functionCallingConfig": {"mode": "NONE"}},
            id="gemini-none",
        ),
        pytest.param(
            "gemini",
            "lookup",
            "toolConfig",
            {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["lookup"]}},
            id="gemini-named",
        ),
    ],
)
def test_each_value_maps_to_the_wire_formats_own_field(
    kind: str, value: str, field: str, expected: Any
) -> None:
    assert body(kind, value)[field] == expected


@pytest.mark.parametrize(
    ("value", "offered"),
    [
        pytest.param("auto", ["add", "lookup"], id="auto"),
        pytest.param("required", ["add", "lookup"], id="required-unforced"),
        pytest.param("none", None, id="none-sends-no-tools"),
        pytest.param("lookup", ["lookup"], id="named-sends-only-that-tool"),
    ],
)
def test_ollama_has_no_tool_choice_so_the_tools_sent_change(
    value: str, offered: list[str] | None
) -> None:
    sent = body("ollama", value)
    assert "tool_choice" not in sent
    names = [t["function"]["name"] for t in sent["tools"]] if "tools" in sent else None
    assert names == offered


@pytest.mark.parametrize("kind", list(DRIVERS))
def test_unset_tool_choice_sends_nothing(kind: str) -> None:
    sent = body(kind, None)
    assert "tool_choice" not in sent and "toolConfig" not in sent


@pytest.mark.parametrize("kind", ["openai", "anthropic", "gemini"])
def test_without_tools_a_keyword_is_left_out(kind: str) -> None:
    # the APIs refuse a tool_choice when no tools are offered
    sent = body(kind, "auto", tools=False)
    assert "tool_choice" not in sent and "toolConfig" not in sent


@pytest.mark.parametrize("kind", list(DRIVERS))
@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(
            "requird",
            "tool_choice 'requird' is not auto, required, none or a tool's name (add, lookup)",
            id="typo",
        ),
        pytest.param("search", "tool_choice 'search' is not auto", id="unknown-tool"),
        pytest.param(3, "tool_choice must be a string, not int 3", id="not-a-string"),
    ],
)
def test_unknown_values_are_a_clear_error(kind: str, value: Any, message: str) -> None:
    with pytest.raises(BadRequestError) as info:
        body(kind, value)
    assert message in str(info.value)
    assert "fix the tool_choice param" in str(info.value)
    assert str(info.value).startswith(f"{kind}:m: ")


def test_required_needs_tools() -> None:
    with pytest.raises(BadRequestError, match="'required' needs tools"):
        body("openai", "required", tools=False)


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_a_mapping_is_the_wire_formats_own_form_and_passes_unchanged(kind: str) -> None:
    native = {"type": "function", "function": {"name": "add"}}
    assert body(kind, native)["tool_choice"] == native


@pytest.mark.parametrize("kind", ["gemini", "ollama"])
def test_a_mapping_is_refused_where_the_wire_format_has_none(kind: str) -> None:
    with pytest.raises(BadRequestError, match="another wire format's own form"):
        body(kind, {"type": "any"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, {"type": "auto", "disable_parallel_tool_use": True}, id="unset"),
        pytest.param("required", {"type": "any", "disable_parallel_tool_use": True}, id="any"),
        pytest.param("none", {"type": "none"}, id="none-takes-no-flag"),
    ],
)
def test_anthropic_takes_parallel_tool_calls_false_as_disable_parallel_tool_use(
    value: str | None, expected: dict[str, Any]
) -> None:
    assert body("anthropic", value, parallel_tool_calls=False)["tool_choice"] == expected


def test_openai_sends_parallel_tool_calls_only_with_tools() -> None:
    assert body("openai", None, parallel_tool_calls=False)["parallel_tool_calls"] is False
    assert "parallel_tool_calls" not in body("openai", None, tools=False, parallel_tool_calls=False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("auto", ToolChoice("auto"), id="auto"),
        pytest.param("lookup", ToolChoice("tool", "lookup"), id="named"),
        pytest.param(None, None, id="unset"),
    ],
)
def test_tool_choice_reads_the_param(value: str | None, expected: ToolChoice | None) -> None:
    request = Request("m", (), params={"tool_choice": value}, tools=TOOLS)
    assert tool_choice(request) == expected


def test_tool_choice_problem_is_what_a_spec_check_can_reuse() -> None:
    assert tool_choice_problem("none", ()) is None
    assert tool_choice_problem("add", ("add",)) is None
    assert tool_choice_problem("add", ()) == (
        "tool_choice 'add' is not auto, required, none or a tool's name (the call offers no tools)"
    )
