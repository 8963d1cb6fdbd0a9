"""Hooks: code of yours that the run calls as it goes, for logs, traces, alerts or metrics.

A hook is any object with some of these methods (the rest are optional); each gets one
frozen event and returns nothing:

=================  ================  =====================================================
method             event             when
=================  ================  =====================================================
``run_started``    :class:`RunStarted`    before the first item
``item_started``   :class:`ItemStarted`   an item begins (before its model call)
``call_started``   :class:`CallStarted`   before each model call (judge calls included)
``call_finished``  :class:`CallFinished`  after each model call, answered or failed
``item_finished``  :class:`ItemFinished`  an item has its result record
``run_finished``   :class:`RunFinished`   after the last item, however the run ended
=================  ================  =====================================================

Register one in Python, or for every run through the ``harness.hooks`` entry-point group
(the value is a hook class, a factory taking no arguments, or a hook object)::

    import harness.hooks

    class Slow:
        def call_finished(self, event: harness.hooks.CallFinished) -> None:
            if event.latency_ms and event.latency_ms > 10_000:
                print("slow call", event.item_id, event.model)

    harness.hooks.register(Slow())

Hooks run on the run's event loop, in the worker of the item: keep them quick. A hook
that raises is reported once (a warning on the ``harness.hooks`` logger, naming the
hook and the method) and never stops the run or changes a result.
"""

from __future__ import annotations

import contextvars
import inspect
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from harness.config import ProjectConfig
    from harness.drivers.base import Request, Response
    from harness.runner.items import Item
    from harness.store.records import ResultRecord

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "harness.hooks"
"""The entry-point group third-party hooks register under."""

HOOK_METHODS = (
    "run_started",
    "item_started",
    "call_started",
    "call_finished",
    "item_finished",
    "run_finished",
)
"""The methods a hook may define, in the order a run calls them."""


@dataclass(frozen=True, slots=True)
class RunStarted:
    """A run begins: its id, the models it runs on, how it records and how many items."""

    run_id: str
    models: tuple[str, ...]
    record_mode: str
    items: int
    resumed: bool = False


@dataclass(frozen=True, slots=True)
class RunFinished:
    """A run ended with ``status`` ('finished' or 'interrupted'); counts per result status."""

    run_id: str
    status: str
    counts: dict[str, int]
    duration_s: float


@dataclass(frozen=True, slots=True)
class ItemStarted:
    """An item (one case of one spec on one model, one attempt) begins."""

    run_id: str
    item_id: str
    spec: str
    case_id: str
    model: str
    attempt: int


@dataclass(frozen=True, slots=True)
class ItemFinished:
    """An item has its result (the record the store receives)."""

    run_id: str
    record: ResultRecord
    duration_ms: float


@dataclass(frozen=True, slots=True)
class CallStarted:
    """A model call is about to be made. ``judge`` is true for a judge assertion's call.

    ``call_id`` is unique within the process and pairs it with its :class:`CallFinished`.
    """

    call_id: int
    run_id: str
    item_id: str | None
    model: str
    provider: str
    request: Request
    judge: bool = False


@dataclass(frozen=True, slots=True)
class CallFinished:
    """A model call ended: answered (``response``) or failed (``error``, after retries).

    ``wait_ms`` is the time spent waiting for the provider's rate limits and concurrency
    slots, ``duration_ms`` the whole call as the run saw it (waits and retries included),
    ``latency_ms`` the answering attempt's own latency.
    """

    call_id: int
    run_id: str
    item_id: str | None
    model: str
    provider: str
    request: Request
    judge: bool
    status: str
    response: Response | None = None
    error: BaseException | None = None
    retries: int = 0
    wait_ms: float = 0.0
    duration_ms: float = 0.0

    @property
    def latency_ms(self) -> float | None:
        """The answering attempt's latency (None when the call failed)."""
        return self.response.latency_ms if self.response is not None else None

    @property
    def input_tokens(self) -> int | None:
        """Input tokens the provider reported."""
        return self.response.usage.input_tokens if self.response is not None else None

    @property
    def output_tokens(self) -> int | None:
        """Output tokens the provider reported."""
        return self.response.usage.output_tokens if self.response is not None else None

    @property
    def cost_usd(self) -> float | None:
        """The call's cost when known."""
        return self.response.cost_usd if self.response is not None else None


