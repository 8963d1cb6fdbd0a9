"""``harness run --batch``: send a run's calls through the providers' batch APIs, then score.

Before the run's workers start, :func:`send_batches` gathers the items whose calls go
into batches: ``--batch`` (or ``batch: true`` on the provider in harness.yaml, or on the
spec), a provider whose driver declares a batch API
(:class:`~harness.drivers.batch_base.BatchAPI`), and a call that will really be sent
(not replayed from a cassette, not in the response cache, not streamed, offering no
tools: a tool loop's later steps depend on the first answer). It groups
them per provider and model, writes each group to the results store (migration
``m010``) before sending it, sends it, polls every batch until it ends (one progress
line each time a batch moves) and reads the answers. Then the run goes on as usual with
a :class:`~harness.runner.batch_answers.BatchItemExecutor`: every item is scored and
stored exactly as a live one, its batch answer standing in for the live call.

``--resume`` reads the stored batches back: a batch that was sent is polled again, never
sent twice; one interrupted before the provider took it is sent then. A line the batch
did not answer (failed, expired, cancelled, missing) is retried live through the
provider gate, where a lasting failure ends the item as an error: none is lost, none
runs twice. Providers without a batch API run live, with a one-line note.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.drivers.base import ProviderSettings, Request, Usage, refused_parts
from harness.drivers.batch_base import BatchAPI, BatchJob, BatchLine, batch_api_of
from harness.drivers.http_driver import HTTPDriver
from harness.drivers.pricing import batch_cost_usd
from harness.errors import BadRequestError, HarnessError, ProviderError
from harness.runner.batch_answers import (
    BatchAnswered,
    BatchItemExecutor,
    batched_call,
    request_hash,
)
from harness.runner.budget import replayed_for_free
from harness.runner.cache import cache_key
from harness.runner.estimate import input_tokens, max_output
from harness.runner.item_executor import ItemExecutor
from harness.runner.items import Item
from harness.runner.tool_loop import exchange_of
from harness.store.batch_jobs import BatchLedger, StoredItem, StoredJob

if TYPE_CHECKING:
    from harness.runner.run import Run

__all__ = ["DEFAULT_POLL_INTERVAL", "send_batches"]

DEFAULT_POLL_INTERVAL = 30.0
"""Seconds between polls of a batch (a provider's ``options: {batch_poll_interval: N}``)."""


@dataclass(slots=True)
class _Job:
    """One batch of the run: what was sent, for which items, and where it stands."""

    name: str
    provider: str
    model: str
    api: BatchAPI
    job: BatchJob
    items: dict[str, str]  # custom id -> item id
    hashes: dict[str, str]  # item id -> request hash
    lines: list[BatchLine] = field(default_factory=list)


class _Batches:
    """Plans, sends and collects one run's batches; see the module docstring."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.ledger = BatchLedger(run.store.db, run.run_id)
        self.holds: dict[str, tuple[str, float]] = {}
        self.answers: dict[str, BatchAnswered] = {}
        self._apis: dict[str, BatchAPI | None] = {}
        self._job_count = 0

    # messages

    def note(self, text: str) -> None:
        """One line on the run's console (unless progress is off)."""
        if self.run.options.progress is not False:
            self.run.console.print(text, markup=False, emoji=False, highlight=False, soft_wrap=True)

    # planning

    def api(self, provider: str) -> BatchAPI | None:
        """The provider's batch API, or None (said once) when it has none."""
        if provider in self._apis:
            return self._apis[provider]
        pool = self.run.pool
        driver = pool.driver(provider)
        settings = pool.settings(provider)
        declared = batch_api_of(driver)
        api: BatchAPI | None = None
        if declared is None or not isinstance(driver, HTTPDriver):
            self.note(f"note: {provider} has no batch API; its calls run live")
        elif not declared.available(settings):
            self.note(
                f"note: {provider} is a compatible server with no known batch API; its calls "
                "run live (set batch: true on it in harness.yaml if it has one)"
            )
        else:
            api = declared(driver, max_retries=settings.max_retries)
        self._apis[provider] = api
        return api

    def wanted(self, item: Item, provider: str) -> bool:
        """Whether the item's call should go into a batch (spec, then run, then provider)."""
        if item.spec.batch is not None:
            return item.spec.batch
        return self.run.options.batch or self.run.pool.settings(provider).batch

    def _items(self) -> Iterator[tuple[str, Item]]:
        for provider, items in self.run._provider_items().items():
            for item in items:
                yield provider, item

    def plan(self, taken: set[str]) -> list[_Job]:
        """New jobs for the wanted items not already in a stored batch."""
        run = self.run
        executor = run.executor
        recorder = run.recorder
        groups: dict[tuple[str, str], list[tuple[Item, BatchLine, str]]] = {}
        streamed = 0
        for provider, item in self._items():
            if item.id in taken or item.case.skip or not self.wanted(item, provider):
                continue
            api = self.api(provider)
            if api is None:
                continue
            if recorder.active and replayed_for_free(
                "once" if recorder.mode == "new_episodes" else recorder.mode,
                recorder.cassette_path(item),
            ):
                continue  # its cassette answers it
            try:
                request = executor.request(item)
            except Exception:  # the live path records why it cannot be built
                continue
            if request.stream or request.tools or exchange_of(item, request) is not None:
                streamed += 1
                continue
            driver = api.driver
            settings = run.pool.settings(provider)
            if executor.cache is not None:
                key = cache_key(settings, request)
                if executor.cache.store.cache_get(key, ttl=executor.cache.ttl) is not None:
                    continue
            if refused_parts(driver.accepts, request):
                continue
            try:
                call, path = batched_call(driver, request)
            except HarnessError:
                continue
            if not self._hold(item, settings, request):
                continue
            digest = request_hash(path, call.body)
            groups.setdefault((provider, request.model), []).append(
                (item, BatchLine("", call, path), digest)
            )
        if streamed:
            self.note(
                f"note: {streamed} streamed, tool-using or multi-turn call(s) run live (a "
                "batch can neither stream nor run an exchange's later steps)"
            )
        return [job for key, entries in groups.items() for job in self._split(key, entries)]

    def _hold(self, item: Item, settings: ProviderSettings, request: Request) -> bool:
        """Reserve the item's batch-priced estimate in the budget (False: it does not fit)."""
        budget = self.run.budget
        if not budget.limited:
            return True
        usage = Usage(input_tokens=input_tokens(request), output_tokens=max_output(request))
        priced = batch_cost_usd(settings, request.model, usage, self.run.config.prices)
        estimate = budget.estimate(item.model, priced)
        if not budget.try_reserve(item.spec.name, item.model, estimate):
            return False
        self.holds[item.id] = (item.spec.name, estimate)
        return True

    def _split(
        self, key: tuple[str, str], entries: list[tuple[Item, BatchLine, str]]
    ) -> Iterator[_Job]:
        provider, model = key
        api = self.api(provider)
        assert api is not None
        chunk: list[tuple[Item, BatchLine, str]] = []
        size = 0
        for entry in entries:
            body = len(json.dumps(entry[1].call.body))
            if chunk and (len(chunk) >= api.max_requests or size + body > api.max_bytes):
                yield self._job(provider, model, api, chunk)
                chunk, size = [], 0
            chunk.append(entry)
            size += body
        if chunk:
            yield self._job(provider, model, api, chunk)

    def _job(
        self, provider: str, model: str, api: BatchAPI, chunk: list[tuple[Item, BatchLine, str]]
    ) -> _Job:
        self._job_count += 1
        # unique across resumes too (a resumed run's jobs keep their names)
        name = f"{provider}:{model}#{self._job_count}-{secrets.token_hex(3)}"
        job = _Job(name, provider, model, api, BatchJob(tag=name), {}, {})
        for n, (item, line, digest) in enumerate(chunk, start=1):
            custom_id = f"item-{n}"
            job.items[custom_id] = item.id
            job.hashes[item.id] = digest
            job.lines.append(BatchLine(custom_id, line.call, line.url_path))
        stored = [StoredItem(job.items[c], c, job.hashes[job.items[c]]) for c in job.items]
        self.ledger.add(name, provider, model, stored)
        return job

    async def resumed(self, stored: list[StoredJob]) -> list[_Job]:
        """The stored jobs that still have unscored items (their batches are not resent)."""
        done = self.run._done
        jobs: list[_Job] = []
        for s in stored:
            pending = [i for i in s.items if i.item_id not in done]
            if not pending or s.status == "missing":
                continue
            api = self.api(s.provider)
            if api is None:
                continue
            sent = BatchJob(s.batch_id, s.input_file_id, s.job)
            if s.batch_id is None:  # killed before the id was stored: did the provider take it?
                found = await api.find(s.job)
                if found is None:  # no: plan its items again
                    self.ledger.drop(s.job)
                    continue
                sent = found
                self.ledger.update(s.job, batch_id=found.batch_id, status="submitted")
            job = _Job(s.job, s.provider, s.model, api, sent, {}, {})
            for i in pending:
                job.items[i.custom_id] = i.item_id
                job.hashes[i.item_id] = i.request_hash
            jobs.append(job)
        return jobs

    # sending and collecting

    async def submit(self, job: _Job) -> bool:
        """Send a new job; False (and its items go live) when the provider refused it."""

        def remember(sent: BatchJob) -> None:
            status = "submitted" if sent.batch_id else None
            self.ledger.update(
                job.name, batch_id=sent.batch_id, input_file_id=sent.input_file_id, status=status
            )

        try:
            job.job = await job.api.submit(job.model, job.lines, job.job, remember)
        except ProviderError as exc:
            self.note(f"batch {job.name} was not accepted ({exc}); its calls run live")
            self.ledger.drop(job.name)
            return False
        self.note(
            f"sent {len(job.lines)} call(s) of {job.provider}:{job.model} as batch "
            f"{job.job.batch_id} (batch price)"
        )
        job.lines = []
        return True

    async def wait(self, job: _Job) -> None:
        """Poll until the batch ends, then keep its answers."""
        settings = self.run.pool.settings(job.provider)
        interval = float(settings.options.get("batch_poll_interval", DEFAULT_POLL_INTERVAL))
        shown: tuple[str, int] | None = None
        while True:
            try:
                state = await job.api.poll(job.job)
            except BadRequestError as exc:
                if exc.status_code != 404:
                    raise self._kept(job, exc) from exc
                self.note(f"batch {job.job.batch_id} is gone (404); its calls run live")
                self.ledger.update(job.name, status="missing")
                return
            except ProviderError as exc:
                raise self._kept(job, exc) from exc
            if (state.state, state.finished) != shown:
                shown = (state.state, state.finished)
                total = state.total if state.total is not None else len(job.items)
                self.note(
                    f"batch {job.job.batch_id} ({job.provider}:{job.model}): {state.state}, "
                    f"{state.finished}/{total} done, {state.failed} failed"
                )
            if state.done:
                break
            await asyncio.sleep(interval)
        answered = failed = 0
        for answer in await job.api.results(job.job, state):
            item_id = job.items.get(answer.custom_id)
            if item_id is None or item_id in self.answers:
                continue  # not ours, or a repeated line: one answer per item
            if answer.succeeded and answer.status is not None:
                digest = job.hashes[item_id]
                self.answers[item_id] = BatchAnswered(
                    str(job.job.batch_id), digest, answer.status, answer.body
                )
                answered += 1
            else:
                failed += 1
        self.ledger.update(job.name, status="ended")
        live = len(job.items) - answered
        if live:
            self.note(
                f"batch {job.job.batch_id} ended {state.state}: {answered} answered, "
                f"{live} without an answer ({failed} failed) run live"
            )

    def _kept(self, job: _Job, exc: ProviderError) -> ProviderError:
        """The error that stops the run when a batch cannot be read: the batch is kept."""
        return ProviderError(
            f"could not read batch {job.job.batch_id}: {exc}; the batch is kept in the store, "
            f"continue with: harness run --resume {self.run.run_id}",
            provider=job.provider,
            model=job.model,
            status_code=exc.status_code,
        )

    async def execute(self, stored: list[StoredJob]) -> ItemExecutor:
        """Plan, send, wait and collect; the executor that scores the answers."""
        jobs = await self.resumed(stored) if stored else []
        taken = {item_id for job in jobs for item_id in job.hashes}
        new = self.plan(taken)
        sent = [job for job in new if await self.submit(job)]
        for job in new:
            if job not in sent:
                for item_id in job.hashes:
                    self._release(item_id)
        jobs += sent
        if not jobs:
            return self.run.executor
        await asyncio.gather(*(self.wait(job) for job in jobs))
        for item_id in list(self.holds):
            if item_id not in self.answers:
                self._release(item_id)
        return BatchItemExecutor(self.run.executor, self.answers, self.holds)

    def _release(self, item_id: str) -> None:
        held = self.holds.pop(item_id, None)
        if held is not None:
            spec, estimate = held
            self.run.budget.settle(spec, "", estimate, None)


def _configured(run: Run) -> bool:
    """Whether anything asks for batches: ``--batch``, a provider, or a spec."""
    if run.options.batch or any(s.batch for s in run.specs):
        return True
    from harness.drivers.registry import parse_model_id

    return any(run.pool.settings(parse_model_id(m)[0]).batch for m in run.models)


async def send_batches(run: Run) -> ItemExecutor:
    """Send the run's batches (or pick up its stored ones), wait for them, collect the
    answers; returns the executor the run's workers should use (``run.executor`` itself
    when nothing goes through a batch).

    Raises:
        ProviderError: a batch's state could not be read (the run stops; ``--resume``
            polls the same batch again).
    """
    ledger = BatchLedger(run.store.db, run.run_id)
    stored = ledger.jobs() if run.options.resume else []
    if not stored and not _configured(run):
        return run.executor
    if run.options.executor != "local":  # its workers elsewhere could not use the answers
        if run.options.progress is not False:
            run.console.print(
                f"note: batches are sent with the local executor only; with executor "
                f"{run.options.executor} every call runs live",
                markup=False,
                soft_wrap=True,
            )
        return run.executor
    if run.options.record_mode == "none":
        if run.options.progress is not False:
            run.console.print("note: record mode none: every call replays from its cassette")
        return run.executor
    return await _Batches(run).execute(stored)
