"""Call a user's function with a deadline, off the event loop.

A ``python`` assertion runs code of yours on a model's answer, which can be anything: a
function that is fast on every answer you tried can loop for hours on one it was never
shown. A synchronous function therefore runs in a daemon thread and the event loop waits
for it at most ``limits.python_timeout_s``; past that the verdict is an error and the run
goes on storing every other result.

Why a thread and not a process: the function gets the live ``Spec``, ``Case`` and
``Response`` objects and may keep state between calls (a loaded model, a cache), which a
process pool would have to pickle and re-import for every call. The code is the
project's own; the hostile part is the input, so the deadline is what matters. A thread
cannot be killed: one that never returns keeps its core busy until the process exits,
but it is a daemon, so it never holds the process open.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections.abc import Callable
from typing import Any


class DeadlineExceeded(Exception):
    """The function did not return within its time limit."""


async def call_with_deadline(fn: Callable[..., Any], *args: Any, timeout: float) -> Any:
    """``fn(*args)`` (awaited if it returns an awaitable), within ``timeout`` seconds.

    Raises:
        DeadlineExceeded: it took longer; a synchronous function keeps running in its
            daemon thread, its result discarded.
        Exception: whatever ``fn`` raised.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    if _is_async(fn):
        result = fn(*args)
    else:
        future: asyncio.Future[Any] = loop.create_future()

        def work() -> None:
            value: Any = None
            error: BaseException | None = None
            try:
                value = fn(*args)
            except BaseException as exc:  # handed to the awaiting coroutine as is
                error = exc
            # the loop may have closed meanwhile (the run ended): then no one is waiting
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, value, error)

        threading.Thread(target=work, name="harness-python-assertion", daemon=True).start()
        try:
            result = await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            raise DeadlineExceeded(f"did not return within {timeout:g} s") from None
    if inspect.isawaitable(result):
        try:
            result = await asyncio.wait_for(result, max(deadline - loop.time(), 0.001))
        except TimeoutError:
            raise DeadlineExceeded(f"did not finish within {timeout:g} s") from None
    return result


def _is_async(fn: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - an object with an async __call__
    )


def _settle(future: asyncio.Future[Any], value: Any, exc: BaseException | None) -> None:
    if future.done():  # timed out (or cancelled) already: the late result is dropped
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(value)
