"""The drivers under test, each paired with its fake server.

The behavioural suite (test_behaviour.py) runs once per entry of ``DRIVER_CASES``;
a new wire format joins it by adding one :class:`DriverCase` here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.drivers.base import Driver, ProviderSettings, StructuredMode
from harness.drivers.registry import create_driver
from tests.fakes.server import FakeServer

KEY_ENV = "HARNESS_TEST_API_KEY"
KEY = "sk-test-123"


@dataclass(frozen=True)
class DriverCase:
    """A driver and its fake: how to configure it and what to expect from it.

    Attributes:
        name: the test id.
        kind: the fake server kind (``tests.fakes.server.KINDS``).
        settings: ProviderSettings for a fake's base URL.
        native_mode: the structured mode used when the server accepts everything.
        reject_native: fake server options that make it reject ``native_mode``.
        fallback_mode: the mode the driver should settle on under ``reject_native``.
        key_header: (header, value) the fake must receive carrying ``KEY``.
    """

    name: str
    kind: str
    settings: Callable[[str], ProviderSettings]
    native_mode: StructuredMode
    reject_native: Mapping[str, Any]
    fallback_mode: StructuredMode
    key_header: tuple[str, str] = ("authorization", f"Bearer {KEY}")
    server_options: Mapping[str, Any] = field(default_factory=dict)


def _settings(
    type_: str, path: str = "", *, name: str | None = None, options: Mapping[str, Any] | None = None
) -> Callable[[str], ProviderSettings]:
    def make(base_url: str) -> ProviderSettings:
        return ProviderSettings(
            name=name or type_,
            type=type_,
            base_url=base_url + path,
            api_key_env=KEY_ENV,
            max_retries=2,
            options={"retry_base_delay": 0.001, **(options or {})},
        )

    return make


DRIVER_CASES: list[DriverCase] = [
    DriverCase(
        name="openai",
        kind="openai",
        settings=_settings("openai", "/v1"),
        native_mode="json_schema",
        reject_native={"reject_json_schema": True},
        fallback_mode="json_object",
    ),
    DriverCase(
        name="ollama",
        kind="ollama",
        settings=_settings("ollama"),
        native_mode="format",
        reject_native={"reject_format": True},
        fallback_mode="prompt",
    ),
    DriverCase(
        name="anthropic",
        kind="anthropic",
        settings=_settings("anthropic"),
        native_mode="tool",
        reject_native={"reject_tool_choice": True},
        fallback_mode="prompt",
        key_header=("x-api-key", KEY),
    ),
    DriverCase(
        name="gemini",
        kind="gemini",
        settings=_settings("gemini"),
        native_mode="response_schema",
        reject_native={"reject_response_schema": True},
        fallback_mode="prompt",
        key_header=("x-goog-api-key", KEY),
    ),
]


@pytest.fixture(params=[pytest.param(c, id=c.name) for c in DRIVER_CASES])
def case(request: pytest.FixtureRequest) -> DriverCase:
    """One driver/fake pairing."""
    param: DriverCase = request.param
    return param


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """Sets the test API key variable."""
    monkeypatch.setenv(KEY_ENV, KEY)
    return KEY


@pytest.fixture
async def fake(case: DriverCase) -> AsyncIterator[FakeServer]:
    """The case's fake server, running."""
    async with FakeServer(case.kind, options=case.server_options) as server:
        yield server


@pytest.fixture
async def driver(case: DriverCase, fake: FakeServer, api_key: str) -> AsyncIterator[Driver]:
    """The case's driver pointed at its fake."""
    async with create_driver(case.settings(fake.base_url)) as drv:
        yield drv
