"""The optional response cache (``--cache``): the same request, the same answer, no call.

The key is a hash of the canonical request: provider, base URL, model, messages,
parameters, schema and tools. Entries live in the results store's SQLite file and
expire after a TTL. Never used with ``--repeat`` > 1, where the point is fresh samples.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from harness.drivers.base import ProviderSettings, Request, Response, ToolCall, Usage

DEFAULT_TTL = 7 * 24 * 3600.0
"""Seconds a cached response stays valid unless ``--cache-ttl`` says otherwise."""


def cache_key(settings: ProviderSettings, request: Request) -> str:
    """A stable hex digest of everything that decides a model's answer."""
    canonical = {
        "provider": settings.name,
        "base_url": settings.base_url,
        "model": request.model,
        "messages": [dataclasses.asdict(m) for m in request.messages],
        "params": request.params,
        "schema": request.schema,
        "schema_name": request.schema_name,
        "tools": [dataclasses.asdict(t) for t in request.tools],
        "stream": request.stream,
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def response_to_json(response: Response) -> dict[str, Any]:
    """What the cache stores: every field but ``raw`` and ``rate_limits`` (the moment's)."""
    data = {f.name: getattr(response, f.name) for f in dataclasses.fields(Response)}
    data.pop("raw")
    data.pop("rate_limits")
    data["usage"] = dataclasses.asdict(response.usage)
    data["tool_calls"] = [dataclasses.asdict(t) for t in response.tool_calls]
    return data


def response_from_json(data: dict[str, Any]) -> Response:
    """Rebuild a cached response; ``retries`` is zero since no call was made."""
    data = dict(data)
    data["usage"] = Usage(**data.get("usage", {}))
    data["tool_calls"] = tuple(ToolCall(**t) for t in data.get("tool_calls", ()))
    data["retries"] = 0
    known = {f.name for f in dataclasses.fields(Response)}
    return Response(**{k: v for k, v in data.items() if k in known})
