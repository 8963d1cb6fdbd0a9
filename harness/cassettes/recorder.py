"""The run's cassette recorder: one vcrpy ``Cassette`` per item, routed by a ``ContextVar``.

The runner creates one ``Recorder`` per run, wraps each driver's transport with
``recorder.wrap(transport)`` and runs every item inside ``with recorder.scope(item):``.
Calls made in that block, the model call and any judge calls, go to the item's
cassette, whatever else is in flight. The cassette is written when the scope ends.

Example:
    >>> recorder = Recorder(Path("cassettes"), "once")
    >>> transport = recorder.wrap(httpx.AsyncHTTPTransport())  # give it to the driver
    >>> with recorder.scope(item):  # doctest: +SKIP
    ...     response = await driver.complete(request)
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from vcr.cassette import Cassette
from vcr.matchers import get_matchers_results, requests_match
from vcr.record_mode import RecordMode as VcrRecordMode

from harness.cassettes.modes import RecordMode
from harness.cassettes.paths import cassette_path
from harness.cassettes.scrub import MIN_SECRET_LEN, Scrubber, canonical_body, env_secrets
from harness.cassettes.storage import (
    MATCH_ON,
    AtomicPersister,
    YAMLSerializer,
)
from harness.cassettes.transport import CURRENT, TIMINGS_KEY, CassetteTransport
from harness.errors import CassetteError
from harness.runner.items import Item

__all__ = ["ItemCassette", "RecordMode", "Recorder"]

_VCR_MODES = {
    "none": VcrRecordMode.NONE,
    "once": VcrRecordMode.ONCE,
    "new_episodes": VcrRecordMode.NEW_EPISODES,
    "all": VcrRecordMode.ALL,
}


@dataclass(slots=True)
class ItemCassette:
    """One item's cassette while its scope is open; the file is loaded on first use."""

    item_id: str
    path: Path
    mode: RecordMode
    users: int = 0
    _cassette: Any = field(default=None, repr=False)
    _reused: set[int] = field(default_factory=set, repr=False)

    @property
    def cassette(self) -> Any:
        """The vcrpy ``Cassette`` (loaded from disk on first access).

        Raises:
            CassetteError: the file exists but cannot be read as a cassette.
        """
        if self._cassette is None:
            try:
                self._cassette = Cassette.load(
                    path=str(self.path),
                    serializer=YAMLSerializer,
                    persister=AtomicPersister,
                    record_mode=_VCR_MODES[self.mode],
                    match_on=MATCH_ON,
                    # "all" rewrites the file with only this run's interactions
                    drop_unused_requests=self.mode == "all",
                )
                # disk holds indented JSON bodies; matching compares the compact form
                for request in self._cassette.requests:
                    request.body = canonical_body(request.body) if request.body else request.body
            except (yaml.YAMLError, ValueError, KeyError, TypeError) as exc:
                raise CassetteError(
                    f"cannot read the cassette of {self.item_id} ({self.path}): {exc}; "
                    "delete it and re-record with --record-mode all"
                ) from exc
        return self._cassette

    def explain_miss(self, request: Any) -> str:
        """Which part of the closest recorded request differs, for the stale message."""
        best: list[str] | None = None
        for recorded in self.cassette.requests:
            _, fails = get_matchers_results(request, recorded, MATCH_ON)
            names = [name for name, _ in fails]
            if best is None or len(names) < len(best):
                best = names
        if not best:
            return "every recorded request was already replayed"
        return "the request's " + " and ".join(n.replace("json_", "") for n in best) + " differ"

    def keep_timings_if_unchanged(self, request: Any, stored: dict[str, Any]) -> dict[str, Any]:
        """Re-recording equivalent traffic keeps the old response, so the file does not change.

        Equivalent means the same request, status and answer once volatile fields are set
        aside: response ids, creation times, request-id headers and server-side durations
        (see ``VOLATILE_BODY_KEYS``). The model's output, usage and finish reason must match.
        """
        cassette = self.cassette
        for index in range(cassette._loaded_count):
            if index in self._reused:
                continue
            old_request, old = cassette.data[index]
            if (
                old.get("status") == stored["status"]
                and _stable_headers(old.get("headers")) == _stable_headers(stored["headers"])
                and _stable_body(old.get("body")) == _stable_body(stored["body"])
                and old.get(TIMINGS_KEY)
                and requests_match(request, old_request, MATCH_ON)
            ):
                self._reused.add(index)
                return dict(old)
        return stored

    def save(self) -> bool:
        """Write the cassette if this run recorded into it; True when written."""
        if self._cassette is None or not self._cassette.dirty:
            return False
        self._cassette._save()
        return True


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
        return CassetteTransport(transport, self)

    def cassette_path(self, item: Item) -> Path:
        """Where an item's cassette lives: ``<root>/<spec>/<case>/<provider>/<model>.yaml``."""
        return cassette_path(self.root, item.spec.name, item.case.id, item.model, item.attempt)

    @contextlib.contextmanager
    def scope(self, item: Item) -> Iterator[None]:
        """Route calls made inside this block (in this task) to ``item``'s cassette.

        Tasks started inside the block (judge calls in parallel) inherit the item.
        The cassette is written when the block ends, even if it raised.
        """
        if self.mode == "off":
            yield
            return
        path = self.cassette_path(item)
        state = self._open.get(path)
        if state is None:
            state = self._open[path] = ItemCassette(item.id, path, self.mode)
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

    def close(self) -> None:
        """Write every cassette that has new interactions and is still open."""
        for state in list(self._open.values()):
            self._save(state)


# Fields a server fills differently on every call for the same answer.
VOLATILE_BODY_KEYS = frozenset(
    {
        "id",
        "created",
        "created_at",
        "system_fingerprint",
        "responseId",
        "total_duration",
        "load_duration",
        "prompt_eval_duration",
        "eval_duration",
    }
)
VOLATILE_HEADERS = frozenset({"x-request-id", "request-id", "openai-processing-ms"})


def _stable_headers(headers: Any) -> Any:
    if not isinstance(headers, dict):
        return headers
    return {k: v for k, v in headers.items() if k.lower() not in VOLATILE_HEADERS}


def _stable_json(text: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in VOLATILE_BODY_KEYS}
    return value


def _stable_body(body: Any) -> Any:
    """A response body with volatile fields removed: JSON, SSE ``data:`` lines, NDJSON lines."""
    text = body.get("string") if isinstance(body, dict) else body
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str):
        return body
    lines = text.split("\n")
    if len(lines) == 1:
        return _stable_json(text)
    stable: list[Any] = []
    for line in lines:
        if line.startswith("data:"):
            stable.append(("data", _stable_json(line[5:].strip())))
        else:
            stable.append(_stable_json(line) if line.strip() else line)
    return stable
