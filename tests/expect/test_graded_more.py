"""g-eval, factuality and the RAG family through the judge path (fake judges, loopback)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.expect.kinds import geval
from harness.expect.kinds.rag import average_precision
from harness.expect.registry import check_assertion
from harness.expect.types import Verdict
from harness.spec.types import Assertion
from tests.expect.helpers import make_spec, run
from tests.expect.test_judge import FakeJudge, loopback, said, scripted

J = {"model": "fake:grader"}
CONTEXT = [
    "Paris is the capital of France.",
    "The Eiffel Tower was finished in 1889.",
    "Lyon is known for its food.",
]


async def graded(
    a: Assertion, judge: FakeJudge, text: str = "Paris is the capital. It has 3 million people."
) -> Verdict:
    case = await run(
        a,
        text=text,
        judge=judge,
        vars={"context": CONTEXT, "query": "What is the capital of France?"},
    )
    (v,) = case.verdicts
    return v


def items(*rows: tuple[str, str, str], key: str = "claim") -> dict[str, Any]:
    return {"items": [{key: t, "verdict": v, "reason": r} for t, v, r in rows]}


@pytest.fixture(autouse=True)
def _fresh_steps() -> None:
    geval._STEPS.clear()


async def test_g_eval_writes_steps_once_then_scores() -> None:
    judge = FakeJudge(
        said({"steps": ["Check the city", "Check no false facts"]}),
        said({"reason": "Names Paris, adds a wrong number.", "score": 4}),
        said({"reason": "Fine.", "score": 2}),
    )
    a = Assertion("g-eval", options={"criteria": "Correct and concise", **J})
    v = await graded(a, judge)
    assert v.passed and v.score == pytest.approx(0.75)
    assert v.reason == (
        "g-eval fake:grader scored 4/5 = 0.75 >= 0.50: 'Names Paris, adds a wrong number.'"
    )
    steps_request = judge.calls[0][1]
    assert steps_request.schema == geval.STEPS_SCHEMA
    score_request = judge.calls[1][1]
    assert "1. Check the city\n2. Check no false facts" in score_request.messages[1].content
    v2 = await graded(a, judge)  # the steps are reused: one more call, not two
    assert len(judge.calls) == 3 and not v2.passed and v2.score == pytest.approx(0.25)


async def test_g_eval_with_given_steps_makes_one_call() -> None:
    judge = FakeJudge(said({"reason": "ok", "score": 5}))
    a = Assertion("g-eval", "Polite", threshold=0.9, options={"steps": ["Is it polite?"], **J})
    v = await graded(a, judge)
    assert v.passed and v.score == 1.0 and len(judge.calls) == 1


def _logprob_answer() -> dict[str, Any]:
    def tok(text: str, alts: list[tuple[str, float]] | None = None) -> dict[str, Any]:
        top = [{"token": t, "logprob": lp} for t, lp in (alts or [(text, 0.0)])]
        return {"token": text, "logprob": top[0]["logprob"], "top_logprobs": top}

    import math

    tokens = [
        tok('{"'),
        tok("reason"),
        tok('":"ok","'),
        tok("score"),
        tok('":'),
        tok("4", [("4", math.log(0.6)), ("5", math.log(0.3)), ("3", math.log(0.1))]),
        tok("}"),
    ]
    return {"choices": [{"logprobs": {"content": tokens}}]}


def test_the_weighted_score_uses_the_score_tokens_probabilities() -> None:
    assert geval.weighted_score(_logprob_answer()) == pytest.approx(0.6 * 4 + 0.3 * 5 + 0.1 * 3)
    assert geval.weighted_score({"choices": [{"logprobs": None}]}) is None


async def test_g_eval_asks_for_logprobs_and_weighs_the_score() -> None:
    from harness.drivers.base import Response

    answer = Response(
        text='{"reason":"ok","score":4}',
        parsed={"reason": "ok", "score": 4},
        finish_reason="stop",
        raw=_logprob_answer(),
    )
    judge = FakeJudge(answer)
    a = Assertion("g-eval", "Correct", options={"steps": ["x"], "logprobs": True, **J})
    v = await graded(a, judge)
    assert judge.calls[0][1].params["logprobs"] is True
    assert v.score == pytest.approx((4.2 - 1) / 4)
    assert "scored 4.20/5 (probability-weighted)" in v.reason


async def test_g_eval_rejects_a_score_outside_one_to_five() -> None:
    judge = FakeJudge(said({"reason": "great", "score": 9}, parsed=False))
    v = await graded(Assertion("g-eval", "x", options={"steps": ["s"], **J}), judge)
    assert v.error is not None and "not 1 to 5: 9" in v.error and v.raw is not None


@pytest.mark.parametrize(
    ("category", "allow", "passed"),
    [
        pytest.param("subset", None, True, id="subset"),
        pytest.param("disagrees", None, False, id="disagrees"),
        pytest.param("superset", ["same", "subset"], False, id="narrowed"),
    ],
)
async def test_factuality(category: str, allow: list[str] | None, passed: bool) -> None:
    judge = FakeJudge(said({"reason": "Says 3 million.", "category": category}))
    options: dict[str, Any] = {**J, **({"allow": allow} if allow else {})}
    v = await graded(Assertion("factuality", "Paris is the capital.", options=options), judge)
    assert v.passed is passed
    assert v.reason.startswith(f"judge fake:grader: {category}")
    request = judge.calls[0][1]
    assert request.schema is not None
    assert request.schema["properties"]["category"]["enum"][3] == "disagrees"
    assert "<reference>\nParis is the capital.\n</reference>" in request.messages[1].content


async def test_faithfulness_counts_supported_claims_and_names_the_others() -> None:
    judge = FakeJudge(
        said(
            items(
                ("Paris is the capital", "yes", "Passage 0 says so."),
                ("It has 3 million people", "no", "The context gives no population."),
            )
        )
    )
    v = await graded(Assertion("faithfulness", options=J), judge)
    assert v.passed and v.score == 0.5
    assert v.reason == (
        "faithfulness 0.50 >= 0.50: 1 of 2 claims supported by the context; "
        "'It has 3 million people': 'The context gives no population.'"
    )
    assert json.dumps(CONTEXT[0]) in judge.calls[0][1].messages[1].content


async def test_a_missing_context_variable_is_an_error_naming_it() -> None:
    case = await run(Assertion("faithfulness", options=J), text="x", judge=FakeJudge(said({})))
    (v,) = case.verdicts
    assert v.error is not None and "reads the case variable 'context'" in v.error


async def test_answer_relevance_reads_the_query() -> None:
    judge = FakeJudge(
        said(
            items(
                ("Paris is the capital", "yes", "answers"),
                ("I like cheese", "no", "off-topic"),
                key="statement",
            )
        )
    )
    v = await graded(Assertion("answer-relevance", threshold=0.6, options=J), judge)
    assert not v.passed and v.score == 0.5
    assert (
        "<question>\nWhat is the capital of France?\n</question>"
        in judge.calls[0][1].messages[1].content
    )


async def test_answer_relevance_falls_back_to_the_rendered_prompt() -> None:
    judge = FakeJudge(said(items(("Paris", "yes", "ok"), key="statement")))
    case = await run(
        Assertion("answer-relevance", options=J),
        text="Paris",
        judge=judge,
        vars={"q": "Capital of France?"},
        spec=make_spec(),
    )
    assert case.passed
    assert "<question>\nCapital of France?\n</question>" in judge.calls[0][1].messages[1].content


@pytest.mark.parametrize(
    ("useful", "score"),
    [
        pytest.param([True, False, False], 1.0, id="first"),
        pytest.param([False, False, True], 1 / 3, id="last"),
        pytest.param([True, False, True], (1 + 2 / 3) / 2, id="two"),
        pytest.param([False, False, False], 0.0, id="none"),
    ],
)
def test_average_precision(useful: list[bool], score: float) -> None:
    assert average_precision(useful) == pytest.approx(score)


async def test_context_precision_needs_a_verdict_per_passage() -> None:
    good = FakeJudge(
        said(
            items(("Paris", "yes", "a"), ("Eiffel", "no", "b"), ("Lyon", "no", "c"), key="passage")
        )
    )
    a = Assertion("context-precision", "Paris", options=J)
    v = await graded(a, good)
    assert v.passed and v.score == 1.0 and "useful passages at ranks 1 of 3" in v.reason
    short = FakeJudge(said(items(("Paris", "yes", "a"), key="passage")))
    v2 = await graded(a, short)
    assert v2.error is not None and "rated 1 passages, the context has 3" in v2.error


async def test_context_recall() -> None:
    judge = FakeJudge(
        said(
            items(
                ("Paris is the capital", "yes", "p0"),
                ("It is on the Seine", "no", "absent"),
                key="statement",
            )
        )
    )
    v = await graded(
        Assertion("context-recall", "Paris is the capital, on the Seine.", options=J), judge
    )
    assert v.passed and v.score == 0.5 and "'It is on the Seine': 'absent'" in v.reason


async def test_a_judge_answer_that_is_not_yes_no_items_is_an_error() -> None:
    judge = FakeJudge(said({"items": [{"claim": "x", "verdict": "maybe", "reason": "?"}]}))
    v = await graded(Assertion("faithfulness", options=J), judge)
    assert v.error is not None and "not yes/no verdicts" in v.error


async def test_faithfulness_through_the_openai_driver_and_a_loopback_server() -> None:
    answer = json.dumps(items(("Paris is the capital", "yes", "passage 0")))
    async with loopback(scripted(answer)) as (fake, judge):
        case = await run(
            Assertion("faithfulness", options=J),
            text="Paris is the capital.",
            judge=judge,
            vars={"context": "Paris is the capital of France.\n\nLyon has food."},
        )
    (v,) = case.verdicts
    assert v.passed and v.score == 1.0, v.reason
    body = fake.requests[0].json
    assert body["response_format"]["type"] == "json_schema"
    assert body["temperature"] == 0
    assert '"Paris is the capital of France.",\n"Lyon has food."' in body["messages"][1]["content"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({"type": "g-eval"}, "g-eval needs 'criteria'", id="g-eval-criteria"),
        pytest.param(
            {"type": "g-eval", "criteria": "x", "steps": []}, "at least one step", id="steps"
        ),
        pytest.param({"type": "factuality"}, "factuality needs 'value'", id="factuality-value"),
        pytest.param(
            {"type": "factuality", "value": "x", "allow": ["sames"]}, "'allow'", id="allow"
        ),
        pytest.param({"type": "context-recall"}, "context-recall needs 'value'", id="recall"),
        pytest.param(
            {"type": "faithfulness", "model": "gpt-4o"}, "'provider:model'", id="judge-model"
        ),
    ],
)
def test_option_problems(data: dict[str, Any], message: str) -> None:
    problems = check_assertion(data)
    assert any(message in m for _, m in problems), problems


def _priced(data: dict[str, Any], cost: float | None) -> Any:
    from harness.drivers.base import Response

    return Response(text=json.dumps(data), parsed=data, finish_reason="stop", cost_usd=cost)


async def test_a_verdict_carries_what_its_judge_calls_cost() -> None:
    judge = FakeJudge(
        _priced({"steps": ["a"]}, 0.001), _priced({"reason": "ok", "score": 5}, 0.002)
    )
    v = await graded(Assertion("g-eval", "x", options=J), judge)
    assert v.cost_usd == pytest.approx(0.003)  # writing the steps, then scoring
    unknown = FakeJudge(_priced(items(("c", "yes", "r")), None))
    assert (await graded(Assertion("faithfulness", options=J), unknown)).cost_usd is None
    plain = FakeJudge(_priced({"score": 1, "pass": True, "reason": "r"}, 0.0005))
    assert (await graded(Assertion("judge", "polite", options=J), plain)).cost_usd == 0.0005


async def test_g_eval_logprobs_through_the_openai_driver() -> None:
    from tests.fakes.server import FakeServer, ReceivedRequest, Reply

    async def chat(request: ReceivedRequest, server: FakeServer) -> Reply:
        content = '{"reason":"ok","score":4}'
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": None},
            "finish_reason": "stop",
            "logprobs": _logprob_answer()["choices"][0]["logprobs"],
        }
        return Reply(
            json={
                "id": "c1",
                "object": "chat.completion",
                "created": 1,
                "model": "grader",
                "choices": [choice],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            }
        )

    def setup(server: FakeServer) -> None:
        server.route("POST", "/v1/chat/completions", chat)

    a = Assertion("g-eval", "Correct", options={"steps": ["x"], "logprobs": True, **J})
    async with loopback(setup) as (fake, judge):
        case = await run(a, text="Paris", judge=judge)
    (v,) = case.verdicts
    assert v.score == pytest.approx((4.2 - 1) / 4), v.reason
    body = fake.requests[0].json
    assert body["logprobs"] is True and body["top_logprobs"] == 5
