"""Trajectory checks: tool-called (step, times, argument modes), no-tool-called,
tool-sequence, max-steps, tool-call-f1 and is-valid-tools-call, on whole exchanges."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from harness.drivers.base import Request, Response, ToolCall
from harness.expect.common import Context
from harness.expect.evaluate import evaluate_case, evaluate_sync
from harness.expect.types import Output, Verdict
from harness.spec.load import load_spec
from harness.spec.types import Assertion, Spec, ToolDef
from harness.tools.trajectory import Trajectory
from tests.expect.helpers import assert_verdict, make_case, make_spec
from tests.fakes.trajectories import call, trajectory

A = Assertion

# search, then get_weather twice (Paris, then Lyon in parallel with search), then the answer
WEATHER = trajectory(
    [call("search", q="weather Paris")],
    [call("get_weather", city="Paris", days=2)],
    [call("get_weather", city="Lyon", days=1, id="c3"), call("search", q="Lyon", id="c4")],
    "Sunny in Paris, rain in Lyon.",
)
TOOLS = (
    ToolDef("search", "search", {"type": "object", "required": ["q"], "properties": {"q": {}}}),
    ToolDef(
        "get_weather",
        "weather",
        {
            "type": "object",
            "required": ["city"],
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "additionalProperties": False,
        },
    ),
)


def verdict(assertion: Assertion, exchange: Trajectory | None, spec: Spec | None = None) -> Verdict:
    """One assertion's verdict on an exchange (None: an output without any response)."""
    if exchange is None:
        out = Output(text="")
    else:
        out = Output(text=exchange.final.text, response=exchange.final, trajectory=exchange)
    spec = spec or make_spec()
    return evaluate_sync(assertion, Context(spec, make_case(assertion), out))


def tool(name: str, **options: Any) -> Assertion:
    value = options.pop("value", name)
    return A("tool-called", value, options=options)


@pytest.mark.parametrize(
    ("assertion", "passed", "reason"),
    [
        pytest.param(tool("get_weather"), True, "called 'get_weather' with", id="any-step"),
        pytest.param(
            tool("get_weather", step=3, arguments={"city": "Lyon"}),
            True,
            "called 'get_weather' in step 3",
            id="step",
        ),
        pytest.param(
            tool("get_weather", step=1),
            False,
            "expected a call to 'get_weather' in step 1; tools called in step 1: search",
            id="step-fail",
        ),
        pytest.param(
            tool("get_weather", step=9),
            False,
            "in step 9 (the exchange has 4 step(s))",
            id="step-beyond",
        ),
        pytest.param(tool("get_weather", times=2), True, "2 time(s) (steps 2, 3)", id="times"),
        pytest.param(
            tool("search", times=1),
            False,
            "called 'search' 2 time(s) (steps 1, 3), expected exactly 1",
            id="times-fail",
        ),
        pytest.param(
            tool("get_weather", times={"min": 3}),
            False,
            "2 time(s) (steps 2, 3), expected at least 3",
            id="times-min-fail",
        ),
        pytest.param(
            tool("get_weather", times={"min": 1, "max": 2}), True, "expected 1 to 2", id="range"
        ),
        pytest.param(tool("book", times=0), True, "'book' 0 time(s), expected exactly 0", id="0"),
        pytest.param(
            tool("get_weather", times={"max": 1}, arguments={"city": "Paris"}),
            True,
            "with matching arguments 1 time(s) (step 2), expected at most 1",
            id="times-with-arguments",
        ),
        pytest.param(
            tool("get_weather", times=2, arguments={"city": "Paris"}),
            False,
            "1 other call(s) did not match: arguments.city is 'Lyon', expected 'Paris' (step 3)",
            id="times-names-the-mismatch",
        ),
        pytest.param(
            tool("get_weather", arguments={"city": "Paris", "days": 2}, arguments_match="exact"),
            True,
            "called 'get_weather'",
            id="exact",
        ),
        pytest.param(
            tool("get_weather", arguments={"city": "Paris"}, arguments_match="exact"),
            False,
            "arguments has days too (arguments_match: exact)",
            id="exact-extra-key",
        ),
        pytest.param(
            tool("get_weather", arguments={"city": "Rome"}),
            False,
            "called 'get_weather' 2 time(s), arguments never matched: "
            "arguments.city is 'Paris', expected 'Rome' (step 2)",
            id="subset-fail",
        ),
        pytest.param(
            tool("get_weather", arguments_regex={"city": "^L", "days": "^1$"}),
            True,
            '{"city": "Lyon", "days": 1} at step 3',
            id="regex",
        ),
        pytest.param(
            tool("get_weather", arguments_regex={"city": "^Rom"}),
            False,
            "arguments.city is 'Paris', which does not match /^Rom/",
            id="regex-fail",
        ),
        pytest.param(
            tool("search", arguments_regex={"limit": "."}),
            False,
            "arguments.limit missing",
            id="regex-missing-argument",
        ),
        pytest.param(
            tool(
                "get_weather",
                arguments_schema={"properties": {"days": {"maximum": 1}}},
                arguments={"city": "Lyon"},
            ),
            True,
            '"Lyon"',
            id="schema-and-subset",
        ),
        pytest.param(
            tool("get_weather", arguments_schema={"properties": {"days": {"maximum": 0}}}),
            False,
            "arguments.days: 2 is greater than the maximum of 0",
            id="schema-fail",
        ),
    ],
)
def test_tool_called(assertion: Assertion, passed: bool, reason: str) -> None:
    assert_verdict(verdict(assertion, WEATHER), passed, reason)


