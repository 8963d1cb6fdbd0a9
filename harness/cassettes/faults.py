"""Transport faults (a dropped connection, a timeout) recorded in a cassette and replayed.

A recording run in which a call's connection drops has no response to record; without
one, replaying it finds no match and the item turns into ``CassetteStaleError`` instead
of what happened. The fault is recorded as an interaction of its own, under
``transport_error``, and replay raises an equivalent exception, so the driver retries
as it did and the item ends the same way ("connection dropped ... after N retries").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

import httpx

from harness.cassettes.scrub import REDACTED

FAULT_KEY = "transport_error"
"""The key of a stored response that is a recorded transport fault."""
_FAULT_STATUS = 599  # never sent by a server; vcrpy needs a status to store the entry


def fault_response(
    exc: BaseException, elapsed_ms: float, secrets: Iterable[str] = ()
) -> dict[str, Any]:
    """A stored response standing for ``exc`` (secrets in its text redacted)."""
    dropped = _dropped_cause(exc)
    message = str(exc)
    for secret in secrets:
        message = message.replace(secret, REDACTED)
        dropped = dropped.replace(secret, REDACTED) if dropped is not None else None
    return {
        "status": {"code": _FAULT_STATUS, "message": "harness: transport fault"},
        "headers": {},
        "body": {"string": b""},
        FAULT_KEY: {
            "type": type(exc).__name__,
            "message": message,
            "dropped": dropped,
            "latency_ms": round(elapsed_ms, 1),
        },
    }


def is_fault(stored: dict[str, Any]) -> bool:
    """Whether a stored response is a recorded fault."""
    return FAULT_KEY in stored


def raise_fault(stored: dict[str, Any], request: httpx.Request) -> NoReturn:
    """Raise what the recorded fault was, in a form the drivers map the same way."""
    fault = stored[FAULT_KEY]
    message = str(fault.get("message") or "")
    if fault.get("dropped") is not None:
        # the driver names the root cause: "connection dropped: <cause>"
        raise httpx.ReadError(message, request=request) from ConnectionResetError(fault["dropped"])
    kind = getattr(httpx, str(fault.get("type")), None)
    if isinstance(kind, type) and issubclass(kind, httpx.TransportError):
        raise kind(message, request=request)
    if fault.get("type") == "TimeoutError":
        raise TimeoutError(message)
    raise httpx.ConnectError(message, request=request)


def _dropped_cause(exc: BaseException) -> str | None:
    """The text of a dropped-connection root cause, as the drivers report it, or None."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        name = type(cause).__name__
        if isinstance(cause, TimeoutError) or name == "ServerTimeoutError":
            return None
        if isinstance(cause, ConnectionError) or name in {
            "ServerDisconnectedError",
            "ClientOSError",
            "ClientPayloadError",
        }:
            return str(cause) or name
        cause = cause.__cause__ or cause.__context__
    return None
