"""One item's cassette while its scope is open: a vcrpy ``Cassette`` loaded on first use.

Kept apart from ``recorder.py`` so that a run with record mode ``off`` never imports vcrpy
(about 0.2 s of start-up).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from vcr.cassette import Cassette
from vcr.matchers import get_matchers_results, requests_match
from vcr.record_mode import RecordMode as VcrRecordMode

from harness.cassettes.body_diff import body_difference
from harness.cassettes.constants import TIMINGS_KEY
from harness.cassettes.modes import RecordMode
from harness.cassettes.scrub import canonical_body
from harness.cassettes.steps import current_step
from harness.cassettes.storage import MATCH_ON, AtomicPersister, YAMLSerializer
from harness.cassettes.vcr_adapter import loaded_count, save_cassette
from harness.errors import CassetteError

__all__ = ["ItemCassette"]

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
    served: int = 0  # requests answered so far (replayed or recorded), in order
    _cassette: Any = field(default=None, repr=False)
    _reused: set[int] = field(default_factory=set, repr=False)

    @property
    def cassette(self) -> Any:
        """The vcrpy ``Cassette`` (loaded from disk on first access).

        Raises:
            CassetteError: the file exists but cannot be read as a cassette.
        """
        if self._cassette is None:
            options: dict[str, Any] = {
                "path": str(self.path),
                "serializer": YAMLSerializer,
                "persister": AtomicPersister,
                "record_mode": _VCR_MODES[self.mode],
                "match_on": MATCH_ON,
                # "all" rewrites the file with only this run's interactions
                "drop_unused_requests": self.mode == "all",
            }
            try:
                self._cassette = Cassette.load(**options)
                # disk holds indented JSON bodies; matching compares the compact form
                for request in self._cassette.requests:
                    request.body = canonical_body(request.body) if request.body else request.body
            except (yaml.YAMLError, ValueError, KeyError, TypeError, RecursionError) as exc:
                if self.mode == "all":  # re-recording: what the file held is not needed
                    self._cassette = Cassette(**options)
                    return self._cassette
                raise CassetteError(
                    f"cannot read the cassette of {self.item_id} ({self.path}): {exc}; "
                    "delete it and re-record with --record-mode all"
                ) from exc
        return self._cassette

    def explain_miss(self, request: Any) -> str:
        """Which part of the closest recorded request differs, for the stale message.

        In a multi-step exchange (:mod:`harness.cassettes.steps`) the message names the
        step, and the recorded request at the same place in the order is preferred: later
        steps differ from the first one by their whole history.
        """
        best: list[str] | None = None
        closest: Any = None
        requests = self.cassette.requests
        in_order = requests[self.served] if self.served < len(requests) else None
        for recorded in requests:
            _, fails = get_matchers_results(request, recorded, MATCH_ON)
            names = [name for name, _ in fails]
            if (
                best is None
                or len(names) < len(best)
                or (len(names) == len(best) and recorded is in_order)
            ):
                best, closest = names, recorded
        step = current_step()
        if not best:
            return "every recorded request was already replayed"
        differ = "the request's " + " and ".join(n.replace("json_", "") for n in best) + " differ"
        change = body_difference(closest.body, request.body) if "json_body" in best else None
        if step is not None:
            if change and best == ["json_body"]:
                return f"step {step} of the exchange differs at {change}"
            tail = f", first at {change}" if change else ""
            return f"step {step} of the exchange: {differ}{tail}"
        return f"{differ}, first at {change}" if change else differ

    def keep_timings_if_unchanged(self, request: Any, stored: dict[str, Any]) -> dict[str, Any]:
        """Re-recording equivalent traffic keeps the old response, so the file does not change.

        Equivalent means the same request, status and answer once volatile fields are set
        aside: response ids, creation times, request-id headers and server-side durations
        (see ``VOLATILE_BODY_KEYS``). The model's output, usage and finish reason must match.
        """
        cassette = self.cassette
        for index in range(loaded_count(cassette)):
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
        save_cassette(self._cassette)
        return True


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