def test_tool_called_on_a_single_call_keeps_its_old_meaning() -> None:
    single = Response("", tool_calls=(ToolCall("f", {"a": 1}),))
    out = Output(text="", response=single)  # no trajectory: a single call
    a = tool("f", arguments={"a": 1}, step=1, times=1)
    assert_verdict(evaluate_sync(a, Context(make_spec(), make_case(a), out)), True, "step 1")


def test_without_a_response_tool_checks_fail_even_negated() -> None:
    for a in (tool("f"), A("tool-called", "f", negate=True), A("max-steps", 3)):
        assert_verdict(verdict(a, None), False, "no model response was recorded")


@pytest.mark.parametrize(
    ("assertion", "passed", "reason"),
    [
        pytest.param(A("no-tool-called", "book"), True, "no call to 'book'", id="named"),
        pytest.param(
            A("no-tool-called"),
            False,
            "called: search, get_weather, get_weather, search",
            id="any-in-any-step",
        ),
        pytest.param(
            A("no-tool-called", options={"step": 4}), True, "no tool called in step 4", id="step"
        ),
        pytest.param(
            A("no-tool-called", "search", options={"step": 3}),
            False,
            "expected no tool call to 'search' in step 3; called: search",
            id="step-fail",
        ),
    ],
)
def test_no_tool_called(assertion: Assertion, passed: bool, reason: str) -> None:
    assert_verdict(verdict(assertion, WEATHER), passed, reason)


def _sequence(value: list[str], **options: Any) -> Assertion:
    return A("tool-sequence", value, options=options)


@pytest.mark.parametrize(
    ("assertion", "passed", "score", "reason"),
    [
        pytest.param(
            _sequence(["search", "get_weather", "search"]),
            True,
            1.0,
            "search -> get_weather -> search called in this order",
            id="subsequence",
        ),
        pytest.param(
            _sequence(["get_weather", "get_weather"]), True, 1.0, "in this order", id="gaps"
        ),
        pytest.param(
            _sequence(["get_weather", "book", "search"]),
            False,
            1 / 3,
            "1 of 3 in order: 'book' not called after get_weather; "
            "called: search -> get_weather -> get_weather -> search",
            id="missing",
        ),
        pytest.param(
            _sequence(["get_weather", "search", "search"]),
            False,
            2 / 3,
            "2 of 3 in order: 'search' not called after get_weather -> search",
            id="order",
        ),
        pytest.param(
            _sequence(["search", "get_weather", "get_weather", "search"], strict=True),
            True,
            1.0,
            "called exactly search -> get_weather -> get_weather -> search",
            id="strict",
        ),
        pytest.param(
            _sequence(["search", "get_weather", "search"], strict=True),
            False,
            0.5,
            "call 3 is 'get_weather', expected 'search' (strict)",
            id="strict-differs",
        ),
        pytest.param(
            _sequence(["search", "get_weather"], strict=True),
            False,
            0.5,
            "2 call(s) after the sequence, from 'get_weather' (strict)",
            id="strict-extra",
        ),
        pytest.param(
            _sequence(["search", "get_weather", "get_weather", "search", "book"], strict=True),
            False,
            0.8,
            "4 call(s), expected 5: 'book' never came (strict)",
            id="strict-short",
        ),
    ],
)
def test_tool_sequence(assertion: Assertion, passed: bool, score: float, reason: str) -> None:
    v = verdict(assertion, WEATHER)
    assert_verdict(v, passed, reason)
    assert v.score == pytest.approx(score)


