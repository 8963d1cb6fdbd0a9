"""Drivers: one per wire format, behind one normalized vocabulary.

``create_driver(provider_settings("openai"))`` gives a driver whose ``complete()``
turns a :class:`Request` into a :class:`Response`; see docs/drivers.md.
"""

from __future__ import annotations

from harness.drivers.base import (
    Driver,
    ImagePart,
    Message,
    ModelPrice,
    ProviderSettings,
    Request,
    Response,
    StreamEvent,
    TextPart,
    Timeouts,
    Tool,
    ToolCall,
    Usage,
)
from harness.drivers.http_driver import HTTPCall, HTTPDriver
from harness.drivers.registry import (
    create_driver,
    driver_class,
    known_providers,
    parse_model_id,
    provider_settings,
)

__all__ = [
    "Driver",
    "HTTPCall",
    "HTTPDriver",
    "ImagePart",
    "Message",
    "ModelPrice",
    "ProviderSettings",
    "Request",
    "Response",
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
