"""The run's cassette recorder: one vcrpy ``Cassette`` per item, routed by a ``ContextVar``.

The runner creates one ``Recorder`` per run, wraps each driver's transport with
``recorder.wrap(transport)`` and runs every item inside ``with recorder.scope(key):``
(a :class:`CassetteKey`, or an item, which knows its key).
Calls made in that block, the model call and any judge calls, go to the item's
cassette, whatever else is in flight. The cassette is written when the scope ends.

Example:
    >>> recorder = Recorder(Path("cassettes"), "once")
    >>> transport = recorder.wrap(httpx.AsyncHTTPTransport())  # give it to the driver
    >>> with recorder.scope(CassetteKey("qa", "capital", "openai:gpt-4o")):  # doctest: +SKIP
    ...     response = await driver.complete(request)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import httpx

from harness.cassettes.key import CassetteKey
from harness.cassettes.modes import RecordMode
from harness.cassettes.scrub import MIN_SECRET_LEN, Scrubber, env_secrets
from harness.errors import CassetteError

if TYPE_CHECKING:
    from harness.cassettes.item_cassette import ItemCassette

__all__ = ["CassetteKey", "Keyed", "RecordMode", "Recorder"]


class Keyed(Protocol):
    """Anything that knows its cassette (a runner ``Item`` does)."""

    @property
    def cassette_key(self) -> CassetteKey: ...


def _key(of: CassetteKey | Keyed) -> CassetteKey:
    return of if isinstance(of, CassetteKey) else of.cassette_key


class Recorder:
    """Routes each item's HTTP calls to its own cassette under full concurrency.

    Args:
        root: the cassettes folder.
        mode: ``none`` replays only, ``once`` records items without a cassette,
            ``new_episodes`` replays what matches and records the rest, ``all``
            re-records everything, ``off`` passes calls through untouched.
        secret_env: extra environment variables whose values must never reach disk
            (variables named like ``*_KEY``, ``*_TOKEN``, ``*_SECRET`` always count).
        secrets: extra literal secret values.
    """

    def __init__(
        self,
        root: Path,
        mode: RecordMode,
        *,
        secret_env: Iterable[str] = (),
        secrets: Iterable[str] = (),
    ) -> None:
        self.root = Path(root)
        self.mode: RecordMode = mode
        known = env_secrets(secret_env) | {s for s in secrets if len(s) >= MIN_SECRET_LEN}
        self.scrubber = Scrubber(known)
        self.replayed = 0
        self.recorded = 0
        self.written: list[Path] = []
        self._open: dict[Path, ItemCassette] = {}

    def wrap(self, transport: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        """The transport drivers should use (records/replays per the mode)."""
        if self.mode == "off":
            return transport
        from harness.cassettes.transport import CassetteTransport  # vcrpy: only when recording

        return CassetteTransport(transport, self)

    @property
    def active(self) -> bool:
        """Whether calls are recorded or replayed (any mode but ``off``)."""
        return self.mode != "off"

    def cassette_path(self, key: CassetteKey | Keyed) -> Path:
        """Where a key's (or an item's) cassette lives:
        ``<root>/<spec>/<case>/<provider>/<model>.yaml``."""
        return _key(key).path(self.root)

    def scope(self, key: CassetteKey | Keyed) -> contextlib.AbstractContextManager[None]:
        """Route calls made inside this block (in this task) to ``key``'s cassette.

        Tasks started inside the block (judge calls in parallel) inherit the cassette.
        The cassette is written when the block ends, even if it raised.
        """
        if self.mode == "off":
            return contextlib.nullcontext()
        key = _key(key)
        return self.scope_file(key.path(self.root), key.id)

    @contextlib.contextmanager
    def scope_file(self, path: Path, name: str) -> Iterator[None]:
        """Like :meth:`scope`, for a cassette at an explicit ``path`` (``name`` goes in
        error messages): a Python test's calls through ``harness_model`` use this."""
        if self.mode == "off":
            yield
            return
        from harness.cassettes.item_cassette import ItemCassette
        from harness.cassettes.transport import CURRENT

        state = self._open.get(path)
        if state is None:
            state = self._open[path] = ItemCassette(name, path, self.mode)
        state.users += 1
        token = CURRENT.set(state)
        try:
            yield
        finally:
            CURRENT.reset(token)
            state.users -= 1
            if state.users == 0:
                del self._open[path]
                self._save(state)

    def _save(self, state: ItemCassette) -> None:
        try:
            written = state.save()
        except OSError as exc:
            raise CassetteError(f"cannot write cassette {state.path}: {exc}") from exc
        if written:
            self.written.append(state.path)

    def hold(self, path: Path, name: str) -> None:
        """Keep the cassette at ``path`` open across scopes until :meth:`close`.

        A Python test's calls to one model share one cassette: held, its second call
        records next to the first instead of finding a cassette already written.
        """
        if self.mode == "off":
            return
        from harness.cassettes.item_cassette import ItemCassette

        state = self._open.get(path)
        if state is None:
            state = self._open[path] = ItemCassette(name, path, self.mode)
        state.users += 1

    def close(self) -> None:
        """Write every cassette that has new interactions and is still open."""
        for state in list(self._open.values()):
            self._save(state)