def test_a_long_sequence_is_named_briefly() -> None:
    many = trajectory(*([call("ping")] for _ in range(40)), "done")
    v = verdict(_sequence(["pong"]), many)
    assert_verdict(v, False, "'pong' not called", "... (40 in all)")
    assert len(v.reason) < 300


@pytest.mark.parametrize(
    ("limit", "stop", "passed", "reason"),
    [
        pytest.param(4, "answer", True, "4 model call(s) <= max 4", id="at-limit"),
        pytest.param(3, "answer", False, "4 model call(s) > max 3", id="over"),
        pytest.param(
            3,
            "max_steps",
            False,
            "the loop stopped at its limit (max_steps 8) while the model was still calling tools",
            id="loop-hit-its-limit",
        ),
    ],
)
def test_max_steps(limit: int, stop: Any, passed: bool, reason: str) -> None:
    exchange = Trajectory(WEATHER.steps, stop=stop)
    assert_verdict(verdict(A("max-steps", limit), exchange), passed, reason)


def test_max_steps_counts_a_single_call_as_one() -> None:
    a = A("max-steps", 1)
    out = Output(text="hi", response=Response("hi"))
    assert_verdict(evaluate_sync(a, Context(make_spec(), make_case(a), out)), True, "1 model")


def _f1(value: list[dict[str, Any]], threshold: float | None = None, **options: Any) -> Assertion:
    return A("tool-call-f1", value, threshold=threshold, options=options)


@pytest.mark.parametrize(
    ("assertion", "passed", "score", "reason"),
    [
        pytest.param(
            _f1(
                [
                    {"name": "search"},
                    {"name": "get_weather", "arguments": {"city": "Paris"}},
                    {"name": "get_weather"},
                    {"name": "search", "arguments": {"q": "Lyon"}},
                ]
            ),
            True,
            1.0,
            "tool-call F1 1.00",
            id="all",
        ),
        pytest.param(
            _f1([{"name": "get_weather", "arguments": {"city": "Lyon"}}]),
            False,
            0.4,
            "precision 0.25 (1 of 4 calls made were expected), recall 1.00 (1 of 1",
            id="extra-calls",
        ),
        pytest.param(
            _f1([{"name": "get_weather", "arguments": {"city": "Lyon"}}], threshold=0.4),
            True,
            0.4,
            "unexpected: search",
            id="threshold",
        ),
        pytest.param(
            _f1(
                [
                    {"name": "search"},
                    {"name": "search"},
                    {"name": "get_weather"},
                    {"name": "get_weather"},
                    {"name": "book", "arguments": {"when": "now"}},
                ]
            ),
            False,
            8 / 9,
            'missing: book({"when": "now"})',
            id="missing",
        ),
        pytest.param(
            # greedy pairing would give the Paris call to the bare entry and miss one
            _f1(
                [
                    {"name": "get_weather"},
                    {"name": "get_weather", "arguments": {"city": "Paris"}},
                    {"name": "search"},
                    {"name": "search"},
                ]
            ),
            True,
            1.0,
            "F1 1.00",
            id="best-pairing",
        ),
        pytest.param(
            _f1(
                [{"name": "get_weather", "arguments": {"city": "Paris"}}],
                arguments_match="exact",
            ),
            False,
            0.0,
            "missing: get_weather",
            id="exact",
        ),
    ],
)
def test_tool_call_f1(assertion: Assertion, passed: bool, score: float, reason: str) -> None:
    v = verdict(assertion, WEATHER)
    assert_verdict(v, passed, reason)
    assert v.score == pytest.approx(score)


def test_tool_call_f1_with_no_calls_made_is_zero() -> None:
    v = verdict(_f1([{"name": "search"}]), trajectory("no tools needed"))
    assert_verdict(v, False, "F1 0.00", "0 of 0 calls made", "missing: search")