class Hook(Protocol):
    """What a hook may implement; every method is optional (a plain object works)."""

    def run_started(self, event: RunStarted) -> None: ...
    def item_started(self, event: ItemStarted) -> None: ...
    def call_started(self, event: CallStarted) -> None: ...
    def call_finished(self, event: CallFinished) -> None: ...
    def item_finished(self, event: ItemFinished) -> None: ...
    def run_finished(self, event: RunFinished) -> None: ...


# -- registration -------------------------------------------------------------------------

_REGISTERED: list[object] = []


def register(hook: object) -> object:
    """Call ``hook`` in every run of this process from now on; returns it (a decorator too)."""
    register_check(hook)
    if hook not in _REGISTERED:
        _REGISTERED.append(hook)
    return hook


def unregister(hook: object) -> None:
    """Stop calling ``hook`` (no error when it was not registered)."""
    if hook in _REGISTERED:
        _REGISTERED.remove(hook)


def registered() -> list[object]:
    """Hooks registered in Python, in registration order."""
    return list(_REGISTERED)


@contextmanager
def registered_for(*hooks: object) -> Iterator[None]:
    """Register ``hooks`` for the duration of a ``with`` block (tests, notebooks)."""
    for hook in hooks:
        register(hook)
    try:
        yield
    finally:
        for hook in hooks:
            unregister(hook)


def entry_point_hooks(config: ProjectConfig | None = None) -> list[object]:
    """Hooks from the ``harness.hooks`` entry points, built-in ones included.

    An entry point names a hook class (made with no arguments), a hook object, or a
    factory; a factory that takes a parameter gets the project config, and may return
    None to stay out of this run. A hook that cannot be loaded is reported and skipped;
    a factory's :class:`~harness.errors.HarnessError` (a configuration the user must
    fix, e.g. ``--otel`` without the extra) stops the run with its message.
    """
    from harness.errors import HarnessError

    found: list[object] = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        package = ep.dist.name if ep.dist is not None else ep.value
        try:
            value = ep.load()
            hook = _make(value, config)
            if hook is None:
                continue
            register_check(hook)
        except HarnessError:
            raise
        except Exception as exc:  # a broken plugin must not break the others
            log.warning(
                "hook %r from package %s could not be loaded: %s: %s",
                ep.name,
                package,
                type(exc).__name__,
                exc,
            )
            continue
        found.append(hook)
    return found


def _make(value: object, config: ProjectConfig | None) -> object | None:
    if isinstance(value, type):
        made: object = value()
        return made
    if not _is_factory(value):
        return value
    assert callable(value)
    try:
        takes_config = len(inspect.signature(value).parameters) > 0
    except (TypeError, ValueError):
        takes_config = False
    result: object | None = value(config) if takes_config else value()
    return result


def _is_factory(value: object) -> bool:
    return callable(value) and not any(hasattr(value, m) for m in HOOK_METHODS)


def register_check(hook: object) -> None:
    """Raise TypeError unless ``hook`` defines at least one hook method."""
    if not any(callable(getattr(hook, m, None)) for m in HOOK_METHODS):
        raise TypeError(f"{hook!r} has none of the hook methods: {', '.join(HOOK_METHODS)}")


# -- the dispatcher the run holds ---------------------------------------------------------

_call_ids = itertools.count(1)
_current_item: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "harness_hooks_item", default=None
)
_current_wait: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar(
    "harness_hooks_wait", default=None
)


def current_item_id() -> str | None:
    """The id of the item whose work is running in this task (None outside an item)."""
    return _current_item.get()


def note_wait(seconds: float) -> None:
    """Add ``seconds`` to the current call's wait for limits (the pool reports its waits
    here); outside a call observed by hooks it does nothing."""
    bucket = _current_wait.get()
    if bucket is not None:
        bucket[0] += seconds


