"""Fuzz the response parsers: random bytes and mutated answers through each real driver.

The loopback fakes' handlers make a valid answer (plain or streamed) for the request a
driver really sends; hypothesis then replaces one part of it with a random JSON value,
cuts it, or swaps it for random bytes, and ``httpx.MockTransport`` hands it back. Each
driver must return a ``Response`` or raise a ``HarnessError``, never anything else.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.drivers.base import Message, ProviderSettings, Request
from harness.drivers.registry import create_driver
from harness.errors import (
    AuthenticationError,
    BadRequestError,
    ContentFilterError,
    HarnessError,
    RateLimitError,
    ResponseParseError,
    ServerError,
    TimeoutError_,
)
from tests.fakes import anthropic_fake, gemini_fake, ollama_fake, openai_fake
from tests.fakes.server import FakeServer, ReceivedRequest, Reply

KEY_ENV = "HARNESS_FUZZ_KEY"
Handler = Callable[[ReceivedRequest, FakeServer], Awaitable[Reply]]
FAKES: dict[str, tuple[Handler, str]] = {
    "openai": (openai_fake.chat, "openai"),
    "anthropic": (anthropic_fake.messages, "anthropic"),
    "gemini": (gemini_fake.generate, "gemini"),
    "ollama": (ollama_fake.chat, "ollama"),
}
SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@pytest.fixture(scope="module", autouse=True)
def _api_key() -> Iterator[None]:
    """A key in the environment for every driver (the fakes only check that one is sent)."""
    old = os.environ.get(KEY_ENV)
    os.environ[KEY_ENV] = "fuzz-key-0123456789"
    yield
    if old is None:
        del os.environ[KEY_ENV]
    else:
        os.environ[KEY_ENV] = old


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    out = copy.deepcopy(value)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return out


@st.composite
def mutations(draw: st.DrawFn) -> Callable[[Reply], tuple[bytes, str]]:
    """A way to spoil a valid reply: returns (body bytes, content type)."""
    how = draw(st.sampled_from(["replace", "cut", "bytes", "replace-and-cut"]))
    new = draw(json_values)
    pick = draw(st.integers(min_value=0, max_value=10_000))
    cut = draw(st.floats(min_value=0, max_value=1))
    junk = draw(st.binary(max_size=200))

    def spoil(reply: Reply) -> tuple[bytes, str]:
        if reply.streamed:
            chunks = [bytes(c) for c in reply.chunks]
            index = pick % len(chunks)
            line = chunks[index]
            prefix = b"data: " if line.startswith(b"data: ") else b""
            payload = line[len(prefix) :].strip()
            try:
                event = json.loads(payload)
            except ValueError:
                event = None
            if how.startswith("replace") and event is not None:
                paths = list(_paths(event))
                event = _replace(event, paths[pick % len(paths)], new)
                sep = b"\n\n" if prefix else b"\n"
                chunks[index] = prefix + json.dumps(event).encode() + sep
            elif how == "bytes":
                chunks[index] = junk
            body = b"".join(chunks)
        elif how == "bytes":
            body = junk
        else:
            data = reply.json
            if how.startswith("replace"):
                paths = list(_paths(data))
                data = _replace(data, paths[pick % len(paths)], new)
            body = json.dumps(data).encode()
        if how.endswith("cut"):
            body = body[: int(len(body) * cut)]
        return body, reply.content_type

    return spoil


def _driver_call(
    kind: str,
    spoil: Callable[[Reply], tuple[bytes, str]],
    request: Request,
    *,
    status: int | None = None,
) -> Any:
    handler, wire = FAKES[kind]
    server = FakeServer(kind)

    async def answer(http: httpx.Request) -> httpx.Response:
        body = http.read()
        received = ReceivedRequest(
            method=http.method,
            path=http.url.path,
            query=dict(http.url.params),
            headers={k.lower(): v for k, v in http.headers.items()},
            json=json.loads(body) if body else None,
            body=body,
        )
        reply = await handler(received, server)
        content, content_type = spoil(reply)
        return httpx.Response(
            status or reply.status, content=content, headers={"content-type": content_type}
        )

    settings_ = ProviderSettings(
        name="fuzz",
        type=wire,
        base_url="http://127.0.0.1:9",
        api_key_env=KEY_ENV,
        max_retries=0,
    )

    async def call() -> Any:
        driver = create_driver(settings_, transport=httpx.MockTransport(answer), prices={})
        try:
            return await driver.complete(request)
        finally:
            await driver.aclose()

    return asyncio.run(call())


@pytest.mark.parametrize("kind", [pytest.param(k, id=k) for k in FAKES])
@pytest.mark.parametrize(
    "stream,schema",
    [
        pytest.param(False, False, id="plain"),
        pytest.param(True, False, id="stream"),
        pytest.param(False, True, id="schema"),
        pytest.param(True, True, id="stream-schema"),
    ],
)
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spoil=mutations())
def test_spoiled_answers_give_a_response_or_a_typed_error(
    kind: str, stream: bool, schema: bool, spoil: Callable[[Reply], tuple[bytes, str]]
) -> None:
    request = Request(
        model="fuzz-model",
        messages=(Message("user", "say hi"),),
        stream=stream,
        schema=SCHEMA if schema else None,
    )
    try:
        response = _driver_call(kind, spoil, request)
    except HarnessError as exc:
        # a 200 answer the driver cannot read is a parse error, never a guess at another kind
        assert type(exc) is ResponseParseError, f"{type(exc).__name__}: {exc}"
        assert str(exc), "the error says what was wrong"
        return
    assert isinstance(response.text, str)


def _content_is(value: Any) -> Callable[[Reply], tuple[bytes, str]]:
    """A spoiler that puts ``value`` where the answer's text belongs."""

    def spoil(reply: Reply) -> tuple[bytes, str]:
        body = copy.deepcopy(reply.json)
        if "choices" in body:
            body["choices"][0]["message"]["content"] = value
        else:
            body["message"]["content"] = value
        return json.dumps(body).encode(), reply.content_type

    return spoil


