"""The trajectory record: calls in order, turns, and the JSON the store keeps."""

from __future__ import annotations

from harness.drivers.base import Message, Response, ToolCall, Usage
from harness.tools.trajectory import Step, ToolResult, Trajectory, steps_json, trajectory_of


def _exchange() -> Trajectory:
    add = ToolCall("add", {"a": 1, "b": 1}, id="c1")
    look = ToolCall("lookup", {"q": "x"}, id="c2")
    first = (Message("system", "be brief"), Message("user", "what is 1+1?"))
    s1 = Step(
        1,
        1,
        first,
        Response("", tool_calls=(add, look), usage=Usage(10, 3), cost_usd=0.5),
        (ToolResult(add, "2"), ToolResult(look, "boom", error="ValueError: boom")),
    )
    second = (
        *first,
        Message("assistant", "", tool_calls=(add, look)),
        Message("tool", "2", tool_call_id="c1"),
        Message("tool", "boom", tool_call_id="c2"),
    )
    s2 = Step(2, 1, second, Response("it is 2"))
    third = (*second, Message("assistant", "it is 2"), Message("user", "and 2+2?"))
    s3 = Step(3, 2, third, Response("4"))
    return Trajectory((s1, s2, s3))


def test_calls_are_numbered_in_order_with_their_step_and_turn() -> None:
    calls = _exchange().calls()
    assert [(c.step, c.turn, c.position, c.call.name) for c in calls] == [
        (1, 1, 1, "add"),
        (1, 1, 2, "lookup"),
    ]


def test_turns_and_the_answer_of_each_turn() -> None:
    t = _exchange()
    assert t.turns == 2
    assert t.final.text == "4"
    answer = t.turn_answer(1)
    assert answer is not None and answer.text == "it is 2"
    assert t.turn_answer(3) is None
    assert [r.content for r in t.results()] == ["2", "boom"]


def test_steps_json_keeps_only_what_each_step_added() -> None:
    steps = steps_json(_exchange())
    assert [s["step"] for s in steps] == [1, 2, 3]
    assert steps[0]["sent"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "what is 1+1?"},
    ]
    assert steps[1]["sent"] == []  # the tool results are the first step's results
    assert steps[2]["sent"] == [{"role": "user", "content": "and 2+2?"}]
    assert steps[0]["tool_calls"][1] == {"id": "c2", "name": "lookup", "arguments": {"q": "x"}}
    assert steps[0]["results"][1]["error"] == "ValueError: boom"
    assert (steps[0]["input_tokens"], steps[0]["output_tokens"], steps[0]["cost_usd"]) == (
        10,
        3,
        0.5,
    )


def test_a_single_response_is_a_one_step_trajectory() -> None:
    call = ToolCall("add", {}, id="x")
    t = trajectory_of(Response("", tool_calls=(call,)))
    assert [c.call for c in t.calls()] == [call]
    assert trajectory_of(None).steps == ()