@dataclass(slots=True)
class Hooks:
    """The hooks of one run, called in order; each failure reported once, never raised.

    The runner creates one (``Hooks.for_run()``) and calls ``run_started`` ...
    ``run_finished`` on it; ``call`` wraps a model call with its two events.
    """

    hooks: list[object] = field(default_factory=list)
    _failed: set[tuple[int, str]] = field(default_factory=set)
    _started: dict[str, float] = field(default_factory=dict)

    @classmethod
    def for_run(cls, config: ProjectConfig | None = None, extra: Iterable[object] = ()) -> Hooks:
        """The hooks registered in Python, then the entry points' (built-in logs and
        OpenTelemetry among them, by name), then ``extra``."""
        hooks = [*registered(), *entry_point_hooks(config), *extra]
        return cls(hooks)

    def __bool__(self) -> bool:
        return bool(self.hooks)

    def emit(self, method: str, event: object) -> None:
        """Call ``method`` on every hook that has it; errors are reported once per hook."""
        for hook in self.hooks:
            fn = getattr(hook, method, None)
            if fn is None:
                continue
            try:
                fn(event)
            except Exception as exc:
                key = (id(hook), method)
                if key not in self._failed:
                    from harness.observe.redact import Redactor

                    self._failed.add(key)
                    log.warning(
                        "hook %s.%s raised %s: %s (reported once; the run goes on)",
                        type(hook).__name__,
                        method,
                        type(exc).__name__,
                        Redactor.from_env().text(str(exc)),
                        exc_info=log.isEnabledFor(logging.DEBUG),
                    )

    # the few calls the runner makes

    def run_started(
        self, run_id: str, models: Iterable[str], record_mode: str, items: int, resumed: bool
    ) -> None:
        """Emit :class:`RunStarted`."""
        self._started[run_id] = time.perf_counter()
        if self.hooks:
            event = RunStarted(run_id, tuple(models), record_mode, items, resumed)
            self.emit("run_started", event)

    def run_finished(self, run_id: str, status: str, counts: dict[str, int]) -> None:
        """Emit :class:`RunFinished`."""
        duration = time.perf_counter() - self._started.pop(run_id, time.perf_counter())
        if self.hooks:
            self.emit("run_finished", RunFinished(run_id, status, dict(counts), duration))

    def item_started(self, run_id: str, item: Item) -> None:
        """Emit :class:`ItemStarted` and mark the item as this task's current one."""
        _current_item.set(item.id)
        if not self.hooks:
            return
        self._started[item.id] = time.perf_counter()
        event = ItemStarted(run_id, item.id, item.spec.name, item.case.id, item.model, item.attempt)
        self.emit("item_started", event)

    def item_finished(self, record: ResultRecord) -> None:
        """Emit :class:`ItemFinished` for the item's record."""
        _current_item.set(None)
        if not self.hooks:
            return
        started = self._started.pop(record.item_id, None)
        took = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        self.emit("item_finished", ItemFinished(record.run_id, record, took))

    async def call(
        self,
        run_id: str,
        model: str,
        request: Request,
        send: Callable[[str, Request], Awaitable[Response]],
        *,
        judge: bool = False,
    ) -> Response:
        """``await send(model, request)`` between :class:`CallStarted` and
        :class:`CallFinished`; returns its response or re-raises its error."""
        if not self.hooks:
            return await send(model, request)
        provider = model.partition(":")[0]
        started = CallStarted(
            next(_call_ids), run_id, _current_item.get(), model, provider, request, judge
        )
        self.emit("call_started", started)
        bucket = [0.0]
        token = _current_wait.set(bucket)
        t0 = time.perf_counter()
        response: Response | None = None
        error: BaseException | None = None
        try:
            response = await send(model, request)
            return response
        except BaseException as exc:
            error = exc
            raise
        finally:
            _current_wait.reset(token)
            status = "ok" if response is not None else _error_status(error)
            retries = response.retries if response is not None else getattr(error, "retries", 0)
            self.emit(
                "call_finished",
                CallFinished(
                    started.call_id,
                    run_id,
                    started.item_id,
                    model,
                    provider,
                    request,
                    judge,
                    status,
                    response=response,
                    error=error,
                    retries=int(retries or 0),
                    wait_ms=bucket[0] * 1000,
                    duration_ms=(time.perf_counter() - t0) * 1000,
                ),
            )


def _error_status(error: BaseException | None) -> str:
    if error is None:
        return "error"
    import asyncio

    if isinstance(error, asyncio.CancelledError | KeyboardInterrupt):
        return "cancelled"
    return "error"