@pytest.mark.parametrize(
    "kind,value",
    [
        pytest.param("openai", 5, id="openai-number"),
        pytest.param("openai", {"a": 1}, id="openai-object"),
        pytest.param("ollama", [1], id="ollama-list"),
    ],
)
def test_a_non_text_answer_is_a_parse_error(kind: str, value: Any) -> None:
    request = Request(model="fuzz-model", messages=(Message("user", "say hi"),))
    with pytest.raises(ResponseParseError, match="not a string"):
        _driver_call(kind, _content_is(value), request)


ERROR_STATUSES = [400, 401, 403, 404, 408, 413, 422, 429, 500, 502, 503, 504, 529]
error_bodies = (
    json_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=100)
    | st.fixed_dictionaries(
        {
            "error": st.fixed_dictionaries(
                {},
                optional={
                    "message": json_values,
                    "type": json_values,
                    "code": json_values,
                    "status": json_values,
                    "details": json_values,
                },
            )
        },
        optional={"type": json_values, "request_id": json_values},
    ).map(lambda v: json.dumps(v).encode())
)


@pytest.mark.parametrize("kind", [pytest.param(k, id=k) for k in FAKES])
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(status=st.sampled_from(ERROR_STATUSES), body=error_bodies, stream=st.booleans())
def test_error_answers_give_a_typed_error(
    kind: str, status: int, body: bytes, stream: bool
) -> None:
    request = Request(model="fuzz-model", messages=(Message("user", "say hi"),), stream=stream)
    with pytest.raises(HarnessError) as raised:
        _driver_call(kind, lambda reply: (body, "application/json"), request, status=status)
    # the status decides the kind, whatever the body holds
    # other 4xx: a bad request (context length, unsupported feature) or a content filter
    expected = _KIND_OF_STATUS.get(status, (BadRequestError, ContentFilterError))
    assert isinstance(raised.value, expected), f"{status}: {type(raised.value).__name__}"
    assert getattr(raised.value, "status_code", None) == status


_KIND_OF_STATUS: dict[int, type[HarnessError] | tuple[type[HarnessError], ...]] = {
    401: AuthenticationError,
    403: AuthenticationError,
    408: TimeoutError_,
    429: RateLimitError,
    **dict.fromkeys((500, 502, 503, 504, 529), ServerError),
}


@pytest.mark.parametrize("kind", [pytest.param(k, id=k) for k in FAKES])
@pytest.mark.parametrize(
    "stream", [pytest.param(False, id="plain"), pytest.param(True, id="stream")]
)
@pytest.mark.parametrize(
    "body",
    [
        # found by hypothesis: gemini iterated error.details without checking it was a list
        pytest.param(b'{"error": {"details": true}}', id="details-true"),
        pytest.param(b'{"error": {"details": 5, "code": "x"}}', id="details-number"),
        pytest.param(b'{"error": ["a"]}', id="error-list"),
        pytest.param(b'[{"error": {"code": [1]}}]', id="listed-code-list"),
        pytest.param(b"[]", id="empty-list"),
    ],
)
def test_fixed_error_bodies_give_a_typed_error(kind: str, stream: bool, body: bytes) -> None:
    request = Request(model="fuzz-model", messages=(Message("user", "say hi"),), stream=stream)
    with pytest.raises(HarnessError):
        _driver_call(kind, lambda reply: (body, "application/json"), request, status=400)


def _error_inside_200(error: Any) -> Callable[[Reply], tuple[bytes, str]]:
    """A 200 answer that is an error object: the whole body, or an event of the stream."""

    def spoil(reply: Reply) -> tuple[bytes, str]:
        if not reply.streamed:
            return json.dumps(error).encode(), reply.content_type
        first = bytes(reply.chunks[0])
        if first.startswith(b"data: "):
            event = b"data: " + json.dumps(error).encode() + b"\n\n"
        else:
            event = json.dumps(error).encode() + b"\n"
        return event + b"".join(bytes(c) for c in reply.chunks), reply.content_type

    return spoil


error_objects = st.fixed_dictionaries(
    {
        "error": json_values
        | st.dictionaries(
            st.sampled_from(["message", "type", "code", "status", "details"]), json_values
        )
    },
    optional={"type": st.just("error") | json_values},
)


@pytest.mark.parametrize("kind", [pytest.param(k, id=k) for k in FAKES])
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(error=error_objects, stream=st.booleans())
def test_error_objects_inside_a_200_answer_give_a_response_or_a_typed_error(
    kind: str, error: dict[str, Any], stream: bool
) -> None:
    request = Request(model="fuzz-model", messages=(Message("user", "say hi"),), stream=stream)
    try:
        response = _driver_call(kind, _error_inside_200(error), request)
    except HarnessError:
        return
    assert isinstance(response.text, str)
