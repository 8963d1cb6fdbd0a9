"""Drivers: one per wire format, behind one normalized vocabulary.

``create_driver(provider_settings("openai"))`` gives a driver whose ``complete()``
turns a :class:`Request` into a :class:`Response`; see docs/drivers.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

if TYPE_CHECKING:
    from harness.drivers.base import (
        AudioPart,
        Driver,
        FilePart,
        ImagePart,
        Message,
        ModelPrice,
        ProviderSettings,
        Request,
        Response,
        RunMode,
        StreamEvent,
        TextPart,
        Timeouts,
        Tool,
        ToolCall,
        Usage,
    )
    from harness.drivers.http_driver import HTTPCall, HTTPDriver
    from harness.drivers.ratelimits import RateLimits
    from harness.drivers.registry import (
        create_driver,
        driver_class,
        known_providers,
        parse_model_id,
        provider_settings,
    )

# loaded on first use: importing harness.drivers.base (as the spec loader does) must not
# pull in aiohttp, httpx transports and every driver
_EXPORTS = {
    **dict.fromkeys(
        [
            "AudioPart",
            "Driver",
            "FilePart",
            "ImagePart",
            "Message",
            "ModelPrice",
            "ProviderSettings",
            "Request",
            "Response",
            "RunMode",
            "StreamEvent",
            "TextPart",
            "Timeouts",
            "Tool",
            "ToolCall",
            "Usage",
        ],
        "harness.drivers.base",
    ),
    "HTTPCall": "harness.drivers.http_driver",
    "HTTPDriver": "harness.drivers.http_driver",
    "RateLimits": "harness.drivers.ratelimits",
    **dict.fromkeys(
        ["create_driver", "driver_class", "known_providers", "parse_model_id", "provider_settings"],
        "harness.drivers.registry",
    ),
}

__all__ = [
    "AudioPart",
    "Driver",
    "FilePart",
    "HTTPCall",
    "HTTPDriver",
    "ImagePart",
    "Message",
    "ModelPrice",
    "ProviderSettings",
    "RateLimits",
    "Request",
    "Response",
    "RunMode",
    "StreamEvent",
    "TextPart",
    "Timeouts",
    "Tool",
    "ToolCall",
    "Usage",
    "create_driver",
    "driver_class",
    "known_providers",
    "parse_model_id",
    "provider_settings",
]


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
