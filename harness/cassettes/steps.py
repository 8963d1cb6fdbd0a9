"""Which step of a multi-step exchange a call is, for the stale-cassette message.

A tool loop or a conversation records every model call of an item in one cassette, in
order. The loop says which step it is calling (``with exchange_step(2):``); when that
call's request matches nothing recorded, the message names the step
("step 2 differs at messages[3].content: ..."). Calls outside a loop have no step.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

__all__ = ["current_step", "exchange_step"]

_STEP: ContextVar[int | None] = ContextVar("harness_exchange_step", default=None)


@contextlib.contextmanager
def exchange_step(index: int) -> Iterator[None]:
    """Calls made inside the block (in this task) are step ``index`` of their exchange."""
    token = _STEP.set(index)
    try:
        yield
    finally:
        _STEP.reset(token)


def current_step() -> int | None:
    """The step being called, or None outside a multi-step exchange."""
    return _STEP.get()
