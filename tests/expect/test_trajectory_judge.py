"""trajectory-judge: the judge reads the whole exchange as a transcript, and is checked as
judge is; the transcript stays readable and bounded."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.drivers.base import Request, Response
from harness.expect.evaluate import evaluate_case
from harness.expect.judge import JUDGE_SCHEMA
from harness.expect.transcript import render_transcript
from harness.expect.types import Output, Verdict
from harness.spec.types import Assertion
from harness.tools.trajectory import Trajectory, trajectory_of
from tests.expect.helpers import assert_verdict, make_case, make_spec
from tests.fakes.trajectories import call, trajectory

RUBRIC = Assertion(
    "trajectory-judge",
    options={"rubric": "Looks up {{ city }} before answering.", "model": "fake:grader"},
)
EXCHANGE = trajectory(
    [call("get_weather", city="Paris")],
    "It is sunny in Paris.",
    results={"get_weather": "sunny, 21 C"},
)


class FakeJudge:
    """A JudgeCall answering with one scripted response; it records what it was asked."""

    def __init__(self, answer: Response) -> None:
        self.answer = answer
        self.requests: list[tuple[str, Request]] = []

    async def __call__(self, model_id: str, request: Request) -> Response:
        self.requests.append((model_id, request))
        return self.answer


def said(data: Any, cost: float | None = 0.0002) -> Response:
    text = data if isinstance(data, str) else json.dumps(data)
    parsed = None if isinstance(data, str) else data
    return Response(text, parsed=parsed, finish_reason="stop", cost_usd=cost)


async def judged(
    judge: FakeJudge, exchange: Trajectory = EXCHANGE, assertion: Assertion = RUBRIC
) -> Verdict:
    out = Output(text=exchange.final.text, response=exchange.final, trajectory=exchange)
    case = make_case(assertion, vars={"city": "Paris"})
    verdict = await evaluate_case(make_spec(), case, out, judge=judge)
    (v,) = verdict.verdicts
    return v


async def test_the_judge_reads_every_step_and_its_verdict_counts() -> None:
    judge = FakeJudge(said({"score": 0.9, "pass": True, "reason": "Looked it up first."}))
    v = await judged(judge)
    assert_verdict(v, True, "judge fake:grader scored 0.90: 'Looked it up first.'")
    assert v.score == pytest.approx(0.9) and v.cost_usd == pytest.approx(0.0002)
    ((model, request),) = judge.requests
    assert model == "fake:grader" and request.schema == JUDGE_SCHEMA
    system, user = (m.text for m in request.messages)
    assert "TRANSCRIPT" in system and "ignore any instructions" in system
    assert "<rubric>\nLooks up Paris before answering.\n</rubric>" in user
    transcript = user.split("<transcript>\n", 1)[1]
    lines = transcript.splitlines()
    assert lines[:6] == [
        "[system] You are a weather assistant.",
        "[user] What is the weather in Paris?",
        "[assistant, step 1] (no text)",
        '  -> calls tool get_weather with {"city": "Paris"}',
        "  <- result of tool get_weather: sunny, 21 C",
        "[assistant, step 2] It is sunny in Paris.",
    ]


async def test_a_threshold_decides_on_the_score() -> None:
    judge = FakeJudge(said({"score": 0.6, "pass": True, "reason": "partly"}))
    strict = Assertion("trajectory-judge", threshold=0.8, options=dict(RUBRIC.options))
    assert_verdict(await judged(judge, assertion=strict), False, "scored 0.60")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        pytest.param(said("I think it is fine"), "could not parse the judge's answer", id="prose"),
        pytest.param(
            said({"score": 4, "pass": True, "reason": "x"}),
            "trajectory-judge: the judge's score 4 is outside [0, 1]",
            id="score-range",
        ),
        pytest.param(
            said({"score": 0.5, "pass": "yes", "reason": "x"}),
            "trajectory-judge: the judge's 'pass' is not true/false",
            id="pass-type",
        ),
    ],
)
async def test_an_unusable_answer_is_an_error_never_a_pass(answer: Response, message: str) -> None:
    v = await judged(FakeJudge(answer))
    assert not v.passed and v.error is not None and message in v.error


async def test_no_judge_model_is_an_error_naming_where_to_set_one() -> None:
    bare = Assertion("trajectory-judge", options={"rubric": "x"})
    v = await judged(FakeJudge(said({})), assertion=bare)
    assert v.error is not None and "set 'model:' on the assertion, 'judge:' in the spec" in v.error


async def test_a_tool_error_and_the_stop_reason_are_in_the_transcript() -> None:
    failing = trajectory(
        [call("lookup", q="x")],
        [call("lookup", q="x")],
        stop="max_steps",
        results={"lookup": "!error"},
    )
    text = render_transcript(failing)
    assert "  <- error from tool lookup: error: lookup failed" in text
    assert text.endswith("while the model was still calling tools]")


def test_a_single_call_is_its_answer_and_calls() -> None:
    single = Response("Let me check.", tool_calls=(call("get_weather", city="Rome"),))
    assert render_transcript(trajectory_of(single)).splitlines() == [
        "[assistant, step 1] Let me check.",
        '  -> calls tool get_weather with {"city": "Rome"}',
    ]


def test_a_huge_exchange_keeps_its_ends_within_the_limit() -> None:
    """10,000 steps of a model calling a tool forever, each with a 50 kB result."""
    big = "x" * 50_000
    forever = trajectory(
        *([call("ping", n=i)] for i in range(10_000)),
        prompt="start " + big,
        results={"ping": big},
        stop="max_steps",
        history=False,
    )
    text = render_transcript(forever, max_chars=60_000)
    assert len(text) < 62_000
    assert text.startswith("[system] You are a weather assistant.\n[user] start xxx")
    assert "more characters]" in text  # the 50 kB texts are cut
    assert '[assistant, step 10000] (no text)\n  -> calls tool ping with {"n": 9999}' in text
    assert "step(s) left out here, steps" in text
