"""Which failures are retried, how long we wait, and how retries are counted."""

from __future__ import annotations

import pytest

from harness.drivers.retry import MAX_RETRY_AFTER, with_retries
from harness.errors import (
    AuthenticationError,
    BadRequestError,
    ConnectionError_,
    ContextLengthError,
    MissingAPIKeyError,
    ProviderError,
    RateLimitError,
    ResponseParseError,
    ServerError,
    TimeoutError_,
)


class Flaky:
    """Fails with the given errors in turn, then answers "ok"."""

    def __init__(self, *errors: ProviderError) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


class Sleeps:
    """Records waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(RateLimitError("429"), id="rate-limit"),
        pytest.param(ServerError("500"), id="server"),
        pytest.param(TimeoutError_("slow"), id="timeout"),
        pytest.param(ConnectionError_("reset"), id="connection"),
        pytest.param(ResponseParseError("cut"), id="parse"),
    ],
)
async def test_retryable_errors_are_retried(error: ProviderError) -> None:
    call, sleeps = Flaky(error, error), Sleeps()
    result, retries = await with_retries(call, max_retries=3, sleep=sleeps)
    assert (result, retries, call.calls) == ("ok", 2, 3)
    assert len(sleeps.waits) == 2


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(AuthenticationError("401"), id="auth"),
        pytest.param(MissingAPIKeyError("no key"), id="missing-key"),
        pytest.param(BadRequestError("400"), id="bad-request"),
        pytest.param(ContextLengthError("too long"), id="context-length"),
    ],
)
async def test_auth_and_bad_requests_are_never_retried(error: ProviderError) -> None:
    call, sleeps = Flaky(error), Sleeps()
    with pytest.raises(type(error)):
        await with_retries(call, max_retries=5, sleep=sleeps)
    assert call.calls == 1 and sleeps.waits == []


async def test_gives_up_after_max_retries_with_the_last_error() -> None:
    call = Flaky(*[ServerError(f"fail {i}") for i in range(5)])
    with pytest.raises(ServerError, match="fail 2") as info:
        await with_retries(call, max_retries=2, sleep=Sleeps())
    assert call.calls == 3
    assert info.value.retries == 2, "the error carries the retries made before giving up"


async def test_zero_retries_means_one_attempt() -> None:
    call = Flaky(ServerError("x"))
    with pytest.raises(ServerError):
        await with_retries(call, max_retries=0, sleep=Sleeps())
    assert call.calls == 1


async def test_retry_after_is_honoured() -> None:
    sleeps = Sleeps()
    await with_retries(
        Flaky(RateLimitError("429", retry_after=7.0)), max_retries=1, sleep=sleeps, base_delay=0.01
    )
    assert sleeps.waits == [7.0]


async def test_retry_after_is_capped() -> None:
    sleeps = Sleeps()
    await with_retries(
        Flaky(RateLimitError("429", retry_after=10_000.0)), max_retries=1, sleep=sleeps
    )
    assert sleeps.waits == [MAX_RETRY_AFTER]


async def test_backoff_is_jittered_exponential_and_capped() -> None:
    sleeps = Sleeps()
    call = Flaky(*[ServerError("x")] * 8)
    await with_retries(call, max_retries=8, sleep=sleeps, base_delay=1.0, max_delay=5.0)
    assert all(0 <= w <= 5.0 for w in sleeps.waits)
    assert len(set(sleeps.waits)) > 1  # jitter: not one fixed delay


async def test_on_retry_sees_each_error_and_its_number() -> None:
    seen: list[tuple[str, int]] = []
    errors = (ServerError("a"), TimeoutError_("b"))
    await with_retries(
        Flaky(*errors),
        max_retries=3,
        sleep=Sleeps(),
        on_retry=lambda exc, n: seen.append((type(exc).__name__, n)),
    )
    assert seen == [("ServerError", 1), ("TimeoutError_", 2)]
