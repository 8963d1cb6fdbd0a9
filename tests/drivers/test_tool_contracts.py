"""Contract tests for multi-step tool exchanges, against the four official SDKs.

- Each SDK (openai, anthropic, google-genai, ollama), pointed at its fake, plays the
  whole scripted exchange (parallel calls, another call, the answer), plain and
  streamed: the SDK parses every answer the fakes give, and the fakes accept the
  SDK's own way of sending calls and results back.
- The requests harness sends for steps 2 and 3 conform to each SDK's own request
  types (TypedDicts or pydantic models, unknown keys refused), and equal the SDK's
  requests for the same exchange in every field both set.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import anthropic
import ollama
import openai
import pytest
from anthropic.types import message_create_params as anthropic_params
from google import genai
from google.genai import types as gtypes
from openai.types.chat import completion_create_params as openai_params

from harness.drivers.base import Message, Request, Tool
from harness.drivers.registry import create_driver
from tests.drivers.conftest import DRIVER_CASES
from tests.drivers.openapi import assert_valid
from tests.drivers.sdk_types import fields_differ, type_problems
from tests.drivers.tool_loop import FINAL, PROMPT, SCRIPT, TOOLS, request_body, run_loop, run_tool
from tests.fakes.server import FakeServer

# the genai SDK subclasses aiohttp.ClientSession, which aiohttp warns about; not our code
pytestmark = pytest.mark.filterwarnings(
    "ignore:Inheritance class AiohttpClientSession:DeprecationWarning"
)

MODEL = "fake-model"
_TLS = ssl.create_default_context()  # one for every genai client (building one is slow)
STREAM = [pytest.param(False, id="plain"), pytest.param(True, id="streamed")]
KINDS = ["openai", "anthropic", "gemini", "ollama"]
# each wire format, and the variants where a thinking model wants something sent back
VARIANTS = [
    *(pytest.param(k, "", id=k) for k in KINDS),
    pytest.param("anthropic", "thinking", id="anthropic-thinking"),
    pytest.param("gemini", "signed", id="gemini-thought-signatures"),
]
THINKING = {"thinking": {"type": "enabled", "budget_tokens": 1024}}


def _json_tool(tool: Tool) -> dict[str, Any]:
    return {"name": tool.name, "description": tool.description, "parameters": tool.parameters}


# ----------------------------------------------------------------- the SDKs' loops


async def openai_loop(base_url: str, stream: bool, variant: str) -> list[Any]:
    """The exchange as the openai SDK plays it; returns each step's parsed message."""
    client = openai.AsyncOpenAI(base_url=base_url + "/v1", api_key="sk-test", max_retries=0)
    tools: list[Any] = [{"type": "function", "function": _json_tool(t)} for t in TOOLS]
    messages: list[Any] = [{"role": "user", "content": PROMPT}]
    answers: list[Any] = []
    try:
        for _ in range(len(SCRIPT)):
            if stream:
                async with client.chat.completions.stream(
                    model=MODEL, messages=messages, tools=tools
                ) as s:
                    message = (await s.get_final_completion()).choices[0].message
            else:
                done = await client.chat.completions.create(
                    model=MODEL, messages=messages, tools=tools
                )
                message = done.choices[0].message
            answers.append(message)
            if not message.tool_calls:
                return answers
            calls = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.function.name, "arguments": c.function.arguments},
                }
                for c in message.tool_calls
            ]
            # an empty answer with calls is sent as null, as the API itself returns it
            messages.append(
                {"role": "assistant", "content": message.content or None, "tool_calls": calls}
            )
            for c in message.tool_calls:
                result = run_tool(c.function.name, json.loads(c.function.arguments))
                messages.append({"role": "tool", "tool_call_id": c.id, "content": result})
    finally:
        await client.close()
    return answers


