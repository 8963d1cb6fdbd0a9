"""Providers by name: built-in presets, harness.yaml entries, and driver plugins.

A model id is ``provider:model``. The provider name resolves to
:class:`ProviderSettings` (from harness.yaml, or a preset below), and its ``type``
to a driver class loaded lazily from the ``harness.drivers`` entry-point group,
the same path third-party drivers use.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

import httpx

from harness.drivers.base import Driver, ModelPrice, ProviderSettings
from harness.errors import ConfigError, PluginError

if TYPE_CHECKING:
    from harness.config import ProjectConfig

ENTRY_POINT_GROUP = "harness.drivers"

# name -> (wire type, base_url, api key variable)
PRESETS: dict[str, tuple[str, str | None, str | None]] = {
    "openai": ("openai", "https://api.openai.com/v1", "OPENAI_API_KEY"),
    "azure": ("openai", None, "AZURE_OPENAI_API_KEY"),
    "anthropic": ("anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY"),
    "gemini": ("gemini", "https://generativelanguage.googleapis.com", "GEMINI_API_KEY"),
    "ollama": ("ollama", "http://127.0.0.1:11434", None),
    "groq": ("openai", "https://api.groq.com/openai/v1", "GROQ_API_KEY"),
    "mistral": ("openai", "https://api.mistral.ai/v1", "MISTRAL_API_KEY"),
    "together": ("openai", "https://api.together.xyz/v1", "TOGETHER_API_KEY"),
    "deepseek": ("openai", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY"),
    "xai": ("openai", "https://api.x.ai/v1", "XAI_API_KEY"),
    "openrouter": ("openai", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
    "vllm": ("openai", "http://127.0.0.1:8000/v1", None),
    "llamacpp": ("openai", "http://127.0.0.1:8080/v1", None),
    "lmstudio": ("openai", "http://127.0.0.1:1234/v1", None),
    "local": ("llamacpp", None, None),
    "echo": ("echo", None, None),
}
ECHO = "echo"  # the one model id without a provider prefix: ``echo`` is ``echo:echo``


def parse_model_id(model_id: str) -> tuple[str, str]:
    """Split ``provider:model`` at the first colon (``echo`` alone is ``echo:echo``).

    Raises:
        ConfigError: there is no provider prefix.
    """
    if model_id == ECHO:
        return ECHO, ECHO
    provider, sep, model = model_id.partition(":")
    if not sep or not provider or not model:
        raise ConfigError(
            f"model id {model_id!r} must be 'provider:model', e.g. 'openai:gpt-4o-mini'"
        )
    return provider, model


def known_providers(config: ProjectConfig | None = None) -> list[str]:
    """Every provider name usable as a model-id prefix."""
    names = set(PRESETS) | set(_plugin_names())
    if config is not None:
        names |= set(config.providers)
    return sorted(names)


def provider_settings(name: str, config: ProjectConfig | None = None) -> ProviderSettings:
    """Settings for a provider name: harness.yaml first, then presets, then plugins."""
    if config is not None and name in config.providers:
        settings = config.providers[name]
        preset = PRESETS.get(name) or PRESETS.get(settings.type)
        # llamacpp without base_url: LocalDriver starts and manages the server itself
        managed = settings.type == "llamacpp"
        if settings.base_url is None and preset and preset[1] is not None and not managed:
            # no base_url: the provider's official endpoint, with its usual key variable
            settings = replace(
                settings,
                base_url=preset[1],
                api_key_env=settings.api_key_env or preset[2],
            )
        if settings.type == "llamacpp" and settings.concurrency is None:
            settings = replace(settings, concurrency=1)
        return settings
    if name in PRESETS:
        wire, base_url, key_env = PRESETS[name]
        return ProviderSettings(
            name=name,
            type=wire,
            base_url=base_url,
            api_key_env=key_env,
            # a llama.cpp server computes one answer at a time
            concurrency=1 if wire == "llamacpp" else None,
        )
    if name in _plugin_names():
        return ProviderSettings(name=name, type=name)
    raise ConfigError(
        f"unknown provider {name!r}: use one of {', '.join(known_providers(config))}, "
        f"or declare it under 'providers:' in harness.yaml"
    )


@cache
def _plugin_names() -> tuple[str, ...]:
    return tuple(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))


def plugin_types() -> tuple[str, ...]:
    """Every wire type with a driver registered in the ``harness.drivers`` group (not cached:
    a package installed since start-up counts)."""
    return tuple(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))


def driver_class(wire_type: str) -> type[Driver]:
    """The driver class for a wire type, loaded from the ``harness.drivers`` entry points.

    Raises:
        PluginError: the plugin is missing or failed to import (names its package).
    """
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == wire_type:
            try:
                cls = ep.load()
            except Exception as exc:  # a broken plugin must not break the others
                package = ep.dist.name if ep.dist else ep.value
                raise PluginError(
                    f"driver plugin {wire_type!r} from package {package!r} failed to load: {exc}"
                ) from exc
            if not (isinstance(cls, type) and issubclass(cls, Driver)):
                raise PluginError(f"entry point {ep.value!r} is not a harness Driver subclass")
            return cls
    builtin = {
        "openai": "harness.drivers.openai:OpenAIDriver",
        "anthropic": "harness.drivers.anthropic:AnthropicDriver",
        "gemini": "harness.drivers.gemini:GeminiDriver",
        "ollama": "harness.drivers.ollama:OllamaDriver",
        "llamacpp": "harness.drivers.local:LocalDriver",
        "echo": "harness.drivers.echo:EchoDriver",
    }
    if wire_type in builtin:  # running from a source tree without installed metadata
        module, _, attr = builtin[wire_type].partition(":")
        loaded: type[Driver] = getattr(importlib.import_module(module), attr)
        return loaded
    raise PluginError(f"no driver for wire type {wire_type!r}; install a harness.drivers plugin")


def create_driver(
    settings: ProviderSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    prices: Mapping[str, ModelPrice] | None = None,
) -> Driver:
    """Instantiate the driver for a provider."""
    return driver_class(settings.type)(settings, transport=transport, prices=prices)
