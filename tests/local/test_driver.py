"""LocalDriver: starts a server per model file, talks OpenAI to it, stops it on close.

These run against the fake server script (no model); tests/local/test_live.py runs
the real llama.cpp server.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.config import ProjectConfig
from harness.drivers.base import Message, ModelPrice, ProviderSettings, Request
from harness.drivers.local import OFFLINE_BASE_URL, LocalDriver
from harness.drivers.registry import create_driver, driver_class, provider_settings
from harness.errors import ConfigError
from harness.local.catalogue import LocalModel
from harness.local.server import ServerStartError

FAKE = Path(__file__).with_name("fake_llama_server.py")
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


def fake_command(model: LocalModel, port: int) -> Sequence[str]:
    return [sys.executable, str(FAKE), "--model", str(model.path), "--port", str(port)]


def crashing_command(model: LocalModel, port: int) -> Sequence[str]:
    return [*fake_command(model, port), "--mode", "crash"]


def ask(model: str, text: str = "Hi", schema: Mapping[str, Any] | None = None) -> Request:
    return Request(model=model, messages=(Message("user", text),), schema=schema)


@pytest.fixture
def gguf(tmp_path: Path) -> Path:
    """A stand-in model file (the fake server never reads it)."""
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF")
    return path


def test_the_local_provider_is_a_llamacpp_driver_with_concurrency_one() -> None:
    settings = provider_settings("local")
    assert (settings.type, settings.concurrency) == ("llamacpp", 1)
    assert driver_class("llamacpp") is LocalDriver


async def test_complete_and_structured_output_through_one_server(gguf: Path) -> None:
    settings = ProviderSettings(name="local", type="llamacpp")
    driver = LocalDriver(settings, server_command=fake_command)
    try:
        plain = await driver.complete(ask(str(gguf), "Hello there"))
        structured = await driver.complete(ask(str(gguf), "John is 42", SCHEMA))
        assert len(driver.servers) == 1
        (server,) = driver.servers.values()
        process = server.process
    finally:
        await driver.aclose()
    assert (plain.text, plain.provider, plain.model) == ("echo: Hello there", "local", str(gguf))
    assert structured.structured_mode == "json_object"  # json_schema is never tried
    assert structured.parsed == {"name": "John", "age": 42}
    assert structured.retries == 0
    assert process is not None and process.poll() is not None  # stopped by aclose
    assert driver.servers == {}


async def test_one_server_per_model_file(tmp_path: Path, gguf: Path) -> None:
    other = tmp_path / "other.gguf"
    other.write_bytes(b"GGUF")
    settings = ProviderSettings(name="local", type="llamacpp", options={"model_path": None})
    driver = LocalDriver(settings, server_command=fake_command)
    async with driver:
        await driver.complete(ask(str(gguf)))
        await driver.complete(ask(str(other)))
        await driver.complete(ask(str(gguf)))
        ports = {s.port for s in driver.servers.values()}
        assert len(driver.servers) == 2 and len(ports) == 2


async def test_streaming_goes_through_the_server(gguf: Path) -> None:
    settings = ProviderSettings(name="local", type="llamacpp")
    driver = LocalDriver(settings, server_command=fake_command)
    async with driver:
        events = [e async for e in driver.stream(ask(str(gguf), "once more"))]
    texts = "".join(e.text for e in events if e.kind == "text")
    assert texts == "echo: once more"
    assert events[-1].kind == "response" and events[-1].response is not None
    assert events[-1].response.text == "echo: once more"


def test_harness_yaml_llamacpp_providers_default_to_concurrency_one(tmp_path: Path) -> None:
    config = ProjectConfig(
        root=tmp_path,
        path=None,
        providers={
            "mine": ProviderSettings(name="mine", type="llamacpp"),
            "wide": ProviderSettings(name="wide", type="llamacpp", concurrency=4),
        },
    )
    mine = provider_settings("mine", config)
    assert (mine.concurrency, mine.base_url) == (1, None)  # no base_url: a managed server
    assert provider_settings("wide", config).concurrency == 4


async def test_a_crashing_server_is_a_clear_error(gguf: Path) -> None:
    settings = ProviderSettings(name="local", type="llamacpp")
    driver = LocalDriver(settings, server_command=crashing_command)
    async with driver:
        with pytest.raises(ServerStartError, match=r"failed to load model from .*tiny\.gguf"):
            await driver.complete(ask(str(gguf)))
        assert driver.servers == {}


async def test_an_unknown_model_fails_before_starting_anything() -> None:
    settings = ProviderSettings(name="local", type="llamacpp")
    driver = LocalDriver(settings, server_command=fake_command)
    async with driver:
        with pytest.raises(ConfigError, match="unknown local model 'gpt-9'"):
            await driver.complete(ask("gpt-9"))
        assert driver.servers == {}


async def test_offline_never_starts_a_server() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "smollm2-135m",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "replayed"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        return httpx.Response(200, json=body)

    def no_server(model: LocalModel, port: int) -> Sequence[str]:
        raise AssertionError("offline runs must not start a server")

    settings = ProviderSettings(name="local", type="llamacpp", options={"offline": True})
    driver = create_driver(settings, transport=httpx.MockTransport(handler))
    assert isinstance(driver, LocalDriver)
    driver.server_command = no_server
    async with driver:
        # a model that is not installed anywhere: replay needs no model file either
        response = await driver.complete(ask("gemma3-270m"))
    assert response.text == "replayed"
    assert str(seen[0].url) == f"{OFFLINE_BASE_URL}/chat/completions"
    assert json.loads(seen[0].content)["model"] == "gemma3-270m"
    assert "authorization" not in seen[0].headers


async def test_a_base_url_uses_a_running_server() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "llama.internal"
        return httpx.Response(
            200,
            json={
                "choices": [
                    {"message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1},
            },
        )

    settings = ProviderSettings(
        name="mine", type="llamacpp", base_url="http://llama.internal:8080/v1"
    )
    driver = LocalDriver(settings, transport=httpx.MockTransport(handler))
    async with driver:
        assert (await driver.complete(ask("anything"))).text == "ok"
        assert driver.servers == {}


@pytest.mark.parametrize(
    ("prices", "expected"),
    [
        pytest.param({}, 0.0, id="own-cpu-costs-nothing"),
        pytest.param(
            {"local:MODEL": ModelPrice(input_per_mtok=1_000_000.0, output_per_mtok=0.0)},
            "input tokens in USD",
            id="harness-yaml-price-wins",
        ),
    ],
)
async def test_local_calls_cost_zero_unless_priced(
    gguf: Path, prices: dict[str, ModelPrice], expected: object
) -> None:
    prices = {k.replace("MODEL", str(gguf)): v for k, v in prices.items()}
    driver = LocalDriver(
        ProviderSettings(name="local", type="llamacpp"), server_command=fake_command, prices=prices
    )
    try:
        answer = await driver.complete(ask(str(gguf), "Hello there"))
    finally:
        await driver.aclose()
    assert answer.usage.input_tokens is not None
    if expected == 0.0:
        assert answer.cost_usd == 0.0
    else:
        assert answer.cost_usd == float(answer.usage.input_tokens)
