"""``harness run --dry-run``: how many calls a run would make and what they may cost."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.table import Table

from harness.config import ProjectConfig
from harness.drivers.batch_base import offers_batch
from harness.drivers.registry import parse_model_id, provider_settings
from harness.runner.budget import replayed_for_free
from harness.runner.estimate import ModelEstimate, total_range
from harness.runner.expand import Selection, expand
from harness.runner.items import Item
from harness.runner.money import format_usd
from harness.runner.requests import build_request
from harness.runner.summary_fit import Column, FittedTable, fit, render
from harness.spec.types import Spec


def estimate_run(
    specs: Sequence[Spec],
    selection: Selection,
    config: ProjectConfig,
    *,
    record_mode: str = "off",
    batch: bool = False,
) -> list[ModelEstimate]:
    """Per model: calls, estimated tokens and cost range of the selected items (skips excluded).

    Calls the run would replay from cassettes (``record_mode`` none, or once with the
    cassette present) are counted as free replays, as the run's budget counts them. Calls
    that would go into a batch (``batch``, or the provider's or spec's ``batch: true``, on a
    provider with a batch API) are priced at the batch price.

    Raises:
        ConfigError: a spec has no models, or a provider is unknown.
    """
    estimates: dict[str, ModelEstimate] = {}
    settings = {}
    batchable: dict[str, bool] = {}
    for item in expand(specs, selection, config):
        if item.case.skip:
            continue
        provider, _ = parse_model_id(item.model)
        if provider not in settings:
            settings[provider] = provider_settings(provider, config)
            batchable[provider] = offers_batch(settings[provider])
        estimate = estimates.setdefault(item.model, ModelEstimate(item.model))
        request = build_request(item, config.model_params)
        if record_mode != "off" and replayed_for_free(record_mode, _cassette(item, config)):
            estimate.add_replay(request)
        else:
            chosen = item.spec.batch
            wanted = chosen if chosen is not None else batch or settings[provider].batch
            batched = wanted and batchable[provider] and not (request.stream or request.tools)
            estimate.add(settings[provider], request, config.prices, batch=batched)
    return list(estimates.values())


def _cassette(item: Item, config: ProjectConfig) -> Path:
    from harness.cassettes.paths import cassette_path

    return cassette_path(
        config.cassettes_dir, item.spec.name, item.case.id, item.model, item.attempt
    )


def _money(value: float | None) -> str:
    return "unknown price" if value is None else format_usd(value, sign=True)


DRY_RUN_DROP_ORDER = ("input", "output", "replays")
"""Columns a narrow terminal loses first: model, calls and cost range always stay."""


def dry_run_table(estimates: Sequence[ModelEstimate], *, width: int | None = None) -> Table:
    """The ``--dry-run`` table; its last row is the total. With ``width``, it is fitted to
    it as the run summary is (model ids shortened from the middle, columns dropped)."""
    total = total_range(estimates)
    rows = [
        (
            e.model,
            str(e.calls),
            str(e.replays),
            str(e.input_tokens),
            str(e.max_output_tokens),
            "unknown price"
            if e.cost_low is None
            else f"{_money(e.cost_low)} - {_money(e.cost_high)}",
        )
        for e in estimates
    ]
    rows.append(
        (
            "total",
            str(sum(e.calls for e in estimates)),
            str(sum(e.replays for e in estimates)),
            str(sum(e.input_tokens for e in estimates)),
            str(sum(e.max_output_tokens for e in estimates)),
            "unknown price" if total is None else f"{_money(total[0])} - {_money(total[1])}",
        )
    )
    heads = (
        ("model", "model", "left"),
        ("calls", "calls", "right"),
        ("replays", "replays (free)", "right"),
        ("input", "input tokens (est.)", "right"),
        ("output", "max output tokens", "right"),
        ("cost", "cost range", "left"),
    )
    cells = list(zip(*rows, strict=True)) if rows else [() for _ in heads]
    columns = [
        Column(key, header, tuple(column), justify)
        for (key, header, justify), column in zip(heads, cells, strict=True)
    ]
    fitted = fit(columns, width, drop_order=DRY_RUN_DROP_ORDER) if width else FittedTable(columns)
    return render(fitted, "harness run --dry-run (no calls made)")
