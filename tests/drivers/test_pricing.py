"""Cost per call: overrides, the genai-prices table, and honest unknowns."""

from __future__ import annotations

import pytest

from harness.drivers.base import ModelPrice, ProviderSettings, Usage
from harness.drivers.pricing import cost_usd, price_provider_id

OPENAI = ProviderSettings(name="openai", type="openai", base_url="https://api.openai.com/v1")
LOCAL = ProviderSettings(name="bench", type="openai", base_url="http://127.0.0.1:8080/v1")
MILLION = Usage(input_tokens=1_000_000, output_tokens=1_000_000)


def test_override_from_harness_yaml_wins() -> None:
    prices = {"openai:gpt-4o-mini": ModelPrice(1.0, 2.0)}
    assert cost_usd(OPENAI, "gpt-4o-mini", MILLION, prices) == pytest.approx(3.0)


def test_override_prices_cached_tokens_at_the_cached_rate() -> None:
    prices = {"bench:m": ModelPrice(1.0, 2.0, cached_input_per_mtok=0.5)}
    usage = Usage(input_tokens=1_000_000, output_tokens=0, cached_tokens=400_000)
    assert cost_usd(LOCAL, "m", usage, prices) == pytest.approx(0.6 + 0.2)


def test_override_without_cached_rate_prices_all_input_alike() -> None:
    prices = {"bench:m": ModelPrice(1.0, 2.0)}
    usage = Usage(input_tokens=1_000_000, output_tokens=0, cached_tokens=400_000)
    assert cost_usd(LOCAL, "m", usage, prices) == pytest.approx(1.0)


def test_genai_prices_knows_gpt_4o_mini() -> None:
    # $0.15 in / $0.60 out per million tokens
    assert cost_usd(OPENAI, "gpt-4o-mini", MILLION, {}) == pytest.approx(0.75)


def test_genai_prices_cached_tokens_are_cheaper() -> None:
    cached = Usage(input_tokens=1_000_000, output_tokens=0, cached_tokens=1_000_000)
    fresh = Usage(input_tokens=1_000_000, output_tokens=0)
    low, high = (
        cost_usd(OPENAI, "gpt-4o-mini", cached, {}),
        cost_usd(OPENAI, "gpt-4o-mini", fresh, {}),
    )
    assert low is not None and high is not None and low < high


@pytest.mark.parametrize(
    ("settings", "model", "usage"),
    [
        pytest.param(OPENAI, "no-such-model-xyz", MILLION, id="unknown-model"),
        pytest.param(LOCAL, "gpt-4o-mini", MILLION, id="self-hosted"),
        pytest.param(OPENAI, "gpt-4o-mini", Usage(input_tokens=10), id="unknown-usage"),
    ],
)
def test_unknown_is_none_never_zero(settings: ProviderSettings, model: str, usage: Usage) -> None:
    assert cost_usd(settings, model, usage, {}) is None


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        pytest.param(ProviderSettings(name="xai", type="openai"), "x-ai", id="preset"),
        pytest.param(ProviderSettings(name="gemini", type="gemini"), "google", id="gemini"),
        pytest.param(
            ProviderSettings(name="work", type="openai", options={"azure": True}),
            "azure",
            id="azure",
        ),
        pytest.param(
            ProviderSettings(name="mine", type="anthropic", base_url="https://api.anthropic.com"),
            "anthropic",
            id="renamed-official",
        ),
        pytest.param(LOCAL, None, id="local"),
    ],
)
def test_price_provider_id(settings: ProviderSettings, expected: str | None) -> None:
    assert price_provider_id(settings) == expected


def test_genai_prices_cache_writes_cost_more_than_plain_input() -> None:
    anthropic = ProviderSettings(name="anthropic", type="anthropic")
    plain = Usage(input_tokens=1_000_000, output_tokens=0)
    written = Usage(input_tokens=1_000_000, output_tokens=0, cache_write_tokens=1_000_000)
    plain_cost = cost_usd(anthropic, "claude-3-5-haiku-latest", plain, {})
    written_cost = cost_usd(anthropic, "claude-3-5-haiku-latest", written, {})
    assert plain_cost is not None and written_cost is not None
    assert written_cost == pytest.approx(plain_cost * 1.25)
