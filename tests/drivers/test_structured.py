"""The structured-output fallback: which errors reject a mode, what is remembered, prompts."""

from __future__ import annotations

import json

import pytest

from harness.drivers.base import ImagePart, Message, Request, StructuredMode, TextPart
from harness.drivers.structured import (
    ModeMemory,
    is_rejection,
    schema_instruction,
    with_fallback,
    with_schema_prompt,
)
from harness.errors import (
    AuthenticationError,
    BadRequestError,
    ProviderError,
    ServerError,
    UnsupportedFeatureError,
)

SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}}
MODES: tuple[StructuredMode, ...] = ("json_schema", "json_object", "prompt")


@pytest.mark.parametrize(
    ("error", "rejected"),
    [
        pytest.param(UnsupportedFeatureError("nope", status_code=400), True, id="unsupported"),
        pytest.param(
            BadRequestError("'response_format.type' must be json_object", status_code=400),
            True,
            id="400-response-format",
        ),
        pytest.param(BadRequestError("invalid schema: x", status_code=422), True, id="422-schema"),
        pytest.param(BadRequestError("messages: required", status_code=400), False, id="other-400"),
        pytest.param(AuthenticationError("bad key", status_code=401), False, id="auth"),
        pytest.param(ServerError("schema", status_code=500), False, id="server"),
    ],
)
def test_is_rejection(error: ProviderError, rejected: bool) -> None:
    assert is_rejection(error) is rejected


class Server:
    """Rejects the given modes with a 400 about response_format."""

    def __init__(self, *rejects: StructuredMode) -> None:
        self.rejects = set(rejects)
        self.tried: list[StructuredMode | None] = []

    async def __call__(self, mode: StructuredMode | None) -> str:
        self.tried.append(mode)
        if mode in self.rejects:
            raise BadRequestError(f"response_format {mode} unsupported", status_code=400)
        return f"answer via {mode}"


@pytest.mark.parametrize(
    ("rejects", "used", "tried"),
    [
        pytest.param((), "json_schema", ["json_schema"], id="native"),
        pytest.param(
            ("json_schema",), "json_object", ["json_schema", "json_object"], id="llamacpp"
        ),
        pytest.param(("json_schema", "json_object"), "prompt", list(MODES), id="prompt"),
    ],
)
async def test_fallback_steps(
    rejects: tuple[StructuredMode, ...], used: StructuredMode, tried: list[StructuredMode]
) -> None:
    server, memory = Server(*rejects), ModeMemory()
    result, mode = await with_fallback(MODES, server, memory=memory, key=("p", "m"))
    assert (result, mode, server.tried) == (f"answer via {used}", used, tried)


async def test_later_calls_skip_rejected_modes() -> None:
    server, memory = Server("json_schema"), ModeMemory()
    await with_fallback(MODES, server, memory=memory, key=("p", "m"))
    server.tried.clear()
    await with_fallback(MODES, server, memory=memory, key=("p", "m"))
    assert server.tried == ["json_object"]
    await with_fallback(MODES, server, memory=memory, key=("p", "other-model"))
    assert server.tried == ["json_object", "json_schema", "json_object"]


async def test_the_last_mode_rejected_raises() -> None:
    with pytest.raises(BadRequestError):
        await with_fallback(MODES, Server(*MODES), memory=ModeMemory(), key=("p", "m"))


async def test_non_rejection_errors_do_not_fall_back() -> None:
    async def auth(mode: StructuredMode | None) -> str:
        raise AuthenticationError("bad key", status_code=401)

    with pytest.raises(AuthenticationError):
        await with_fallback(MODES, auth, memory=ModeMemory(), key=("p", "m"))


async def test_no_schema_calls_once_without_a_mode() -> None:
    server = Server()
    _, mode = await with_fallback((), server, memory=ModeMemory(), key=("p", "m"))
    assert mode is None and server.tried == [None]


def test_prompt_mode_appends_the_schema_to_the_last_user_message() -> None:
    request = Request(
        "m",
        (Message("system", "sys"), Message("user", "q1"), Message("assistant", "a")),
        schema=SCHEMA,
    )
    out = with_schema_prompt(request)
    assert out.messages[0].content == "sys"
    assert out.messages[1].content == "q1" + schema_instruction(SCHEMA)
    assert out.messages[2].content == "a"
    tail = str(out.messages[1].content).rsplit("\n", 1)[-1]
    assert json.loads(tail) == SCHEMA
    assert "JSON" in out.messages[1].text


def test_prompt_mode_with_parts_adds_a_text_part() -> None:
    request = Request(
        "m", (Message("user", (TextPart("look"), ImagePart(url="u"))),), schema=SCHEMA
    )
    parts = with_schema_prompt(request).messages[0].content
    assert isinstance(parts, tuple) and len(parts) == 3
    assert isinstance(parts[2], TextPart) and "JSON Schema" in parts[2].text


def test_prompt_mode_without_schema_changes_nothing() -> None:
    request = Request("m", (Message("user", "q"),))
    assert with_schema_prompt(request) is request
