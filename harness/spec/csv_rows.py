"""Problems in CSV cases files: short rows and unterminated quotes, with their position.

A row with fewer cells than the header would give its missing vars as ``None`` (rendered
as the text "None"); an unterminated quote would swallow the rest of the file into one
cell. Both are problems naming the line and the column instead.
"""

from __future__ import annotations

import csv
from typing import Any

Problem = tuple[int, int, str]
"""(line, column, message), both 1-based."""


def short_row_problem(row: dict[str, Any], header: list[str], line: int) -> Problem | None:
    """The problem of a row with fewer cells than the header, or None."""

    missing = [name for name in header if row.get(name) is None]
    if not missing:
        return None
    first = header.index(missing[0]) + 1
    names = ", ".join(repr(m) for m in missing[:5])
    return (
        line,
        first,
        f"row has {len(header) - len(missing)} cells but the header has {len(header)}: "
        f"no value for column {first} ({names}); add the cells (empty ones are fine: ',,')",
    )


def csv_problem(record: list[tuple[int, str]], exc: csv.Error) -> Problem:
    """A CSV syntax error at the line its record started on (for an unterminated quote,
    the line of the opening quote's row; the parser only notices at the end of the file).
    ``record`` is the (number, text) lines the reader took for the failed record."""
    message = str(exc)
    started, line = record[0] if record else (1, "")
    if "unexpected end of data" in message:
        col = line.find('"') + 1 if '"' in line else 1
        return (
            started,
            col,
            "unterminated quote: the quoted cell starting here never closes, so the rest of "
            'the file would be read into it; close it with a " (write "" for a quote inside)',
        )
    return (started, 1, f"CSV error: {message}")