async def anthropic_loop(base_url: str, stream: bool, variant: str) -> list[Any]:
    """The exchange as the anthropic SDK plays it; returns each step's message."""
    client = anthropic.AsyncAnthropic(api_key="sk-test", base_url=base_url, max_retries=0)
    tools: list[Any] = [
        {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in TOOLS
    ]
    messages: list[Any] = [{"role": "user", "content": PROMPT}]
    answers: list[Any] = []
    try:
        for _ in range(len(SCRIPT)):
            kwargs: dict[str, Any] = {
                "model": MODEL,
                "max_tokens": 1024,
                "messages": messages,
                "tools": tools,
            }
            if variant == "thinking":
                kwargs["thinking"] = THINKING["thinking"]
            if stream:
                async with client.messages.stream(**kwargs) as s:
                    message = await s.get_final_message()
            else:
                message = await client.messages.create(**kwargs)
            answers.append(message)
            uses = [b for b in message.content if b.type == "tool_use"]
            if not uses:
                return answers
            messages.append({"role": "assistant", "content": message.content})
            results = [
                {"type": "tool_result", "tool_use_id": b.id, "content": run_tool(b.name, b.input)}
                for b in uses
            ]
            messages.append({"role": "user", "content": results})
    finally:
        await client.close()
    return answers


def _value(text: str) -> Any:
    # harness sends a result that is JSON as its value (4, not "4"): a Python tool's own
    # return value, as an SDK user would pass it
    try:
        return json.loads(text)
    except ValueError:
        return text


async def gemini_loop(base_url: str, stream: bool, variant: str) -> list[Any]:
    """The exchange as the google-genai SDK plays it; returns each step's model content."""
    options = gtypes.HttpOptions(
        base_url=base_url,
        api_version="v1beta",
        client_args={"verify": _TLS},
        async_client_args={"verify": _TLS, "ssl": _TLS},
    )
    client = genai.Client(api_key="sk-test", http_options=options)
    declarations = [
        gtypes.FunctionDeclaration(name=t.name, description=t.description, parameters=t.parameters)  # type: ignore[arg-type]
        for t in TOOLS
    ]
    config = gtypes.GenerateContentConfig(tools=[gtypes.Tool(function_declarations=declarations)])
    contents: list[gtypes.Content] = [gtypes.Content(role="user", parts=[gtypes.Part(text=PROMPT)])]
    answers: list[gtypes.Content] = []
    try:
        for _ in range(len(SCRIPT)):
            if stream:
                parts: list[gtypes.Part] = []
                async for chunk in await client.aio.models.generate_content_stream(
                    model=MODEL, contents=contents, config=config
                ):
                    assert chunk.candidates and chunk.candidates[0].content
                    parts += chunk.candidates[0].content.parts or []
                content = gtypes.Content(role="model", parts=parts)
            else:
                response = await client.aio.models.generate_content(
                    model=MODEL, contents=contents, config=config
                )
                assert response.candidates and response.candidates[0].content
                content = response.candidates[0].content
            answers.append(content)
            calls = [p.function_call for p in content.parts or [] if p.function_call]
            if not calls:
                return answers
            contents.append(content)
            results = [
                gtypes.Part.from_function_response(
                    name=c.name or "",
                    response={"result": _value(run_tool(c.name or "", c.args or {}))},
                )
                for c in calls
            ]
            contents.append(gtypes.Content(role="user", parts=results))
    finally:
        await client.aio.aclose()
    return answers


async def ollama_loop(base_url: str, stream: bool, variant: str) -> list[Any]:
    """The exchange as the ollama SDK plays it; returns each step's message."""
    client = ollama.AsyncClient(host=base_url)
    tools = [{"type": "function", "function": _json_tool(t)} for t in TOOLS]
    messages: list[Any] = [{"role": "user", "content": PROMPT}]
    answers: list[Any] = []
    try:
        for _ in range(len(SCRIPT)):
            if stream:
                text, calls = "", []
                async for part in await client.chat(
                    model=MODEL, messages=messages, tools=tools, stream=True
                ):
                    text += part.message.content or ""
                    calls += part.message.tool_calls or []
                message = ollama.Message(role="assistant", content=text, tool_calls=calls or None)
            else:
                message = (await client.chat(model=MODEL, messages=messages, tools=tools)).message
            answers.append(message)
            if not message.tool_calls:
                return answers
            messages.append(message)
            for c in message.tool_calls:
                result = run_tool(c.function.name, c.function.arguments)
                messages.append({"role": "tool", "content": result, "tool_name": c.function.name})
    finally:
        await client.close()
    return answers


SDK_LOOPS: dict[str, Callable[[str, bool, str], Awaitable[list[Any]]]] = {
    "openai": openai_loop,
    "anthropic": anthropic_loop,
    "gemini": gemini_loop,
    "ollama": ollama_loop,
}


def final_text(kind: str, answer: Any) -> str:
    """The text of an SDK's last answer."""
    if kind == "openai":
        return str(answer.content)
    if kind == "anthropic":
        return "".join(b.text for b in answer.content if b.type == "text")
    if kind == "gemini":
        return "".join(p.text or "" for p in answer.parts)
    return str(answer.content)


def call_names(kind: str, answer: Any) -> list[str]:
    """The tools an SDK's answer calls, in order."""
    if kind == "openai":
        return [c.function.name for c in answer.tool_calls or ()]
    if kind == "anthropic":
        return [b.name for b in answer.content if b.type == "tool_use"]
    if kind == "gemini":
        return [p.function_call.name for p in answer.parts if p.function_call]
    return [c.function.name for c in answer.tool_calls or ()]


# ----------------------------------------------------------------- the bodies


def fake_options(variant: str) -> dict[str, Any]:
    """The fake's options for a variant of the exchange."""
    return {"tool_script": SCRIPT, "thought_signatures": variant == "signed"}


async def sdk_bodies(kind: str, stream: bool, variant: str = "") -> list[Any]:
    """The request bodies the SDK sent, one per step, after checking what it parsed."""
    async with FakeServer(kind, options=fake_options(variant)) as fake:
        answers = await SDK_LOOPS[kind](fake.base_url, stream, variant)
        assert [call_names(kind, a) for a in answers] == [["add", "lookup"], ["add"], []]
        assert final_text(kind, answers[-1]) == FINAL
        return [r.json for r in fake.requests]


async def our_bodies(kind: str, stream: bool, variant: str = "") -> list[Any]:
    """The request bodies harness's driver sent, one per step."""
    case = next(c for c in DRIVER_CASES if c.kind == kind)
    params = THINKING if variant == "thinking" else {}
    async with (
        FakeServer(kind, options=fake_options(variant)) as fake,
        create_driver(case.settings(fake.base_url)) as driver,
    ):
        request = Request(MODEL, (Message("user", PROMPT),), params=params, tools=TOOLS)
        exchange = await run_loop(
            driver, request, way="complete-streamed" if stream else "complete"
        )
        assert exchange.responses[-1].text == FINAL
        return [r.json for r in fake.requests]


def conversation(kind: str, body: dict[str, Any]) -> Any:
    """The messages (or contents) of a request body."""
    return body["contents"] if kind == "gemini" else body["messages"]


def sdk_type_problems(kind: str, body: dict[str, Any]) -> list[str]:
    """Where a request body breaks the SDK's own request types."""
    if kind == "openai":
        openai_tp = (
            openai_params.CompletionCreateParamsStreaming
            if body.get("stream")
            else openai_params.CompletionCreateParamsNonStreaming
        )
        return type_problems(body, openai_tp)
    if kind == "anthropic":
        anthropic_tp = (
            anthropic_params.MessageCreateParamsStreaming
            if body.get("stream")
            else anthropic_params.MessageCreateParamsNonStreaming
        )
        return type_problems(body, anthropic_tp)
    if kind == "gemini":
        parts: dict[str, Any] = {
            "contents": list[gtypes.Content],
            "tools": list[gtypes.Tool],
            "toolConfig": gtypes.ToolConfig,
            "generationConfig": gtypes.GenerationConfig,
            "systemInstruction": gtypes.Content,
        }
        unknown = [f"$.{k}: not a field of the request" for k in body if k not in parts]
        return unknown + [
            p for k, tp in parts.items() if k in body for p in type_problems(body[k], tp, f"$.{k}")
        ]
    problems = [
        p
        for i, m in enumerate(body["messages"])
        for p in type_problems(m, ollama.Message, f"$.messages[{i}]")
    ]
    problems += [
        p
        for i, t in enumerate(body.get("tools") or [])
        for p in type_problems(t, ollama.Tool, f"$.tools[{i}]")
    ]
    return problems


@pytest.mark.parametrize("stream", STREAM)
@pytest.mark.parametrize(("kind", "variant"), VARIANTS)
async def test_the_sdk_plays_the_whole_exchange_with_the_fake(
    kind: str, variant: str, stream: bool
) -> None:
    bodies = await sdk_bodies(kind, stream, variant)
    assert len(bodies) == 3  # the fake accepted the SDK's way of sending results back


@pytest.mark.parametrize("stream", STREAM)
@pytest.mark.parametrize(("kind", "variant"), VARIANTS)
async def test_our_later_steps_are_the_sdks_own_request_types(
    kind: str, variant: str, stream: bool, api_key: str
) -> None:
    bodies = await our_bodies(kind, stream, variant)
    assert len(bodies) == 3
    for step, body in enumerate(bodies, start=1):
        assert sdk_type_problems(kind, body) == [], f"step {step}"
        if kind == "openai":
            assert_valid("CreateChatCompletionRequest", body)


@pytest.mark.parametrize("stream", STREAM)
@pytest.mark.parametrize(("kind", "variant"), VARIANTS)
async def test_our_later_steps_equal_the_sdks(
    kind: str, variant: str, stream: bool, api_key: str
) -> None:
    ours = await our_bodies(kind, stream, variant)
    theirs = await sdk_bodies(kind, stream, variant)
    for step in (2, 3):
        mine, sdk = conversation(kind, ours[step - 1]), conversation(kind, theirs[step - 1])
        assert fields_differ(mine, sdk, shared=False) == [], f"step {step}"


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        pytest.param(
            "openai",
            {"model": "m", "messages": [{"role": "tool", "content": "4", "tool_call_idd": "a"}]},
            id="openai-unknown-key",
        ),
        pytest.param(
            "openai",
            {
                "model": "m",
                "messages": [
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "id": "a",
                                "type": "function",
                                "function": {"name": "add", "arguments": {"a": 1}},
                            }
                        ],
                    }
                ],
            },
            id="openai-arguments-as-object",
        ),
        pytest.param(
            "anthropic",
            {
                "model": "m",
                "max_tokens": 5,
                "messages": [
                    {"role": "user", "content": [{"type": "tool_result", "tool_use": "a"}]}
                ],
            },
            id="anthropic-result-without-id",
        ),
        pytest.param(
            "gemini",
            {"contents": [{"role": "user", "parts": [{"functionResponse": {"nam": "add"}}]}]},
            id="gemini-unknown-key",
        ),
        pytest.param(
            "ollama",
            {"messages": [{"role": "tool", "content": "4", "tool_call_id": "call_0"}]},
            id="ollama-tool-call-id",
        ),
    ],
)
def test_the_type_check_can_fail(kind: str, body: dict[str, Any]) -> None:
    assert sdk_type_problems(kind, body) != []


@pytest.mark.parametrize("value", ["auto", "required", "none", "lookup"])
@pytest.mark.parametrize("kind", KINDS)
def test_each_tool_choice_is_the_sdks_own_request_type(kind: str, value: str) -> None:
    sent = request_body(kind, value, parallel_tool_calls=False)
    assert sdk_type_problems(kind, sent) == []
