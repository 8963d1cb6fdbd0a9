"""What a provider says about its rate limits, read from its answers.

Each wire format reports its limits its own way; a driver turns them into one
:class:`RateLimits` value, and the runner's provider gate paces calls from it:

- OpenAI (and compatible servers): ``x-ratelimit-{limit,remaining,reset}-{requests,tokens}``,
  resets as Go-style durations (``1s``, ``6m0s``, ``20ms``), plus ``retry-after-ms`` /
  ``retry-after`` on a 429.
- Anthropic: ``anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,
  remaining,reset}``, resets as RFC 3339 timestamps, plus ``retry-after``.
- Gemini: no limit headers; a 429 body (``RESOURCE_EXHAUSTED``) carries a
  ``google.rpc.RetryInfo`` ``retryDelay`` (``"37s"``) and ``google.rpc.QuotaFailure``
  violations naming the quota and its value.

Example:
    >>> limits = openai_limits({"x-ratelimit-limit-requests": "60",
    ...     "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1s"})
    >>> limits.requests_remaining, limits.requests_reset
    (0, 1.0)
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


@dataclass(frozen=True, slots=True)
class RateLimits:
    """A provider's request and token budget as of one answer.

    ``*_reset`` are seconds from the moment the answer arrived until the budget is
    whole again; ``retry_after`` is the server's wait hint in seconds (429s and 503s).
    Any field is None when the provider did not say.
    """

    requests_limit: int | None = None
    requests_remaining: int | None = None
    requests_reset: float | None = None
    tokens_limit: int | None = None
    tokens_remaining: int | None = None
    tokens_reset: float | None = None
    retry_after: float | None = None

    @property
    def known(self) -> bool:
        """Whether the answer said anything at all."""
        return any(getattr(self, name) is not None for name in self.__slots__)


def _lower(headers: Mapping[str, str]) -> Mapping[str, str]:
    if hasattr(headers, "get_list"):  # httpx.Headers: already case-insensitive
        return headers
    return {k.lower(): v for k, v in headers.items()}


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return max(int(float(value.strip())), 0)
    except ValueError:
        return None


def parse_duration(text: str | None) -> float | None:
    """Seconds in a Go-style duration (``1m30.5s``, ``20ms``) or a plain number of seconds."""
    if text is None:
        return None
    text = text.strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    parts = _DURATION_RE.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text.replace(" ", ""):
        return None
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)


def parse_timestamp_delay(text: str | None, *, now: float | None = None) -> float | None:
    """Seconds from now until an RFC 3339 timestamp (``2026-01-01T00:00:05Z``), at least 0."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return parse_duration(text)
    if when.tzinfo is None:
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``retry-after-ms``, else ``retry-after`` (seconds or an HTTP date)."""
    from harness.drivers.http import parse_retry_after

    return parse_retry_after(headers)


def openai_limits(headers: Mapping[str, str]) -> RateLimits | None:
    """OpenAI's ``x-ratelimit-*`` headers (None when the answer has none)."""
    h = _lower(headers)
    requests_remaining = h.get("x-ratelimit-remaining-requests")
    tokens_remaining = h.get("x-ratelimit-remaining-tokens")
    wait = retry_after(h) if "retry-after" in h or "retry-after-ms" in h else None
    if requests_remaining is None and tokens_remaining is None and wait is None:
        return None
    return RateLimits(
        requests_limit=_int(h.get("x-ratelimit-limit-requests")),
        requests_remaining=_int(requests_remaining),
        requests_reset=parse_duration(h.get("x-ratelimit-reset-requests")),
        tokens_limit=_int(h.get("x-ratelimit-limit-tokens")),
        tokens_remaining=_int(tokens_remaining),
        tokens_reset=parse_duration(h.get("x-ratelimit-reset-tokens")),
        retry_after=wait,
    )


_ANTHROPIC_TOKEN_KINDS = ("tokens", "input-tokens", "output-tokens")


def anthropic_limits(headers: Mapping[str, str], *, now: float | None = None) -> RateLimits | None:
    """Anthropic's ``anthropic-ratelimit-*`` headers (None when the answer has none).

    Of the token budgets (``tokens``, ``input-tokens``, ``output-tokens``) the one with
    the smallest share left is the one that binds, so that one is reported.
    """
    h = _lower(headers)
    prefix = "anthropic-ratelimit-"
    requests_remaining = h.get(prefix + "requests-remaining")
    wait = retry_after(h) if "retry-after" in h else None
    tightest: tuple[float, int | None, int, float | None] | None = None
    for kind in _ANTHROPIC_TOKEN_KINDS:
        remaining = _int(h.get(f"{prefix}{kind}-remaining"))
        if remaining is None:
            continue
        limit = _int(h.get(f"{prefix}{kind}-limit"))
        share = remaining / limit if limit else 1.0
        reset = parse_timestamp_delay(h.get(f"{prefix}{kind}-reset"), now=now)
        if tightest is None or share < tightest[0]:
            tightest = (share, limit, remaining, reset)
    if requests_remaining is None and tightest is None and wait is None:
        return None
    return RateLimits(
        requests_limit=_int(h.get(prefix + "requests-limit")),
        requests_remaining=_int(requests_remaining),
        requests_reset=parse_timestamp_delay(h.get(prefix + "requests-reset"), now=now),
        tokens_limit=tightest[1] if tightest else None,
        tokens_remaining=tightest[2] if tightest else None,
        tokens_reset=tightest[3] if tightest else None,
        retry_after=wait,
    )


def gemini_limits(headers: Mapping[str, str], body: str | None = None) -> RateLimits | None:
    """Gemini's limits: ``retry-after`` if sent, else the 429 body's ``RetryInfo`` and quota.

    A ``QuotaFailure`` violation whose id names requests (``GenerateRequestsPerMinute...``)
    or tokens (``...InputTokensPerModelPerMinute...``) gives that limit, with nothing left.
    """
    h = _lower(headers)
    wait = retry_after(h) if "retry-after" in h else None
    requests_limit = tokens_limit = None
    details = _gemini_details(body)
    for detail in details:
        kind = str(detail.get("@type", ""))
        if kind.endswith("google.rpc.RetryInfo") and wait is None:
            wait = parse_duration(str(detail.get("retryDelay", "")))
        elif kind.endswith("google.rpc.QuotaFailure"):
            for violation in detail.get("violations") or ():
                if not isinstance(violation, dict):
                    continue
                quota_id = str(violation.get("quotaId", "")).lower()
                value = _int(str(violation.get("quotaValue", "")) or None)
                if "token" in quota_id:
                    tokens_limit = value if tokens_limit is None else min(tokens_limit, value or 0)
                elif "request" in quota_id:
                    requests_limit = (
                        value if requests_limit is None else min(requests_limit, value or 0)
                    )
    if wait is None and requests_limit is None and tokens_limit is None:
        return None
    return RateLimits(
        requests_limit=requests_limit,
        requests_remaining=0 if requests_limit is not None else None,
        tokens_limit=tokens_limit,
        tokens_remaining=0 if tokens_limit is not None else None,
        retry_after=wait,
    )


def _gemini_details(body: str | None) -> list[dict[str, Any]]:
    if not body:
        return []
    try:
        data = json.loads(body)
    except ValueError:
        return []
    if isinstance(data, list) and data:
        data = data[0]
    error = data.get("error") if isinstance(data, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []
