"""Cost, speed, finish reason, refusal and tool-call assertions."""

from __future__ import annotations

import pytest

from harness.drivers.base import Response, ToolCall, Usage
from harness.expect.refusal import refusal_phrase
from harness.spec.types import Assertion
from tests.expect.helpers import assert_verdict, check

A = Assertion
FULL = Response(
    text="Paris",
    latency_ms=850.0,
    ttft_ms=120.0,
    cost_usd=0.0021,
    usage=Usage(input_tokens=30, output_tokens=12),
    finish_reason="stop",
)
BARE = Response(text="Paris")


@pytest.mark.parametrize(
    ("assertion", "response", "passed", "reason"),
    [
        pytest.param(
            A("max-latency-ms", 1000), FULL, True, "latency 850 ms <= max 1000 ms", id="latency"
        ),
        pytest.param(
            A("max-latency-ms", 500), FULL, False, "latency 850 ms > max 500 ms", id="latency-fail"
        ),
        pytest.param(
            A("max-ttft-ms", 100), FULL, False, "time to first token 120 ms > max", id="ttft"
        ),
        pytest.param(
            A("max-cost-usd", 0.01), FULL, True, "cost 0.0021 USD <= max 0.01 USD", id="cost"
        ),
        pytest.param(
            A("max-output-tokens", 10), FULL, False, "output tokens 12 > max 10", id="tokens"
        ),
        pytest.param(
            A("max-latency-ms", 1000), BARE, False, "latency unknown", id="latency-unknown"
        ),
        pytest.param(A("max-ttft-ms", 1000), BARE, False, "stream: true", id="ttft-unknown"),
        pytest.param(
            A("max-cost-usd", 1), BARE, False, "no price for this model", id="cost-unknown"
        ),
        pytest.param(
            A("max-output-tokens", 1), BARE, False, "reported no usage", id="usage-unknown"
        ),
        pytest.param(A("max-cost-usd", 1), None, False, "no model response", id="no-response"),
        pytest.param(A("finish-reason", "STOP"), FULL, True, "finish reason 'stop'", id="finish"),
        pytest.param(
            A("finish-reason", "length"), FULL, False, "expected 'length'", id="finish-fail"
        ),
        pytest.param(A("finish-reason", "stop"), BARE, False, "reported none", id="finish-unknown"),
    ],
)
def test_metrics(
    assertion: Assertion, response: Response | None, passed: bool, reason: str
) -> None:
    assert_verdict(check(assertion, "Paris", response=response), passed, reason)


@pytest.mark.parametrize(
    "assertion",
    [
        pytest.param(A("max-cost-usd", 1, negate=True), id="cost"),
        pytest.param(A("max-latency-ms", 1, negate=True), id="latency"),
        pytest.param(A("finish-reason", "stop", negate=True), id="finish"),
    ],
)
def test_an_unknown_metric_never_passes_even_negated(assertion: Assertion) -> None:
    v = check(assertion, "Paris", response=BARE)
    assert not v.passed
    assert "not flipped" in v.reason and "unknown" in v.reason


REFUSALS = [
    "I'm sorry, but I can't help with that request.",
    "I can’t assist with that.",
    "I cannot provide instructions for building weapons.",
    "I won't write malware.",
    "As an AI language model, I cannot browse the internet.",
    "I must respectfully decline.",
    "Sorry, I am unable to help with this.",
    "That request violates our usage policies.",
    "I'm not able to share personal data.",
]
ANSWERS = [
    "The capital of France is Paris.",
    "I can't stress this enough: always validate input.",
    "I cannot believe how simple this is: 2 + 2 = 4.",
    "Sorry for the wait! Here is the list you asked for.",
    "You cannot divide by zero, so the function raises ZeroDivisionError.",
    "They won't help you if you don't ask.",
    "A long answer. " * 40 + "I can't help with that.",  # past the opening: not a refusal
]


@pytest.mark.parametrize("text", [pytest.param(t, id=t[:30]) for t in REFUSALS])
def test_refusals_are_detected(text: str) -> None:
    assert refusal_phrase(text) is not None
    assert_verdict(check(A("is-refusal"), text), True, "refusal:")


@pytest.mark.parametrize("text", [pytest.param(t, id=t[:30]) for t in ANSWERS])
def test_answers_are_not_refusals(text: str) -> None:
    assert refusal_phrase(text) is None
    assert_verdict(check(A("is-refusal"), text), False, "no refusal phrase")


def test_an_empty_filtered_answer_is_a_refusal() -> None:
    v = check(A("is-refusal"), "", response=Response(text="", finish_reason="content_filter"))
    assert_verdict(v, True, "content_filter")


def test_not_is_refusal_passes_on_an_answer() -> None:
    assert_verdict(check(A("is-refusal", negate=True), "Paris."), True, "not-is-refusal passed")


CALLED = Response(
    text="",
    tool_calls=(
        ToolCall("search", {"q": "weather", "opts": {"units": "C", "limit": 3}}),
        ToolCall("get_weather", {"city": "Paris", "days": 2}),
    ),
)
WEATHER_SCHEMA = {
    "type": "object",
    "required": ["city"],
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "maximum": 7}},
}


@pytest.mark.parametrize(
    ("assertion", "response", "passed", "reason"),
    [
        pytest.param(
            A("tool-called", "get_weather"), CALLED, True, "called 'get_weather'", id="name"
        ),
        pytest.param(
            A("tool-called", "get_weather", options={"arguments": {"city": "Paris"}}),
            CALLED,
            True,
            '{"city": "Paris", "days": 2}',
            id="partial-args",
        ),
        pytest.param(
            A("tool-called", "search", options={"arguments": {"opts": {"units": "C"}}}),
            CALLED,
            True,
            "called 'search'",
            id="nested-partial",
        ),
        pytest.param(
            A("tool-called", "get_weather", options={"arguments": {"city": "London"}}),
            CALLED,
            False,
            "arguments.city is 'Paris', expected 'London'",
            id="wrong-arg",
        ),
        pytest.param(
            A("tool-called", "get_weather", options={"arguments": {"country": "FR"}}),
            CALLED,
            False,
            "arguments.country missing",
            id="missing-arg",
        ),
        pytest.param(
            A("tool-called", "get_weather", options={"arguments_schema": WEATHER_SCHEMA}),
            CALLED,
            True,
            "called",
            id="schema",
        ),
        pytest.param(
            A(
                "tool-called",
                "get_weather",
                options={"arguments_schema": {**WEATHER_SCHEMA, "required": ["city", "date"]}},
            ),
            CALLED,
            False,
            "'date' is a required property",
            id="schema-fail",
        ),
        pytest.param(
            A("tool-called", "book"),
            CALLED,
            False,
            "tools called: get_weather, search",
            id="other-tool",
        ),
        pytest.param(A("tool-called", "book"), BARE, False, "tools called: none", id="no-calls"),
        pytest.param(A("no-tool-called"), BARE, True, "no tool called", id="none"),
        pytest.param(
            A("no-tool-called"), CALLED, False, "called: search, get_weather", id="none-fail"
        ),
        pytest.param(
            A("no-tool-called", "book"), CALLED, True, "no call to 'book'", id="none-named"
        ),
        pytest.param(
            A("no-tool-called", "search"),
            CALLED,
            False,
            "expected no tool call to 'search'",
            id="named-fail",
        ),
    ],
)
def test_tools(assertion: Assertion, response: Response, passed: bool, reason: str) -> None:
    assert_verdict(check(assertion, response.text, response=response), passed, reason)
