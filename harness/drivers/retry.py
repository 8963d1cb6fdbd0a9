"""Which failed calls to try again, and how long to wait before the next try.

Only errors whose ``retryable`` flag is set are retried: rate limits, server errors,
timeouts, dropped connections and unparseable answers. Authentication and bad-request
errors never are. Rate limits (a 429, or a 503 that says when to come back) are a
class of their own: the runner's provider gate retries them for as long as the
provider's ``rate_limit_patience`` allows, pausing the whole provider, while other
transient errors get ``max_retries`` tries with jittered exponential backoff.

:func:`with_retries` is the loop a driver used on its own runs (``async with
OpenAIDriver(settings) as d: await d.complete(request)``); inside a run the pool hands
drivers ``max_retries=0`` and the gate (``harness.runner.gate``) does the retrying, so
every attempt passes the provider's limits.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from harness.errors import ProviderError, RateLimitError, ServerError

T = TypeVar("T")
log = logging.getLogger(__name__)

BASE_DELAY = 0.5
"""Seconds; the first backoff is up to this long, doubling each attempt."""
MAX_DELAY = 30.0
"""Seconds; no computed backoff waits longer."""
MAX_RETRY_AFTER = 120.0
"""Seconds; a server's ``Retry-After`` is honoured up to this long."""


def is_retryable(exc: BaseException) -> bool:
    """Whether a failed call should be tried again."""
    return isinstance(exc, ProviderError) and exc.retryable


def is_rate_limited(exc: BaseException) -> bool:
    """Whether a failed call was the provider pushing back: a 429, or a 503 with a
    ``retry-after`` (an overloaded server saying when to come back)."""
    if isinstance(exc, RateLimitError):
        return True
    return isinstance(exc, ServerError) and exc.status_code == 503 and exc.retry_after is not None


def transient_delay(
    retry: int, *, base_delay: float = BASE_DELAY, max_delay: float = MAX_DELAY
) -> float:
    """Seconds before retry number ``retry`` (1-based): full jitter, doubling, capped."""
    ceiling = min(max_delay, base_delay * 2 ** (retry - 1))
    return random.uniform(0, ceiling)


def backoff(
    base_delay: float = BASE_DELAY, max_delay: float = MAX_DELAY
) -> Callable[[RetryCallState], float]:
    """A tenacity wait: jittered exponential, or the server's ``retry_after`` when larger."""
    jittered = wait_random_exponential(multiplier=base_delay, max=max_delay)

    def wait(state: RetryCallState) -> float:
        delay = float(jittered(state))
        exc = state.outcome.exception() if state.outcome else None
        hint = getattr(exc, "retry_after", None)
        if isinstance(hint, int | float):
            delay = max(delay, min(float(hint), MAX_RETRY_AFTER))
        return delay

    return wait


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    max_retries: int,
    on_retry: Callable[[ProviderError, int], None] | None = None,
    base_delay: float = BASE_DELAY,
    max_delay: float = MAX_DELAY,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> tuple[T, int]:
    """Run ``call`` until it succeeds or a non-retryable error; return (result, retries).

    Args:
        call: makes one attempt.
        max_retries: attempts after the first (0 = no retries).
        on_retry: called with the error and the retry number (1-based) before waiting.
        base_delay: first backoff ceiling in seconds (tests use tiny values).
        max_delay: cap of the computed backoff.
        sleep: how to wait (tests pass a recorder).

    Raises:
        ProviderError: the last error once retries are spent, or a non-retryable one.
    """
    # the first attempt runs outside tenacity: most calls succeed, and its machinery
    # costs about a fifth of a loopback call; a failure is replayed as attempt one
    try:
        return await call(), 0
    except ProviderError as exc:
        if not exc.retryable or max_retries <= 0:
            raise
        first: ProviderError | None = exc
    retries = 0

    def before_sleep(state: RetryCallState) -> None:
        nonlocal retries
        retries += 1
        exc = state.outcome.exception() if state.outcome else None
        if log.isEnabledFor(logging.INFO):
            _log_retry(exc, retries, state.upcoming_sleep)
        if on_retry is not None and isinstance(exc, ProviderError):
            on_retry(exc, retries)

    retrying = AsyncRetrying(
        stop=stop_after_attempt(max_retries + 1),
        wait=backoff(base_delay, max_delay),
        retry=retry_if_exception(is_retryable),
        before_sleep=before_sleep,
        sleep=sleep,
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                if first is not None:
                    replay, first = first, None
                    raise replay
                result = await call()
    except ProviderError as exc:
        exc.retries = retries  # an item that errors after retrying still shows them
        raise
    return result, retries


def _log_retry(exc: BaseException | None, retry: int, wait_s: float) -> None:
    """One log line per failed attempt that is tried again (the call's line follows)."""
    from harness.hooks import current_item_id
    from harness.observe.redact import Redactor

    error = Redactor.from_env().text(str(exc)) if exc is not None else None
    log.info(
        "attempt %d failed, retrying in %.2f s: %s",
        retry,
        wait_s,
        error,
        extra={
            "harness_event": {
                "event": "attempt_failed",
                "item_id": current_item_id(),
                "provider": getattr(exc, "provider", None),
                "model": getattr(exc, "model", None),
                "attempt": retry,
                "status": "retrying",
                "http_status": getattr(exc, "status_code", None),
                "error_type": type(exc).__name__ if exc is not None else None,
                "error": error,
                "retry_wait_s": round(wait_s, 3),
            }
        },
    )
