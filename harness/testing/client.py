"""``harness_model``: a recorded, cassette-aware model client for Python-written tests.

Calls go through the same drivers, limits and cassettes as spec items, and each call
lands in the session's results store like a spec item (spec = the test file, case =
the test, attempt = the call's number). A test's calls to one model share one cassette,
``<cassettes>/<test file without .py>/<test name>/<provider>/<model>.yaml``, written
in the session's record mode::

    async def test_capital(harness_model):
        model = harness_model("openai:gpt-4o-mini")
        response = await model.complete("Capital of France? One word.", max_tokens=5)
        assert "Paris" in response.text
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.cassettes.constants import SUFFIX
from harness.cassettes.modes import RecordMode
from harness.cassettes.paths import safe_name
from harness.cassettes.recorder import Recorder
from harness.config import ProjectConfig
from harness.drivers.base import Message, Request, Response
from harness.drivers.pricing import cost_usd
from harness.drivers.registry import parse_model_id
from harness.runner.item_executor import errored, fill_response
from harness.runner.pool import Pool
from harness.runner.requests import prompt_text
from harness.store.records import ERROR, PASSED, ResultRecord

RecordSink = Callable[[ResultRecord], None]
"""Takes each call's record (run id, item id and attempt still to be set by the session)."""

Prompt = str | Sequence[Message] | Sequence[Mapping[str, str]]
"""A user message's text, or whole messages (``Message`` or ``{"role", "content"}``)."""


def cassette_for_test(root: Path, nodeid: str, model_id: str) -> Path:
    """Where a Python test's calls to ``model_id`` are recorded.

    Example:
        >>> cassette_for_test(Path("c"), "tests/test_a.py::test_x", "openai:gpt-4o").as_posix()
        'c/tests/test_a/test_x/openai/gpt-4o.yaml'
    """
    file, _, name = nodeid.partition("::")
    folder = Path(*(safe_name(p) for p in Path(file).with_suffix("").parts))
    provider, model = parse_model_id(model_id)
    return (
        root
        / folder
        / safe_name(name or "test")
        / safe_name(provider)
        / (safe_name(model) + SUFFIX)
    )


def _messages(prompt: Prompt, system: str | None) -> tuple[Message, ...]:
    if isinstance(prompt, str):
        messages: list[Message] = [Message("user", prompt)]
    else:
        messages = [
            m if isinstance(m, Message) else Message(m["role"], m["content"])  # type: ignore[arg-type]
            for m in prompt
        ]
    if system is not None:
        messages.insert(0, Message("system", system))
    return tuple(messages)


class ModelClient:
    """One model for a Python test, recorded to the test's cassette.

    Args:
        model_id: ``provider:model``.
        project: the project config (providers, prices, per-model params).
        cassette: the cassette file.
        record_mode: the session's record mode.
        nodeid: the test's node id (names the cassette's item).
        on_record: takes each call's record (the session's store).
        recorder: a recorder shared by the test's clients, held open until its
            ``close()`` (default: one per client, each call writing the cassette).
    """

    def __init__(
        self,
        model_id: str,
        *,
        project: ProjectConfig,
        cassette: Path,
        record_mode: RecordMode,
        nodeid: str,
        on_record: RecordSink | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        parse_model_id(model_id)
        self.model_id = model_id
        self.project = project
        self.cassette = cassette
        self.record_mode = record_mode
        self.nodeid = nodeid
        self.on_record = on_record
        # the fixture shares one recorder per test and closes it at teardown, so a test's
        # calls to one model all go to one open cassette
        self.recorder = recorder or Recorder(cassette.parent, record_mode)
        if recorder is not None:
            recorder.hold(cassette, f"{nodeid}::{model_id}")

    def request(
        self,
        prompt: Prompt,
        *,
        system: str | None = None,
        schema: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> Request:
        """The request ``complete`` sends (harness.yaml's params under ``params``)."""
        _, model = parse_model_id(self.model_id)
        merged = {**self.project.model_params.get(self.model_id, {}), **params}
        return Request(
            model=model, messages=_messages(prompt, system), params=merged, schema=schema
        )

    async def complete(
        self,
        prompt: Prompt,
        *,
        system: str | None = None,
        schema: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> Response:
        """Call the model (or replay its cassette) and return the normalized answer.

        Raises:
            ProviderError: the call failed after retries.
            CassetteMissingError: replay-only mode and nothing recorded for this call.
        """
        request = self.request(prompt, system=system, schema=schema, **params)
        record = self._record(request)
        # a pool per call: its HTTP client belongs to this call's event loop
        pool = Pool(self.project, self.recorder, concurrency=4, offline=self.record_mode == "none")
        try:
            with self.recorder.scope_file(self.cassette, f"{self.nodeid}::{self.model_id}"):
                response = await pool.complete(self.model_id, request)
            if response.cost_usd is None:
                settings = pool.settings(parse_model_id(self.model_id)[0])
                cost = cost_usd(settings, request.model, response.usage, self.project.prices)
                if cost is not None:
                    response = replace(response, cost_usd=cost)
        except Exception as exc:
            self._emit(errored(record, exc))
            raise
        finally:
            await pool.aclose()
        fill_response(record, response)
        record.status = PASSED  # a call has no expectations: it passes when it answers
        record.finished_at = time.time()
        self._emit(record)
        return response

    def _record(self, request: Request) -> ResultRecord:
        file, _, test = self.nodeid.partition("::")
        return ResultRecord(
            run_id="",
            item_id="",
            spec=file,
            case_id=test or file,
            model=self.model_id,
            attempt=0,
            status=ERROR,
            prompt=prompt_text(request),
            cassette=str(self.cassette) if self.recorder.active else None,
            started_at=time.time(),
        )

    def _emit(self, record: ResultRecord) -> None:
        if self.on_record is not None:
            self.on_record(record)

    def complete_sync(
        self,
        prompt: Prompt,
        *,
        system: str | None = None,
        schema: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> Response:
        """:meth:`complete` for synchronous tests (safe inside a running event loop too)."""
        call = self.complete(prompt, system=system, schema=schema, **params)
        response: Response = run_sync(call)
        return response


def run_sync(coro: Any) -> Any:
    """Run a coroutine to completion from sync code, on a fresh loop in a thread if needed."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