def _spec(*tools: ToolDef) -> Spec:
    return Spec(name="s", path="s.yaml", prompt=make_spec().prompt, cases=(), tools=tools)


@pytest.mark.parametrize(
    ("exchange", "step", "passed", "reason"),
    [
        pytest.param(WEATHER, None, True, "all 4 tool call(s) valid", id="valid"),
        pytest.param(
            trajectory([call("get_wether", city="Paris")], "ok"),
            None,
            False,
            "1 of 1 tool call(s) invalid: step 1 call 1 'get_wether': not a declared tool "
            "(did you mean 'get_weather'?)",
            id="unknown-tool",
        ),
        pytest.param(
            trajectory([call("get_weather", city=3, when="now")], "ok"),
            None,
            False,
            "arguments.city: 3 is not of type 'string'",
            id="bad-arguments",
        ),
        pytest.param(
            trajectory([call("get_weather", city="Paris")], [call("search")], "ok"),
            2,
            False,
            "step 2 call 2 'search': arguments: 'q' is a required property",
            id="missing-required-in-step",
        ),
        pytest.param(
            trajectory([call("get_weather", city="Paris")], [call("search")], "ok"),
            1,
            True,
            "all 1 tool call(s) valid",
            id="only-the-step",
        ),
        pytest.param(
            trajectory([ToolCall("search", {}, id="x", raw_arguments='{"q": "unterminated')], "ok"),
            None,
            False,
            'arguments are not JSON: \'{"q": "unterminated\'',
            id="arguments-not-json",
        ),
    ],
)
def test_is_valid_tools_call(
    exchange: Trajectory, step: int | None, passed: bool, reason: str
) -> None:
    a = A("is-valid-tools-call", options={} if step is None else {"step": step})
    assert_verdict(verdict(a, exchange, _spec(*TOOLS)), passed, reason)


def test_is_valid_tools_call_never_passes_on_nothing() -> None:
    a = A("is-valid-tools-call", negate=True)
    no_calls = verdict(a, trajectory("no tools"), _spec(*TOOLS))
    assert_verdict(no_calls, False, "no tool was called", "add tool-called")
    no_tools = verdict(a, WEATHER, _spec())
    assert_verdict(no_tools, False, "the spec declares no tools")


def test_a_broken_tool_schema_is_an_error_not_the_models_fault() -> None:
    broken = ToolDef("search", "s", {"type": "object", "properties": {"q": {"type": 3}}})
    v = verdict(A("is-valid-tools-call"), WEATHER, _spec(broken, TOOLS[1]))
    assert v.error is not None and "tool 'search''s parameters: invalid JSON Schema" in v.error


def test_a_catastrophic_argument_regex_errors_instead_of_hanging() -> None:
    exchange = trajectory([call("search", q="a" * 5000 + "!")], "done")
    v = verdict(tool("search", arguments_regex={"q": "^(a|aa)+$"}), exchange)
    assert v.error is not None and "regex timed out" in v.error


def test_reasons_stay_short_on_a_runaway_exchange() -> None:
    forever = trajectory(*([call(f"tool_{i}")] for i in range(5_000)), "done", history=False)
    for a in (
        tool("book"),
        tool("tool_7", times={"min": 2}),
        A("no-tool-called"),
        A("tool-sequence", ["book"]),
        _f1([{"name": "book"}]),
    ):
        v = verdict(a, forever)
        assert not v.passed and len(v.reason) < 600, (a.type, len(v.reason))
    assert "... (5000 in all)" in verdict(tool("book"), forever).reason


SPEC_YAML = """\
prompt: "What is the weather in {{ city }}?"
tools:
  - name: search
    parameters: {type: object, required: [q], properties: {q: {type: string}}}
  - name: get_weather
    parameters:
      type: object
      required: [city]
      properties: {city: {type: string}, days: {type: integer}}
cases:
  - vars: {city: Paris}
    expect:
      - {type: tool-called, value: get_weather, step: 2, times: 1,
         arguments: {city: Paris, days: 2}, arguments_match: exact}
      - {type: tool-called, value: get_weather, times: {min: 2},
         arguments_regex: {city: "^(Paris|Lyon)$"}}
      - {type: tool-called, value: search, arguments_schema: {required: [q]}}
      - {type: no-tool-called, value: book}
      - {type: tool-sequence, value: [search, get_weather, search]}
      - {type: max-steps, value: 4}
      - {type: tool-call-f1, value: [{name: search}, {name: get_weather}], threshold: 0.6}
      - {type: is-valid-tools-call}
      - {type: not-tool-sequence, value: [get_weather, search, search]}
"""


