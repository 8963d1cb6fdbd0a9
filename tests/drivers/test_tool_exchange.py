"""Every step of a tool loop in all four wire formats, streamed or not, against the fakes.

The fakes play a scripted exchange (two parallel calls, one more call, the answer) and
answer 400 when a step's history breaks it, so reaching the final answer proves that
each driver sends the assistant's calls and the tool results back the way its API
wants them, and parses parallel calls from plain and streamed answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from harness.drivers.base import Driver, Message, ToolCall
from harness.drivers.registry import create_driver
from harness.errors import BadRequestError
from tests.drivers.conftest import DRIVER_CASES, DriverCase
from tests.drivers.tool_loop import ASK, FINAL, SCRIPT, WAYS, Way, run_loop
from tests.fakes.anthropic_fake import thinking_block
from tests.fakes.gemini_fake import signature
from tests.fakes.server import FakeServer


@pytest.fixture(params=[pytest.param(c, id=c.name) for c in DRIVER_CASES])
def case(request: pytest.FixtureRequest) -> DriverCase:
    """One driver/fake pairing."""
    param: DriverCase = request.param
    return param


@pytest.fixture
async def fake(case: DriverCase) -> AsyncIterator[FakeServer]:
    """The case's fake, playing :data:`SCRIPT`."""
    async with FakeServer(case.kind, options={"tool_script": SCRIPT}) as server:
        yield server


@pytest.fixture
async def driver(case: DriverCase, fake: FakeServer, api_key: str) -> AsyncIterator[Driver]:
    """The case's driver pointed at its fake."""
    async with create_driver(case.settings(fake.base_url)) as drv:
        yield drv


@pytest.mark.parametrize("way", [pytest.param(w, id=w) for w in WAYS])
async def test_a_multi_step_exchange_reaches_the_answer(
    driver: Driver, fake: FakeServer, way: Way
) -> None:
    exchange = await run_loop(driver, ASK, way=way)
    first, second, last = exchange.responses
    assert [(c.name, dict(c.arguments)) for c in first.tool_calls] == [
        ("add", {"a": 2, "b": 2}),
        ("lookup", {"q": "Paris"}),
    ]
    assert first.finish_reason == "tool_calls"
    assert [c.name for c in second.tool_calls] == ["add"]
    assert last.text == FINAL and last.tool_calls == ()
    assert len(fake.requests) == 3  # no step was refused and retried
    ids = [c.id for r in exchange.responses for c in r.tool_calls]
    assert all(ids) and len(set(ids)) == 3  # results can name their call, step after step


async def test_results_carrying_the_tool_name_work_too(driver: Driver) -> None:
    exchange = await run_loop(driver, ASK, name_results=True)
    assert exchange.responses[-1].text == FINAL


async def test_streamed_steps_announce_each_parallel_call(driver: Driver) -> None:
    exchange = await run_loop(driver, ASK, way="stream-events")
    announced = [
        [e.tool_call.name for e in events if e.kind == "tool_call" and e.tool_call is not None]
        for events in exchange.events
    ]
    assert announced == [["add", "lookup"], ["add"], []]


async def test_the_fake_refuses_a_result_that_names_no_call(driver: Driver) -> None:
    # the fakes' checks must be able to fail, or the exchange above proves nothing
    first = await driver.complete(ASK)
    wrong = (
        *ASK.messages,
        Message("assistant", "", tool_calls=first.tool_calls),
        Message("tool", "4", tool_call_id="nobody", name="nobody"),
    )
    with pytest.raises(BadRequestError, match="tool exchange"):
        await driver.complete(replace(ASK, messages=wrong))


async def test_the_fake_refuses_calls_it_did_not_make(driver: Driver) -> None:
    invented = (ToolCall("add", {"a": 1, "b": 1}),)
    history = (
        *ASK.messages,
        Message("assistant", "", tool_calls=invented),
        Message("tool", "2", tool_call_id="", name="add"),
    )
    with pytest.raises(BadRequestError, match="not the calls made"):
        await driver.complete(replace(ASK, messages=history))


