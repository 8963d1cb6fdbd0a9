"""``harness_model``: a recorded, cassette-aware model client for Python-written tests.

Calls go through the same drivers, limits and cassettes as spec items. A test's
calls to one model share one cassette,
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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.cassettes.constants import SUFFIX
from harness.cassettes.modes import RecordMode
from harness.cassettes.paths import safe_name
from harness.cassettes.recorder import Recorder
from harness.config import ProjectConfig
from harness.drivers.base import Message, Request, Response
from harness.drivers.registry import parse_model_id
from harness.runner.pool import Pool

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
    """

    def __init__(
        self,
        model_id: str,
        *,
        project: ProjectConfig,
        cassette: Path,
        record_mode: RecordMode,
        nodeid: str,
    ) -> None:
        parse_model_id(model_id)
        self.model_id = model_id
        self.project = project
        self.cassette = cassette
        self.record_mode = record_mode
        self.nodeid = nodeid
        self.recorder = Recorder(cassette.parent, record_mode)

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
        # a pool per call: its HTTP client belongs to this call's event loop
        pool = Pool(self.project, self.recorder, concurrency=4, offline=self.record_mode == "none")
        try:
            with self.recorder.scope_file(self.cassette, f"{self.nodeid}::{self.model_id}"):
                return await pool.complete(self.model_id, request)
        finally:
            await pool.aclose()

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