async def test_a_loaded_spec_checks_a_whole_exchange(tmp_path: Path) -> None:
    """The options as the loader hands them over (YAML, templated, validated) work."""
    path = tmp_path / "weather.yaml"
    path.write_text(SPEC_YAML, encoding="utf-8")
    spec = load_spec(path)
    (case,) = spec.cases
    out = Output(text=WEATHER.final.text, response=WEATHER.final, trajectory=WEATHER)
    result = await evaluate_case(spec, case, out)
    assert [v.passed for v in result.verdicts] == [True] * 9, [v.reason for v in result.verdicts]
    f1 = next(v for v in result.verdicts if v.assertion == "tool-call-f1")
    assert f1.score == pytest.approx(2 / 3) and "(score 0.67 >= 0.60)" in f1.reason


def test_a_misspelt_tool_name_in_the_spec_is_pointed_out() -> None:
    v = verdict(tool("get_wether"), WEATHER, _spec(*TOOLS))
    assert_verdict(
        v, False, "note: the spec declares no tool 'get_wether' (did you mean 'get_weather'?)"
    )
    declared = verdict(tool("search", step=4), WEATHER, _spec(*TOOLS))
    assert "note:" not in declared.reason


# turn 1: search then an answer; turn 2: get_weather twice, then an answer
TWO_TURNS = Trajectory(
    tuple(
        replace(s, turn=1 if s.index <= 2 else 2)
        for s in trajectory(
            [call("search", q="Paris")],
            "Which city?",
            [call("get_weather", city="Paris"), call("get_weather", city="Lyon", id="c2")],
            "Sunny in both.",
        ).steps
    ),
    stop="max_steps",
)


@pytest.mark.parametrize(
    ("assertion", "passed", "reason"),
    [
        pytest.param(tool("search", turn=1), True, "called 'search'", id="in-turn"),
        pytest.param(
            tool("search", turn=2), False, "tools called: get_weather; text", id="not-in-turn"
        ),
        pytest.param(
            tool("get_weather", turn=2, times=2, step=3), True, "2 time(s) in step 3", id="step"
        ),
        pytest.param(A("tool-sequence", ["search"], options={"turn": 1}), True, "", id="sequence"),
        pytest.param(A("no-tool-called", options={"turn": 1}), False, "called: search", id="none"),
        pytest.param(
            A("max-steps", 2, options={"turn": 1}), True, "2 model call(s) <= max 2", id="steps"
        ),
        pytest.param(
            A("max-steps", 2, options={"turn": 2}),
            True,
            "the loop stopped at its limit",  # the last turn carries the exchange's stop
            id="last-turn-stop",
        ),
        pytest.param(
            A("tool-called", "search", negate=True, options={"turn": 3}),
            False,
            "the exchange has no turn 3 (it had 2)",
            id="no-such-turn",
        ),
    ],
)
def test_turn_n_checks_the_calls_of_that_turn(
    assertion: Assertion, passed: bool, reason: str
) -> None:
    assert_verdict(verdict(assertion, TWO_TURNS), passed, reason)


async def test_trajectory_judge_on_a_turn_reads_that_turn() -> None:
    asked: list[Request] = []

    async def judge(model: str, request: Request) -> Response:
        asked.append(request)
        return Response('{"score": 1, "pass": true, "reason": "ok"}', finish_reason="stop")

    a = A("trajectory-judge", options={"rubric": "r", "model": "fake:g", "turn": 2})
    out = Output(text=TWO_TURNS.final.text, response=TWO_TURNS.final, trajectory=TWO_TURNS)
    result = await evaluate_case(make_spec(), make_case(a), out, judge=judge)
    assert result.passed
    transcript = asked[0].messages[1].text
    assert "[assistant, step 3, turn 2]" in transcript and "step 1]" not in transcript
