"""Fit the run summary table to the terminal: rows stay one line each at 80 columns.

When the full table is wider than the terminal it gives way in this order, stopping as
soon as it fits: error kinds move below the table (the column keeps the count), the
"(recorded)" latency headers shrink to a mark explained in a caption, model ids are
shortened from the middle (``openrouter:meta-…-instruct``), columns are dropped from the
least to the most telling (p50, mean score, tokens, skipped, p95, cost), and last the
model ids shorten further.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from rich.table import Table
from rich.text import Text

MODEL_WIDTH = 24
"""Model ids are shortened to this many characters first, if the table is too wide."""

MIN_MODEL_WIDTH = 12

# least telling first; model, passed, pass rate and errors always stay
DROP_ORDER = ("p50", "score", "tokens", "skipped", "p95", "cost")


@dataclass(frozen=True, slots=True)
class Column:
    """One column: a key for dropping, its header, alignment and cells."""

    key: str
    header: str
    cells: tuple[str, ...]
    justify: str = "right"

    @property
    def width(self) -> int:
        """Characters the column needs (header or widest cell)."""
        return max([len(self.header), *(len(c) for c in self.cells)])


@dataclass(slots=True)
class FittedTable:
    """The columns that fit, and the lines to print under the table."""

    columns: list[Column]
    caption: str | None = None
    notes: list[str] = field(default_factory=list)


def shorten_middle(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters by removing its middle.

    Example:
        >>> shorten_middle("openrouter:meta-llama-3.1-8b-instruct", 24)
        'openrouter:m…8b-instruct'
    """
    if len(text) <= width:
        return text
    keep = width - 1
    head = (keep + 1) // 2
    return text[:head] + "…" + text[len(text) - (keep - head) :]


def table_width(columns: Sequence[Column]) -> int:
    """Width of a rich table with the default box: a border and a space each side."""
    return sum(c.width for c in columns) + 3 * len(columns) + 1


def fit(
    columns: list[Column],
    width: int,
    *,
    error_notes: Sequence[str] = (),
    caption: str = "",
    drop_order: Sequence[str] = DROP_ORDER,
) -> FittedTable:
    """The table's columns made to fit in ``width``; see the module docstring for the order.

    ``error_notes`` are the per-model error kinds, shown under the table once the errors
    column keeps only counts; ``caption`` explains the shortened latency headers.
    """
    out = FittedTable(list(columns))
    steps: list[Callable[[], None]] = [
        functools.partial(_errors_below, out, error_notes),
        functools.partial(_short_headers, out, caption),
        functools.partial(_shorten_models, out, MODEL_WIDTH),
        *(functools.partial(_drop, out, key) for key in drop_order),
        lambda: _shorten_models(out, max(MIN_MODEL_WIDTH, MODEL_WIDTH - _excess(out, width))),
    ]
    for step in steps:
        if table_width(out.columns) <= width:
            break
        step()
    return out


def _excess(out: FittedTable, width: int) -> int:
    return table_width(out.columns) - width


def _replace(out: FittedTable, key: str, **changes: object) -> None:
    out.columns = [replace(c, **changes) if c.key == key else c for c in out.columns]  # type: ignore[arg-type]


def _errors_below(out: FittedTable, notes: Sequence[str]) -> None:
    errors = next((c for c in out.columns if c.key == "errors"), None)
    if errors is None or not notes:
        return
    counts = tuple(_count(cell) for cell in errors.cells)
    _replace(out, "errors", cells=counts, justify="right")
    out.notes.extend(notes)


def _count(cell: str) -> str:
    total = 0
    for part in cell.split(", "):
        _, _, n = part.rpartition(" x")
        total += int(n) if n.isdigit() else 0
    return str(total)


def _short_headers(out: FittedTable, caption: str) -> None:
    changed = False
    for key in ("p50", "p95"):
        column = next((c for c in out.columns if c.key == key), None)
        if column is not None and column.header.endswith(" (recorded)"):
            _replace(out, key, header=column.header.removesuffix(" (recorded)") + "*")
            changed = True
    if changed:
        out.caption = caption


def _shorten_models(out: FittedTable, width: int) -> None:
    model = next(c for c in out.columns if c.key == "model")
    _replace(out, "model", cells=tuple(shorten_middle(c, width) for c in model.cells))


def _drop(out: FittedTable, key: str) -> None:
    out.columns = [c for c in out.columns if c.key != key]
    if key in ("p50", "p95") and not any(c.key in ("p50", "p95") for c in out.columns):
        out.caption = None


def render(fitted: FittedTable, title: str) -> Table:
    """The rich table for fitted columns (rows in column order; cells never wrap)."""
    table = Table(title=title, title_justify="left", caption=fitted.caption, caption_justify="left")
    for column in fitted.columns:
        table.add_column(column.header, justify=column.justify, no_wrap=True)  # type: ignore[arg-type]
    rows = zip(*(c.cells for c in fitted.columns), strict=True)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))  # data: no markup, no :emoji: codes
    return table
