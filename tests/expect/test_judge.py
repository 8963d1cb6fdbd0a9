"""The judge and classify assertions against a fake JudgeCall and a loopback OpenAI fake."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from harness.drivers.base import ProviderSettings, Request, Response
from harness.drivers.registry import create_driver
from harness.errors import ContentFilterError, ServerError
from harness.expect.judge import JUDGE_SCHEMA
from harness.expect.types import JudgeCall, Verdict
from harness.spec.types import Assertion
from tests.expect.helpers import make_spec, run
from tests.fakes.server import FakeServer, ReceivedRequest, Reply

RUBRIC = Assertion(
    "judge", options={"rubric": "The answer names {{ city }}.", "model": "fake:grader"}
)
LABELS = ["positive", "negative", "neutral"]


class FakeJudge:
    """A JudgeCall that answers from a script and records what it was asked."""

    def __init__(self, *answers: Response | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, Request]] = []

    async def __call__(self, model_id: str, request: Request) -> Response:
        self.calls.append((model_id, request))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def said(data: Any, *, parsed: bool = True, finish: str | None = "stop") -> Response:
    text = data if isinstance(data, str) else json.dumps(data)
    return Response(
        text=text,
        parsed=data if parsed and not isinstance(data, str) else None,
        finish_reason=finish,
    )


async def judged(judge: JudgeCall, assertion: Assertion = RUBRIC, **kw: Any) -> Verdict:
    case = await run(
        assertion, text="The capital is Paris.", judge=judge, vars={"city": "Paris"}, **kw
    )
    assert len(case.verdicts) == 1
    return case.verdicts[0]


@pytest.mark.parametrize(
    ("answer", "passed", "score", "reason"),
    [
        pytest.param(
            said({"score": 0.9, "pass": True, "reason": "Names Paris."}),
            True,
            0.9,
            "judge fake:grader scored 0.90: 'Names Paris.'",
            id="pass",
        ),
        pytest.param(
            said({"score": 0.2, "pass": False, "reason": "Wrong city."}),
            False,
            0.2,
            "Wrong city",
            id="fail",
        ),
        pytest.param(
            said({"score": 1, "pass": True, "reason": "ok"}, parsed=False),
            True,
            1.0,
            "1.00",
            id="from-text",
        ),
        pytest.param(
            said('Verdict:\n```json\n{"score": 0.5, "pass": true, "reason": "meh"}\n```'),
            True,
            0.5,
            "meh",
            id="fenced-text",
        ),
        pytest.param(
            said({"score": 0.7, "pass": True, "reason": "line one\nline two"}),
            True,
            0.7,
            "line one\\nline two",
            id="multiline-reason-kept-on-one-line",
        ),
    ],
)
async def test_scores(answer: Response, passed: bool, score: float, reason: str) -> None:
    v = await judged(FakeJudge(answer))
    assert (v.passed, v.score, v.error) == (passed, score, None), v.reason
    assert reason in v.reason
    assert v.raw == answer.text


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        pytest.param(
            said({"score": "high", "pass": True, "reason": "x"}), "not a number", id="score-text"
        ),
        pytest.param(
            said({"score": 7, "pass": True, "reason": "x"}), "outside [0, 1]", id="score-7"
        ),
        pytest.param(
            said({"score": -0.1, "pass": False, "reason": "x"}), "outside [0, 1]", id="negative"
        ),
        pytest.param(
            said({"score": True, "pass": True, "reason": "x"}), "not a number", id="score-bool"
        ),
        pytest.param(said({"pass": True, "reason": "x"}), "not a number", id="score-missing"),
        pytest.param(
            said({"score": 0.9, "pass": "yes", "reason": "x"}), "not true/false", id="pass-text"
        ),
        pytest.param(said({"score": 0.9, "reason": "x"}), "not true/false", id="pass-missing"),
        pytest.param(
            said("Looks great to me! 10/10"), "could not parse the judge's answer", id="prose"
        ),
        pytest.param(said([0.9, True]), "could not parse", id="array"),
        pytest.param(
            said('{"score": 0.9, "pass": tru'), "could not parse", id="cut-short-not-repaired"
        ),
        pytest.param(said(""), "could not parse", id="empty"),
    ],
)
async def test_malformed_answers_are_errors_with_the_raw_text(answer: Response, error: str) -> None:
    v = await judged(FakeJudge(answer))
    assert not v.passed and v.score == 0.0
    assert v.error is not None and error in v.error, v.error
    assert v.raw == answer.text[:2000]


@pytest.mark.parametrize(
    ("judge", "error"),
    [
        pytest.param(
            FakeJudge(said("I'm sorry, but I can't help with evaluating this content.")),
            "refused to grade",
            id="refusal-text",
        ),
        pytest.param(
            FakeJudge(said("", finish="content_filter")), "refused to grade", id="filtered"
        ),
        pytest.param(
            FakeJudge(ContentFilterError("the model refused", provider="fake", model="grader")),
            "the judge call to fake:grader failed",
            id="driver-content-filter",
        ),
        pytest.param(
            FakeJudge(ServerError("boom", provider="fake")), "failed: fake:", id="server-error"
        ),
    ],
)
async def test_refusals_and_failures_are_errors(judge: FakeJudge, error: str) -> None:
    v = await judged(judge)
    assert not v.passed and v.error is not None and error in v.error, v.error


async def test_negation_does_not_turn_an_error_into_a_pass() -> None:
    negated = Assertion("judge", negate=True, options=RUBRIC.options)
    v = await judged(FakeJudge(said("no idea")), negated)
    assert not v.passed and v.error is not None


async def test_negation_flips_a_score() -> None:
    negated = Assertion("judge", negate=True, options=RUBRIC.options)
    v = await judged(FakeJudge(said({"score": 0.2, "pass": False, "reason": "no"})), negated)
    assert v.passed and v.score == pytest.approx(0.8)
    assert "not-judge passed because judge failed" in v.reason


async def test_threshold_decides_instead_of_the_judges_pass() -> None:
    a = Assertion("judge", threshold=0.8, options=RUBRIC.options)
    v = await judged(FakeJudge(said({"score": 0.7, "pass": True, "reason": "ok"})), a)
    assert not v.passed and v.score == 0.7


async def test_the_request_asks_for_structured_output() -> None:
    judge = FakeJudge(said({"score": 1, "pass": True, "reason": "ok"}))
    await judged(
        judge,
        Assertion("judge", field="answer", value="Is it {{ city }}?"),
        parsed={"answer": "Lyon"},
        judge_model="openai:gpt-4o-mini",
    )
    model_id, request = judge.calls[0]
    assert model_id == "openai:gpt-4o-mini"
    assert request.model == "gpt-4o-mini"
    assert request.schema == JUDGE_SCHEMA
    assert request.params["temperature"] == 0
    user = request.messages[-1].text
    assert "Is it Paris?" in user  # the rubric is rendered with the case's vars
    assert "<output>\nLyon\n</output>" in user  # the field's value is what gets graded


@pytest.mark.parametrize(
    ("assertion_model", "spec_judge", "default", "used"),
    [
        pytest.param("a:1", "b:2", "c:3", "a:1", id="assertion-first"),
        pytest.param(None, "b:2", "c:3", "b:2", id="then-spec"),
        pytest.param(None, None, "c:3", "c:3", id="then-default"),
    ],
)
async def test_which_model_judges(
    assertion_model: str | None, spec_judge: str | None, default: str, used: str
) -> None:
    judge = FakeJudge(said({"score": 1, "pass": True, "reason": "ok"}))
    options = {"rubric": "ok"} | ({"model": assertion_model} if assertion_model else {})
    await judged(
        judge,
        Assertion("judge", options=options),
        spec=make_spec(judge=spec_judge),
        judge_model=default,
    )
    assert judge.calls[0][0] == used


async def test_no_judge_model_is_an_error() -> None:
    v = await judged(FakeJudge(said({})), Assertion("judge", "be nice"))
    assert v.error is not None and "defaults.judge" in v.error


async def test_no_judge_call_is_an_error() -> None:
    case = await run(RUBRIC, text="x", judge=None)
    assert case.verdicts[0].error is not None and not case.passed


async def test_judges_run_concurrently() -> None:
    in_flight = 0
    both = asyncio.Event()

    async def judge(model_id: str, request: Request) -> Response:
        nonlocal in_flight
        in_flight += 1
        if in_flight == 2:
            both.set()
        await asyncio.wait_for(both.wait(), timeout=2)
        return said({"score": 1, "pass": True, "reason": "ok"})

    case = await run(RUBRIC, RUBRIC, text="x", judge=judge, vars={"city": "Paris"})
    assert case.passed, case.reason


@pytest.mark.parametrize(
    ("answer", "passed", "reason"),
    [
        pytest.param(
            said({"label": "positive", "reason": "happy"}),
            True,
            "chose 'positive': 'happy'",
            id="pick",
        ),
        pytest.param(
            said({"label": "negative", "reason": "sad"}),
            False,
            "chose 'negative', expected 'positive'",
            id="other",
        ),
        pytest.param(
            said({"label": "Positive ", "reason": "x"}), True, "chose 'positive'", id="case-folded"
        ),
    ],
)
async def test_classify(answer: Response, passed: bool, reason: str) -> None:
    judge = FakeJudge(answer)
    a = Assertion("classify", "positive", options={"labels": LABELS, "model": "fake:grader"})
    v = await judged(judge, a)
    assert v.passed is passed and v.error is None and reason in v.reason, v.reason
    schema = judge.calls[0][1].schema
    assert schema is not None and schema["properties"]["label"]["enum"] == LABELS


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        pytest.param(said({"label": "joyful", "reason": "x"}), "not one of", id="unknown-label"),
        pytest.param(said({"reason": "x"}), "not one of", id="no-label"),
        pytest.param(said("positive, probably"), "could not parse", id="prose"),
        pytest.param(said("I cannot help with classifying this."), "refused", id="refusal"),
    ],
)
async def test_classify_errors(answer: Response, error: str) -> None:
    a = Assertion("classify", "positive", options={"labels": LABELS, "model": "fake:grader"})
    v = await judged(FakeJudge(answer), a)
    assert not v.passed and v.error is not None and error in v.error, v.error


# --- through the real OpenAI driver and a loopback fake provider ---------------------------


def scripted(
    content: str | None, *, refusal: str | None = None, finish: str = "stop"
) -> Callable[[FakeServer], None]:
    """A fake OpenAI server whose every answer has this content."""

    async def chat(request: ReceivedRequest, server: FakeServer) -> Reply:
        message = {"role": "assistant", "content": content, "refusal": refusal}
        choice = {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
        usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        body = {
            "id": "c1",
            "object": "chat.completion",
            "created": 1,
            "model": "grader",
            "choices": [choice],
            "usage": usage,
        }
        return Reply(json=body)

    def setup(server: FakeServer) -> None:
        server.route("POST", "/v1/chat/completions", chat)

    return setup


@contextlib.asynccontextmanager
async def loopback(
    kind: str | Callable[[FakeServer], None],
) -> AsyncIterator[tuple[FakeServer, JudgeCall]]:
    """A fake OpenAI server on 127.0.0.1 and a JudgeCall through the real OpenAI driver."""
    async with FakeServer(kind) as fake:
        settings = ProviderSettings(
            name="fake", type="openai", base_url=fake.base_url + "/v1", max_retries=0
        )
        async with create_driver(settings) as driver:

            async def judge(model_id: str, request: Request) -> Response:
                return await driver.complete(request)

            yield fake, judge


async def judged_over_http(
    kind: str | Callable[[FakeServer], None], a: Assertion = RUBRIC
) -> tuple[Verdict, FakeServer]:
    async with loopback(kind) as (fake, judge):
        return await judged(judge, a), fake


async def test_loopback_judge_sends_a_json_schema_and_reads_the_score() -> None:
    v, fake = await judged_over_http(
        scripted('{"score": 0.75, "pass": true, "reason": "Names Paris."}')
    )
    assert v.passed and v.score == 0.75 and "Names Paris." in v.reason, v.reason
    body = fake.requests[0].json
    assert body["model"] == "grader"
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["required"] == [
        "score",
        "pass",
        "reason",
    ]


async def test_loopback_generic_fake_gives_a_schema_shaped_verdict() -> None:
    v, _ = await judged_over_http("openai")
    assert v.error is None, v.error  # the stock fake answers with a value fitting the schema
    assert 0.0 <= v.score <= 1.0


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        pytest.param(
            scripted('{"score": "0.9", "pass": true, "reason": "x"}'),
            "not a number",
            id="score-as-text",
        ),
        pytest.param(
            scripted('{"score": 3, "pass": true, "reason": "x"}'), "outside [0, 1]", id="score-3"
        ),
        pytest.param(scripted("The answer is fine."), "could not parse", id="prose"),
        pytest.param(
            scripted("I'm sorry, but I can't assist with grading this."),
            "refused to grade",
            id="refusal-text",
        ),
        pytest.param(
            scripted(None, refusal="I can't help with that."), "refused", id="refusal-field"
        ),
        pytest.param(scripted(None, finish="content_filter"), "filtered", id="content-filter"),
    ],
)
async def test_loopback_malformed_and_refusals(
    setup: Callable[[FakeServer], None], error: str
) -> None:
    v, _ = await judged_over_http(setup)
    assert not v.passed and v.error is not None and error in v.error, v.error


async def test_loopback_classify() -> None:
    a = Assertion("classify", "neutral", options={"labels": LABELS, "model": "fake:grader"})
    v, fake = await judged_over_http(scripted('{"label": "neutral", "reason": "flat"}'), a)
    assert v.passed, v.reason
    enum = fake.requests[0].json["response_format"]["json_schema"]["schema"]["properties"]["label"][
        "enum"
    ]
    assert enum == LABELS
