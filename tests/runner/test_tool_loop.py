"""The tool loop and multi-turn conversations, run by the item executor against a fake
model that calls tools (tests/fakes/tools_fake.py), through the real pool and cassettes."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness import limits
from harness.cassettes.recorder import Recorder
from harness.config import ProjectConfig, load_config
from harness.drivers.base import ModelPrice, ProviderSettings
from harness.expect.evaluate import evaluate_case
from harness.expect.types import CaseVerdict, Output
from harness.hooks import CallFinished, CallStarted, Hooks
from harness.runner.budget import Budget
from harness.runner.estimate import call_cost
from harness.runner.item_executor import ItemExecutor
from harness.runner.items import Item
from harness.runner.pool import Pool
from harness.runner.requests import build_request
from harness.spec.load import load_spec
from harness.spec.types import Case, Spec
from harness.store.records import ResultRecord
from tests.fakes.server import FakeServer

LOOKUP = {
    "name": "lookup",
    "parameters": {"type": "object", "properties": {"item": {"type": "string"}}},
    "result": [
        {"when": {"item": {"regex": "kettle"}}, "then": "blue kettle: $34.50"},
        {"when": {"item": "red toaster"}, "then": {"price": 49.0}},
        {"then": "error: no such item"},
    ],
}
CALCULATE = {
    "name": "calculate",
    "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}},
    "result": [{"when": {"expression": "34.50 * 3"}, "then": 103.5}, {"then": "error: no"}],
}


@dataclass
class Project:
    """A project folder, a fake tools model and a way to run one case of a spec on it."""

    root: Path
    server: FakeServer
    config: ProjectConfig
    seen: list[Output]
    hooks: list[object] = field(default_factory=list)

    def spec(self, **keys: Any) -> Spec:
        data = {
            "name": "shop",
            "prompt": "{{ q }}",
            "tools": [LOOKUP, CALCULATE],
            "cases": [{"id": "c", "vars": {"q": "How much does the blue kettle cost?"}}],
            **keys,
        }
        path = self.root / "shop.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return load_spec(path, self.config)

    async def run(
        self,
        spec: Spec,
        model: str = "fake-tools",
        *,
        mode: str = "off",
        budget: Budget | None = None,
        case: Case | None = None,
    ) -> ResultRecord:
        recorder = Recorder(self.root / "cassettes", mode)  # type: ignore[arg-type]
        pool = Pool(self.config, recorder, concurrency=4)

        async def evaluate(spec: Spec, case: Case, output: Output, **kw: Any) -> CaseVerdict:
            self.seen.append(output)
            return await evaluate_case(spec, case, output, **kw)

        executor = ItemExecutor(
            run_id="r",
            config=self.config,
            pool=pool,
            recorder=recorder,
            budget=budget,
            evaluate=evaluate,
            hooks=Hooks(self.hooks),
        )
        try:
            return await executor.run(Item(spec, case or spec.cases[0], f"p:{model}"))
        finally:
            await pool.aclose()


@pytest.fixture
async def project(tmp_path: Path) -> AsyncIterator[Project]:
    (tmp_path / "harness.yaml").write_text("{}\n")
    async with FakeServer("tools") as server:
        provider = ProviderSettings(name="p", type="openai", base_url=server.base_url + "/v1")
        config = ProjectConfig(root=tmp_path, path=None, providers={"p": provider})
        yield Project(tmp_path, server, config, [])


def _messages(server: FakeServer, n: int) -> list[dict[str, Any]]:
    return list(server.requests[n].json["messages"])


async def test_the_loop_runs_the_tools_and_sends_the_results_back(project: Project) -> None:
    spec = project.spec(
        cases=[
            {
                "id": "c",
                "vars": {"q": "How much do 3 blue kettles cost?"},
                "expect": [{"type": "contains", "value": "$103.50"}],
            }
        ]
    )
    record = await project.run(spec)
    assert record.status == "passed", record.error
    assert record.output == "That comes to $103.50."
    assert len(project.server.requests) == 3
    # step 2 carries step 1's call and its result; step 3 both steps' calls and results
    step2 = _messages(project.server, 1)
    assert [m["role"] for m in step2] == ["user", "assistant", "tool"]
    assert step2[1]["tool_calls"][0]["function"]["name"] == "lookup"
    assert step2[2] == {"role": "tool", "content": "blue kettle: $34.50", "tool_call_id": "call_1"}
    step3 = _messages(project.server, 2)
    assert [m["role"] for m in step3] == ["user", "assistant", "tool", "assistant", "tool"]
    assert step3[4]["content"] == "103.5"  # a number is sent as JSON
    # the record keeps every step; usage is summed over them
    assert record.steps is not None and [s["step"] for s in record.steps] == [1, 2, 3]
    assert [r["name"] for s in record.steps for r in s["results"]] == ["lookup", "calculate"]
    assert record.input_tokens == sum(s["input_tokens"] for s in record.steps)
    assert record.latency_ms == pytest.approx(sum(s["latency_ms"] for s in record.steps))
    # assertions see the trajectory
    trajectory = project.seen[-1].trajectory
    assert trajectory is not None and trajectory.stop == "answer"
    assert [c.call.name for c in trajectory.calls()] == ["lookup", "calculate"]


async def test_parallel_calls_each_get_their_result_in_order(project: Project) -> None:
    spec = project.spec(
        cases=[
            {"id": "c", "vars": {"q": "What do the blue kettle and the red toaster cost together?"}}
        ]
    )
    record = await project.run(spec)
    assert record.status == "passed", record.error
    step2 = _messages(project.server, 1)
    tools = [m for m in step2 if m["role"] == "tool"]
    assert [(m["tool_call_id"], m["content"]) for m in tools] == [
        ("call_1", "blue kettle: $34.50"),
        ("call_2", '{"price": 49.0}'),
    ]


async def test_a_spec_whose_tools_have_no_results_makes_one_call(project: Project) -> None:
    offered = [{k: v for k, v in t.items() if k != "result"} for t in (LOOKUP, CALCULATE)]
    spec = project.spec(tools=offered)
    record = await project.run(spec)
    assert record.status == "passed"
    assert len(project.server.requests) == 1
    assert record.steps is None
    assert project.seen[-1].trajectory is None
    assert project.seen[-1].response is not None
    assert project.seen[-1].response.tool_calls[0].name == "lookup"  # tool-called still sees it


async def test_a_model_calling_tools_forever_stops_at_max_steps(project: Project) -> None:
    spec = project.spec(
        max_steps=5,
        cases=[{"id": "c", "vars": {"q": "go"}, "expect": [{"type": "contains", "value": ""}]}],
    )
    record = await project.run(spec, "fake-loop")
    assert record.status == "failed"
    assert len(project.server.requests) == 5
    cut = record.verdicts[-1]
    assert cut["assertion"] == "max-steps-reached" and not cut["passed"]
    assert "still calling tools after 5 steps" in cut["reason"]
    assert record.steps is not None and len(record.steps) == 5
    assert project.seen[-1].trajectory is not None
    assert project.seen[-1].trajectory.stop == "max_steps"


async def test_max_steps_defaults_to_8_and_a_case_can_set_it(project: Project) -> None:
    spec = project.spec(
        cases=[{"id": "c", "vars": {"q": "go"}}, {"id": "d", "vars": {"q": "go"}, "max_steps": 2}]
    )
    assert (await project.run(spec, "fake-loop")).status == "failed"
    assert len(project.server.requests) == 8
    await project.run(spec, "fake-loop", case=spec.cases[1])
    assert len(project.server.requests) == 8 + 2


async def test_a_thousand_calls_in_one_answer_end_the_item_quickly(project: Project) -> None:
    spec = project.spec(cases=[{"id": "c", "vars": {"q": "flood 1000"}}])
    started = time.monotonic()
    record = await project.run(spec, "fake-flood")
    assert time.monotonic() - started < 10
    assert record.status == "error"
    assert "made 1,000 tool calls in one answer, over the limit of 128" in (record.error or "")
    assert record.steps is not None and len(record.steps) == 1  # kept, though it errored
    few = project.spec(cases=[{"id": "c", "vars": {"q": "flood 100"}}])
    record = await project.run(few, "fake-flood")
    assert record.status == "passed" and record.output == "done after 100 results"


async def test_a_call_to_a_tool_without_a_result_errors_the_item(project: Project) -> None:
    spec = project.spec(tools=[{**LOOKUP, "result": None}, CALCULATE])
    record = await project.run(spec)
    assert record.status == "error" and record.error_type == "ToolLoopError"
    assert "tool 'lookup', which has no result: add 'result:'" in (record.error or "")
    undeclared = project.spec(tools=[CALCULATE])
    record = await project.run(undeclared)
    assert "tool 'lookup', which the spec does not declare" in (record.error or "")


@pytest.mark.parametrize(
    ("on_error", "status"),
    [pytest.param("send", "passed", id="send"), pytest.param("fail", "error", id="fail")],
)
async def test_a_tool_that_raises(on_error: str, status: str, project: Project) -> None:
    (project.root / "shop_tools.py").write_text(
        "def lookup(item):\n    raise RuntimeError('stock service down')\n"
    )
    tool = {"python": "shop_tools.py:lookup", "on_error": on_error}
    spec = project.spec(tools=[tool, CALCULATE])
    record = await project.run(spec)
    assert record.status == status, record.error
    if on_error == "send":
        sent = _messages(project.server, 1)[-1]
        assert sent["role"] == "tool"
        assert sent["content"] == "error: tool 'lookup' raised RuntimeError: stock service down"
        assert record.steps is not None and record.steps[0]["results"][0]["error"]
    else:
        assert "stock service down (on_error: fail)" in (record.error or "")
        assert len(project.server.requests) == 1


async def test_a_python_tool_that_hangs_is_sent_as_an_error_at_its_deadline(
    project: Project,
) -> None:
    (project.root / "slow_tools.py").write_text(
        "import time\ndef lookup(item):\n    time.sleep(30)\n"
    )
    spec = project.spec(tools=[{"python": "slow_tools.py:lookup"}, CALCULATE])
    saved = limits.current()
    limits.configure(replace(saved, python_timeout_s=0.2))
    try:
        started = time.monotonic()
        record = await project.run(spec)
    finally:
        limits.configure(saved)
    assert time.monotonic() - started < 10
    assert record.status == "passed"
    assert "did not return within 0.2 s" in _messages(project.server, 1)[-1]["content"]


async def test_a_python_function_tool_is_offered_with_its_signature(project: Project) -> None:
    (project.root / "fn_tools.py").write_text(
        "def lookup(item: str, vars) -> str:\n"
        '    """The price of an item."""\n'
        "    return f'{item}: $1.00 ' + vars['q'][:3]\n"
    )
    spec = project.spec(tools=[{"python": "fn_tools.py:lookup"}, CALCULATE])
    record = await project.run(spec)
    assert record.status == "passed", record.error
    offered = project.server.requests[0].json["tools"][0]["function"]
    assert offered["name"] == "lookup" and offered["description"] == "The price of an item."
    assert offered["parameters"] == {
        "type": "object",
        "properties": {"item": {"type": "string"}},
        "required": ["item"],
    }
    assert _messages(project.server, 1)[-1]["content"] == "blue kettle: $1.00 How"


async def test_tool_choice_is_sent_on_a_turns_first_call_only(project: Project) -> None:
    spec = project.spec(params={"tool_choice": "required"})
    assert (await project.run(spec)).status == "passed"
    assert project.server.requests[0].json["tool_choice"] == "required"
    assert "tool_choice" not in project.server.requests[1].json


async def test_every_step_counts_against_the_budget(project: Project) -> None:
    prices = {"p:fake-tools": ModelPrice(1_000_000.0, 1_000_000.0)}  # $1 a token
    project.config = replace(project.config, prices=prices)
    spec = project.spec(cases=[{"id": "c", "vars": {"q": "How much do 3 blue kettles cost?"}}])
    budget = Budget(10_000.0)
    record = await project.run(spec, budget=budget)
    assert record.status == "passed"
    steps = record.steps or []
    per_step = sum(s["input_tokens"] + s["output_tokens"] for s in steps)
    assert len(steps) == 3
    assert record.cost_usd == pytest.approx(per_step)
    assert budget.spent == pytest.approx(per_step)
    # a budget with room for the first step's estimate only stops the item at the second
    capped = project.spec(
        params={"max_tokens": 20},
        cases=[{"id": "c", "vars": {"q": "How much do 3 blue kettles cost?"}}],
    )
    item = Item(capped, capped.cases[0], "p:fake-tools")
    settings = Pool(project.config, Recorder(project.root, "off"), concurrency=1).settings("p")
    first = call_cost(settings, build_request(item), prices)
    assert first is not None
    record = await project.run(capped, budget=Budget(first + 0.5))
    assert record.status == "error" and "cost limit was reached at step 2" in (record.error or "")


async def test_turns_feed_each_answer_back_and_turn_n_checks_its_answer(
    project: Project,
) -> None:
    spec = project.spec(
        tools=[],
        prompt="Hi, my name is {{ name }}.",
        cases=[
            {
                "id": "c",
                "vars": {"name": "Ann"},
                "turns": ["What is my name?"],
                "expect": [
                    {"type": "contains", "value": "Nice to meet you", "turn": 1},
                    {"type": "contains", "value": "Your name is {{ name }}."},
                ],
            }
        ],
    )
    record = await project.run(spec, "fake-chat")
    assert record.status == "passed", (record.error, record.verdicts)
    assert len(project.server.requests) == 2
    assert _messages(project.server, 1) == [
        {"role": "user", "content": "Hi, my name is Ann."},
        {"role": "assistant", "content": "Nice to meet you."},
        {"role": "user", "content": "What is my name?"},
    ]
    assert record.output == "Your name is Ann."
    assert [s["turn"] for s in record.steps or []] == [1, 2]
    assert [v["passed"] for v in record.verdicts] == [True, True]


async def test_a_turn_assertion_checks_that_turns_answer_not_the_last(project: Project) -> None:
    spec = project.spec(
        tools=[],
        prompt="Hello",
        cases=[
            {
                "id": "c",
                "vars": {},
                "turns": ["What is my name?"],
                "expect": [{"type": "contains", "value": "not told me", "turn": 1}],
            }
        ],
    )
    record = await project.run(spec, "fake-chat")
    assert record.status == "failed"  # turn 1 said "Hello."; the last answer would pass
    assert not record.verdicts[0]["passed"]
    assert record.output == "You have not told me your name."


THREE_KETTLES = [
    {
        "id": "c",
        "vars": {"q": "How much do 3 blue kettles cost?"},
        "expect": [{"type": "contains", "value": "$103.50"}],
    }
]


async def test_one_cassette_holds_every_step_and_replays_them_in_order(project: Project) -> None:
    spec = project.spec(cases=THREE_KETTLES)
    recorded = await project.run(spec, mode="all")
    assert recorded.status == "passed"
    files = list((project.root / "cassettes").rglob("*.yaml"))
    assert [f.name for f in files] == ["fake-tools.yaml"]
    interactions = yaml.safe_load(files[0].read_text())["interactions"]
    assert len(interactions) == 3
    bodies = [json.loads(i["request"]["body"]) for i in interactions]
    assert [len(b["messages"]) for b in bodies] == [1, 3, 5]
    calls = len(project.server.requests)
    replayed = await project.run(spec, mode="none")
    assert len(project.server.requests) == calls  # nothing reached the model
    assert replayed.status == "passed"
    assert replayed.output == recorded.output and replayed.steps is not None
    assert [s["tool_calls"] for s in replayed.steps] == [
        s["tool_calls"] for s in recorded.steps or []
    ]


async def test_a_changed_tool_result_makes_the_cassette_stale_at_its_step(
    project: Project,
) -> None:
    await project.run(project.spec(cases=THREE_KETTLES), mode="all")
    changed = {**CALCULATE, "result": [{"then": 104}]}  # step 2's result differs now
    spec = project.spec(tools=[LOOKUP, changed], cases=THREE_KETTLES)
    record = await project.run(spec, mode="none")
    assert record.status == "error" and record.error_type == "CassetteStaleError"
    assert "step 3 of the exchange differs at messages[4].content: '103.5' -> '104'" in (
        record.error or ""
    )
    assert record.steps is not None and len(record.steps) == 2  # the steps that replayed


async def test_a_changed_prompt_is_stale_at_step_1(project: Project) -> None:
    await project.run(project.spec(cases=THREE_KETTLES), mode="all")
    spec = project.spec(prompt="Q: {{ q }}", cases=THREE_KETTLES)
    record = await project.run(spec, mode="none")
    assert "step 1 of the exchange differs at messages[0].content" in (record.error or "")


async def test_the_tool_use_example_replays_every_item_once_from_its_cassettes() -> None:
    repo = Path(__file__).resolve().parents[2]
    config = load_config(start=repo)
    spec = load_spec(repo / "specs" / "tool_use.yaml", config)
    recorder = Recorder(repo / "cassettes", "none")
    pool = Pool(config, recorder, concurrency=4)
    executor = ItemExecutor(run_id="r", config=config, pool=pool, recorder=recorder)
    items = [Item(spec, case, model) for case in spec.cases for model in spec.models]
    try:
        records = [await executor.run(item) for item in items]
    finally:
        await pool.aclose()
    assert recorder.recorded == 0
    assert len(records) == 20 and all(r.status != "error" for r in records), [
        r.error for r in records if r.error
    ]
    steps = {r.item_id: len(r.steps or []) for r in records}
    assert steps["tool-use::together::vllm:fake-tools::1"] == 3  # two lookups at once, a sum
    assert steps["tool-use::multiply::vllm:fake-tools-mini::1"] == 1  # it did it in its head
    assert recorder.replayed == sum(steps.values())  # every step of every item, once
    passed = {m: sum(r.status == "passed" for r in records if r.model == m) for m in spec.models}
    assert passed == {"vllm:fake-tools": 10, "vllm:fake-tools-mini": 5}


async def test_every_step_is_a_call_the_hooks_see_and_the_gate_retries(project: Project) -> None:
    class Watch:
        def __init__(self) -> None:
            self.started: list[int] = []
            self.finished: list[str | None] = []

        def call_started(self, event: CallStarted) -> None:
            self.started.append(len(event.request.messages))
            if len(event.request.messages) == 3:  # step 2: the provider fails once
                project.server.faults.status(500)

        def call_finished(self, event: CallFinished) -> None:
            self.finished.append(event.response.text if event.response else None)

    watch = Watch()
    project.hooks.append(watch)
    settings = replace(project.config.providers["p"], options={"retry_base_delay": 0.01})
    project.config = replace(project.config, providers={"p": settings})
    spec = project.spec(cases=THREE_KETTLES)
    record = await project.run(spec)
    assert record.status == "passed", record.error
    assert watch.started == [1, 3, 5]  # one event per step, the history growing
    assert watch.finished == ["", "", "That comes to $103.50."]
    assert len(project.server.requests) == 4  # step 2 was sent twice
    assert record.retries == 1  # summed over the steps


async def test_a_conversation_is_one_cassette_and_a_changed_turn_is_stale_at_its_step(
    project: Project,
) -> None:
    def conversation(second: str) -> Spec:
        case = {"id": "c", "vars": {"name": "Ann"}, "turns": [second, "What is my name?"]}
        return project.spec(tools=[], prompt="My name is {{ name }}.", cases=[case])

    recorded = await project.run(conversation("Nice day."), "fake-chat", mode="all")
    assert recorded.status == "passed" and recorded.output == "Your name is Ann."
    [file] = (project.root / "cassettes").rglob("*.yaml")
    assert len(yaml.safe_load(file.read_text())["interactions"]) == 3
    replayed = await project.run(conversation("Nice day."), "fake-chat", mode="none")
    assert replayed.status == "passed" and replayed.steps == recorded.steps
    changed = await project.run(conversation("Rainy day."), "fake-chat", mode="none")
    assert changed.status == "error"
    assert "step 2 of the exchange differs at messages[2].content: 'Nice day.' -> 'Rainy day.'" in (
        changed.error or ""
    )


async def test_a_result_template_bomb_is_sent_as_an_error_not_rendered(project: Project) -> None:
    bomb = {**LOOKUP, "result": {"template": "{{ 'x' * 1000000000 }}"}}
    spec = project.spec(tools=[bomb, CALCULATE])
    started = time.monotonic()
    record = await project.run(spec)
    assert time.monotonic() - started < 10
    sent = _messages(project.server, 1)[-1]["content"]
    assert sent.startswith("error: the result template of 'lookup' failed")
    assert "limit" in sent and len(sent) < 1000
    assert record.status == "passed"  # the model was told, and answered
    fail = project.spec(tools=[{**bomb, "on_error": "fail"}, CALCULATE])
    record = await project.run(fail)
    assert record.status == "error" and "(on_error: fail)" in (record.error or "")


async def test_a_streamed_tool_loop_runs_every_step_streamed(project: Project) -> None:
    spec = project.spec(params={"stream": True}, cases=THREE_KETTLES)
    record = await project.run(spec)
    assert record.status == "passed", record.error
    assert [r.json.get("stream") for r in project.server.requests] == [True, True, True]
    assert [m["role"] for m in _messages(project.server, 2)][-2:] == ["assistant", "tool"]
    assert record.ttft_ms is not None  # the first step's