async def test_gemini_call_ids_are_sent_back_when_gemini_gives_them(api_key: str) -> None:
    gemini = next(c for c in DRIVER_CASES if c.name == "gemini")
    options: dict[str, Any] = {"tool_script": SCRIPT, "function_call_ids": True}
    async with (
        FakeServer("gemini", options=options) as fake,
        create_driver(gemini.settings(fake.base_url)) as driver,
    ):
        exchange = await run_loop(driver, ASK, way="complete-streamed")
        assert exchange.responses[-1].text == FINAL
        assert [c.id for c in exchange.responses[0].tool_calls] == ["fc_1_1", "fc_1_2"]
        second = fake.requests[1].json["contents"]
        assert [p["functionCall"]["id"] for p in second[1]["parts"]] == ["fc_1_1", "fc_1_2"]
        assert [p["functionResponse"]["id"] for p in second[2]["parts"]] == ["fc_1_1", "fc_1_2"]


THINKING = {"thinking": {"type": "enabled", "budget_tokens": 1024}}


@pytest.mark.parametrize("way", [pytest.param(w, id=w) for w in WAYS])
async def test_anthropic_thinking_goes_back_with_the_calls(api_key: str, way: Way) -> None:
    anthropic = next(c for c in DRIVER_CASES if c.name == "anthropic")
    async with (
        FakeServer("anthropic", options={"tool_script": SCRIPT}) as fake,
        create_driver(anthropic.settings(fake.base_url)) as driver,
    ):
        exchange = await run_loop(driver, replace(ASK, params=THINKING), way=way)
        assert exchange.responses[-1].text == FINAL
        first, second = exchange.responses[0].tool_calls
        assert first.provider_data == {"thinking": (thinking_block(1),)}
        assert second.provider_data == {}  # a turn's thinking goes back once, first
        sent = fake.requests[1].json["messages"][1]["content"]
        assert [b["type"] for b in sent] == ["thinking", "text", "tool_use", "tool_use"]


async def test_anthropic_refuses_a_tool_turn_without_its_thinking(api_key: str) -> None:
    anthropic = next(c for c in DRIVER_CASES if c.name == "anthropic")
    async with (
        FakeServer("anthropic", options={"tool_script": SCRIPT}) as fake,
        create_driver(anthropic.settings(fake.base_url)) as driver,
    ):
        first = await driver.complete(replace(ASK, params=THINKING))
        bare = tuple(replace(c, provider_data={}) for c in first.tool_calls)
        history = (
            *ASK.messages,
            Message("assistant", "", tool_calls=bare),
            *(Message("tool", "x", tool_call_id=c.id) for c in bare),
        )
        with pytest.raises(BadRequestError, match="must start with its thinking block"):
            await driver.complete(replace(ASK, messages=history, params=THINKING))


@pytest.mark.parametrize("way", [pytest.param(w, id=w) for w in WAYS])
async def test_gemini_thought_signatures_go_back_on_their_calls(api_key: str, way: Way) -> None:
    gemini = next(c for c in DRIVER_CASES if c.name == "gemini")
    options: dict[str, Any] = {"tool_script": SCRIPT, "thought_signatures": True}
    async with (
        FakeServer("gemini", options=options) as fake,
        create_driver(gemini.settings(fake.base_url)) as driver,
    ):
        exchange = await run_loop(driver, ASK, way=way)
        assert exchange.responses[-1].text == FINAL
        first, second = exchange.responses[0].tool_calls
        assert first.provider_data == {"thoughtSignature": signature(1)}
        assert second.provider_data == {}
        sent = fake.requests[1].json["contents"][1]["parts"]
        assert [p.get("thoughtSignature") for p in sent] == [signature(1), None]

        bare = tuple(replace(c, provider_data={}) for c in exchange.responses[0].tool_calls)
        history = (
            *ASK.messages,
            Message("assistant", "", tool_calls=bare),
            *(Message("tool", "x", tool_call_id=c.id) for c in bare),
        )
        with pytest.raises(BadRequestError, match="missing a thought_signature"):
            await driver.complete(replace(ASK, messages=history))
