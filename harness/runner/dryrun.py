"""``harness run --dry-run``: how many calls a run would make and what they may cost."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from harness.config import ProjectConfig
from harness.drivers.registry import parse_model_id, provider_settings
from harness.runner.estimate import ModelEstimate, total_range
from harness.runner.expand import Selection, expand
from harness.runner.requests import build_request
from harness.spec.types import Spec


def estimate_run(
    specs: Sequence[Spec], selection: Selection, config: ProjectConfig
) -> list[ModelEstimate]:
    """Per model: calls, estimated tokens and cost range of the selected items (skips excluded).

    Raises:
        ConfigError: a spec has no models, or a provider is unknown.
    """
    estimates: dict[str, ModelEstimate] = {}
    settings = {}
    for item in expand(specs, selection, config):
        if item.case.skip:
            continue
        provider, _ = parse_model_id(item.model)
        if provider not in settings:
            settings[provider] = provider_settings(provider, config)
        estimate = estimates.setdefault(item.model, ModelEstimate(item.model))
        estimate.add(settings[provider], build_request(item, config.model_params), config.prices)
    return list(estimates.values())


def _money(value: float | None) -> str:
    return "unknown price" if value is None else f"${value:.4f}"


def dry_run_table(estimates: Sequence[ModelEstimate]) -> Table:
    """The ``--dry-run`` table; its last row is the total."""
    table = Table(title="harness run --dry-run (no calls made)", title_justify="left")
    for name in ("model", "calls", "input tokens (est.)", "max output tokens", "cost range"):
        table.add_column(name, justify="left" if name in ("model", "cost range") else "right")
    for e in estimates:
        cost = (
            "unknown price"
            if e.cost_low is None
            else f"{_money(e.cost_low)} - {_money(e.cost_high)}"
        )
        table.add_row(e.model, str(e.calls), str(e.input_tokens), str(e.max_output_tokens), cost)
    total = total_range(estimates)
    table.add_row(
        "total",
        str(sum(e.calls for e in estimates)),
        str(sum(e.input_tokens for e in estimates)),
        str(sum(e.max_output_tokens for e in estimates)),
        "unknown price" if total is None else f"{_money(total[0])} - {_money(total[1])}",
    )
    return table
