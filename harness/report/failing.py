"""What the report adds for a reader hunting a regression: the assertions that fail most,
per model, and each case's expectations written back the way the spec wrote them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.report.flow_yaml import flow_yaml

if TYPE_CHECKING:
    import pandas as pd

TOP = 8
"""Assertions listed per model."""


@dataclass(slots=True)
class FailingAssertion:
    """One assertion (type and field) on one model: how often it was checked and failed."""

    assertion: str
    field: str | None
    checked: int = 0
    failed: int = 0
    errors: int = 0
    example: str = ""

    @property
    def rate(self) -> float:
        """Failed (errors included) over checked."""
        return (self.failed + self.errors) / self.checked if self.checked else 0.0


@dataclass(slots=True)
class ModelFailures:
    """The assertions that fail most on one model, worst first."""

    model: str
    rows: list[FailingAssertion] = field(default_factory=list)
    more: int = 0


def failing_assertions(frame: pd.DataFrame, *, top: int = TOP) -> list[ModelFailures]:
    """Per model, the ``top`` assertions with the most failures (ties: by rate, then name)."""
    if not len(frame) or "verdicts" not in frame.columns:
        return []
    tally: dict[str, dict[tuple[str, str | None], FailingAssertion]] = {}
    for model, verdicts in zip(frame["model"], frame["verdicts"], strict=True):
        per = tally.setdefault(str(model), {})
        for v in verdicts if isinstance(verdicts, list) else ():
            if not isinstance(v, Mapping):
                continue
            name = str(v.get("assertion") or "?")
            where = v.get("field")
            key = (name, None if where is None else str(where))
            row = per.get(key)
            if row is None:
                row = per[key] = FailingAssertion(name, key[1])
            row.checked += 1
            if v.get("error"):
                row.errors += 1
            elif not v.get("passed"):
                row.failed += 1
            else:
                continue
            if not row.example:
                row.example = str(v.get("error") or v.get("reason") or "")[:160]
    out = []
    for model in sorted(tally):
        bad = [r for r in tally[model].values() if r.failed + r.errors]
        bad.sort(key=lambda r: (-(r.failed + r.errors), -r.rate, r.assertion, r.field or ""))
        out.append(ModelFailures(model, bad[:top], max(0, len(bad) - top)))
    return out


def written(expected: Iterable[Mapping[str, Any]]) -> str:
    """Stored expectations as the spec's YAML wrote them, one per line.

    Internal fields are left out (``negate`` becomes the ``not-`` prefix, the default
    weight of 1 is dropped, type options sit beside ``value`` as in the spec).

    Example:
        >>> print(written([{"type": "contains", "value": "x", "weight": 1.0, "negate": True}]))
        - {type: not-contains, value: x}
    """
    lines = []
    for a in expected:
        if not isinstance(a, Mapping):
            continue
        item: dict[str, Any] = {"type": ("not-" if a.get("negate") else "") + str(a.get("type"))}
        for key in ("field", "value"):
            if key in a:
                item[key] = a[key]
        options = a.get("options")
        if isinstance(options, Mapping):
            item.update(options)
        if a.get("threshold") is not None:
            item["threshold"] = a["threshold"]
        if a.get("weight") not in (None, 1, 1.0):
            item["weight"] = a["weight"]
        if a.get("normalize"):
            item["normalize"] = list(a["normalize"])
        lines.append(f"- {flow_yaml(item)}")
    return "\n".join(lines)
