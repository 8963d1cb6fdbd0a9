"""Cost of a call from its token usage: harness.yaml overrides first, then genai-prices.

An unknown price is ``None``, never a made-up zero. Cache-read and cache-write tokens are
part of ``input_tokens``; from the table they are priced at their own rates (Anthropic's
cache writes cost more than plain input), and a harness.yaml override prices cache reads
at ``cached_input_per_mtok`` and cache writes at the input rate.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from harness.drivers.base import ModelPrice, ProviderSettings, Usage

# our provider names (presets) -> genai-prices provider ids
_BY_NAME: dict[str, str] = {
    "openai": "openai",
    "azure": "azure",
    "anthropic": "anthropic",
    "gemini": "google",
    "groq": "groq",
    "mistral": "mistral",
    "together": "together",
    "deepseek": "deepseek",
    "xai": "x-ai",
    "openrouter": "openrouter",
}
# wire types whose official endpoints genai-prices knows, for providers named otherwise
_BY_TYPE: dict[str, tuple[str, str]] = {
    "openai": ("openai", "api.openai.com"),
    "anthropic": ("anthropic", "api.anthropic.com"),
    "gemini": ("google", "generativelanguage.googleapis.com"),
}


def price_provider_id(settings: ProviderSettings) -> str | None:
    """The genai-prices provider id for a provider, or None when it has no public prices."""
    if settings.name in _BY_NAME:
        return _BY_NAME[settings.name]
    if settings.options.get("azure"):
        return "azure"
    known = _BY_TYPE.get(settings.type)
    if known and (settings.base_url is None or known[1] in settings.base_url):
        return known[0]
    return None  # a self-hosted or unknown endpoint: its model names mean nothing to the table


def cost_usd(
    settings: ProviderSettings,
    model: str,
    usage: Usage,
    prices: Mapping[str, ModelPrice],
) -> float | None:
    """USD for one call, or None when the usage or the price is unknown.

    Args:
        settings: the provider (its ``name`` keys the override).
        model: the provider's model name.
        usage: the call's token counts.
        prices: overrides from harness.yaml keyed ``"<provider name>:<model>"``.
    """
    if usage.input_tokens is None or usage.output_tokens is None:
        return None
    override = prices.get(f"{settings.name}:{model}")
    if override is not None:
        return _from_override(override, usage)
    provider_id = price_provider_id(settings)
    if provider_id is None or not _known(provider_id, model):
        return None
    return _from_table(
        provider_id,
        model,
        usage.input_tokens,
        usage.output_tokens,
        usage.cached_tokens or 0,
        usage.cache_write_tokens or 0,
    )


def _from_override(price: ModelPrice, usage: Usage) -> float:
    assert usage.input_tokens is not None and usage.output_tokens is not None
    cached = min(usage.cached_tokens or 0, usage.input_tokens)
    cached_rate = price.cached_input_per_mtok
    if cached_rate is None:
        cached_rate, cached = price.input_per_mtok, 0
    fresh = usage.input_tokens - cached
    total = (
        fresh * price.input_per_mtok
        + cached * cached_rate
        + usage.output_tokens * price.output_per_mtok
    )
    return total / 1_000_000


@functools.lru_cache(maxsize=1024)
def _known(provider_id: str, model: str) -> bool:
    # a negative lookup raises; remember it so unknown models stay cheap on the hot path
    try:
        _from_table(provider_id, model, 0, 0, 0)
    except LookupError:
        return False
    return True


def _from_table(
    provider_id: str, model: str, inp: int, out: int, cached: int, written: int = 0
) -> float:
    from genai_prices import Usage as PriceUsage
    from genai_prices import calc_price

    # genai-prices, like us, counts cache reads and writes inside input_tokens
    usage = PriceUsage(
        input_tokens=inp, output_tokens=out, cache_read_tokens=cached, cache_write_tokens=written
    )
    return float(calc_price(usage, model, provider_id=provider_id).total_price)


BATCH_DISCOUNT = 0.5
"""A batch call's price as a share of the live one (OpenAI, Anthropic and Gemini: 50%)."""


def batch_cost_usd(
    settings: ProviderSettings,
    model: str,
    usage: Usage,
    prices: Mapping[str, ModelPrice],
) -> float | None:
    """USD for one call answered through a batch API, or None when unknown.

    harness.yaml's ``batch_input_per_mtok`` / ``batch_output_per_mtok`` for the model
    win; otherwise it is :data:`BATCH_DISCOUNT` of :func:`cost_usd`.
    """
    override = prices.get(f"{settings.name}:{model}")
    if override is not None and override.batch_input_per_mtok is not None:
        if usage.input_tokens is None or usage.output_tokens is None:
            return None
        output_rate = override.batch_output_per_mtok
        if output_rate is None:
            output_rate = override.output_per_mtok * BATCH_DISCOUNT
        total = (
            usage.input_tokens * override.batch_input_per_mtok + usage.output_tokens * output_rate
        )
        return total / 1_000_000
    live = cost_usd(settings, model, usage, prices)
    if live is None:
        return None
    if override is not None and override.batch_output_per_mtok is not None:
        assert usage.input_tokens is not None and usage.output_tokens is not None
        live -= usage.output_tokens * override.output_per_mtok / 1_000_000
        return live * BATCH_DISCOUNT + usage.output_tokens * override.batch_output_per_mtok / 1e6
    return live * BATCH_DISCOUNT
