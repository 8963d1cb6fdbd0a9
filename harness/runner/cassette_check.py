"""Replay items against their cassettes, as a replay run would: ``harness cassettes check``.

Each item is sent through its real driver on a transport that replays from the
cassette and never touches the network, so "stale" means exactly what a replay run
would hit: the driver's HTTP request no longer matches the recorded one. The findings
are the cassettes package's :class:`~harness.cassettes.check.Finding`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from harness.cassettes.check import CheckReport, Finding
from harness.cassettes.recorder import Recorder
from harness.config import ProjectConfig
from harness.drivers.base import Driver, Request, Response, RunMode
from harness.drivers.registry import create_driver, parse_model_id, provider_settings
from harness.embed.provider import provider_embed
from harness.embed.router import LOCAL_ONLY
from harness.errors import (
    CassetteError,
    CassetteMissingError,
    CassetteStaleError,
    HarnessError,
)
from harness.expect import evaluate_case, parse_output
from harness.runner.expand import Selection, expand
from harness.runner.items import Item
from harness.runner.requests import build_request
from harness.spec.types import Spec
from harness.tools.loop import Exchange, loops
from harness.tools.verdicts import evaluate_exchange


class _NoNetwork(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"cassette check must not reach the network ({request.url})")


def expected_items(
    specs: Sequence[Spec], config: ProjectConfig, models: Sequence[str] = ()
) -> list[Item]:
    """The items of ``specs`` on ``models`` (default: each spec's own models)."""
    return list(expand(specs, Selection(models=tuple(models)), config))


async def check_items(items: Iterable[Item], config: ProjectConfig, root: Path) -> CheckReport:
    """Replay each item from its cassette, as a replay run would, and report stale and
    missing ones: the model call, then the case's assertions, so judge and classify calls
    recorded in the item's cassette are checked too."""
    report = CheckReport()
    recorder = Recorder(root, "none")
    drivers: dict[str, Driver] = {}
    try:
        for item in items:
            if item.case.skip:
                continue
            report.checked += 1
            finding = await _check_one(item, config, recorder, drivers)
            if finding is not None:
                report.findings.append(finding)
    finally:
        for driver in drivers.values():
            with contextlib.suppress(Exception):
                await driver.aclose()
    return report


async def _check_one(
    item: Item, config: ProjectConfig, recorder: Recorder, drivers: dict[str, Driver]
) -> Finding | None:
    path = recorder.cassette_path(item)

    def driver_for(model_id: str) -> Driver:
        provider, _ = parse_model_id(model_id)
        if provider not in drivers:
            settings = provider_settings(provider, config)
            mode = RunMode(offline=True, deterministic=True)
            transport = recorder.wrap(_NoNetwork())
            drivers[provider] = create_driver(
                settings.with_mode(mode), transport=transport, prices=config.prices
            )
        return drivers[provider]

    judge_misses: list[CassetteError] = []

    async def judge(model_id: str, request: Request) -> Response:
        try:
            return await driver_for(model_id).complete(request)
        except (CassetteMissingError, CassetteStaleError) as exc:
            judge_misses.append(exc)  # the verdict turns it into an error; we need the cause
            raise

    embed_misses: list[CassetteError] = []

    async def embed(embedder: str, texts: Sequence[str]) -> list[list[float]]:
        provider, model = parse_model_id(embedder)
        if provider == "local":
            return await LOCAL_ONLY(embedder, texts)
        try:
            return await provider_embed(driver_for(embedder), model, texts)
        except (CassetteMissingError, CassetteStaleError) as exc:
            embed_misses.append(exc)
            raise

    try:
        request = build_request(item, config.model_params)
        with recorder.scope(item):
            driver = driver_for(item.model)
            exchange = None
            if loops(item.spec, item.case):  # a tool loop or turns: every step is checked
                exchange = Exchange(item.spec, item.case, item.template, request)
                response = await exchange.run(lambda step, _: driver.complete(step))
            else:
                response = await driver.complete(request)
            output = parse_output(response.text, item.spec.schema, response=response)
            options: dict[str, Any] = {"judge": judge, "embed": embed}
            options.update(judge_model=config.defaults.judge, embedder=config.defaults.embedder)
            if exchange is not None:
                trajectory = exchange.trajectory()
                output = replace(output, trajectory=trajectory)
                await evaluate_exchange(
                    evaluate_case, item.spec, item.case, output, trajectory, **options
                )
            else:
                await evaluate_case(item.spec, item.case, output, **options)
    except CassetteMissingError as exc:
        return Finding("missing", path, item.id, str(exc))
    except CassetteStaleError as exc:
        return Finding("stale", path, item.id, str(exc))
    except CassetteError as exc:  # unreadable: corrupt, truncated, refused tags or aliases
        return Finding("error", path, item.id, str(exc))
    except HarnessError:
        return None  # a recorded provider error replays as that error: the cassette is fine
    except Exception as exc:  # a template or driver problem: say so, keep checking
        return Finding("error", path, item.id, f"{type(exc).__name__}: {exc}")
    if judge_misses:
        return Finding("stale", path, item.id, f"judge call: {judge_misses[0]}")
    if embed_misses:
        return Finding("stale", path, item.id, f"embeddings call: {embed_misses[0]}")
    return None
