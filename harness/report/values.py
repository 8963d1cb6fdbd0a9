"""Cell values as the report reads them, without pandas: missing values, text, JSON cells.

Shared by ``frame.normalize`` (the pandas path) and the store path (``harness.report.
store_report``), so both read a stored cell the same way.
"""

from __future__ import annotations

import json
import math
from typing import Any

from harness.store.records import ERROR, FAILED, PASSED, SKIPPED

STATUSES = (PASSED, FAILED, ERROR, SKIPPED)

JSON_EMPTY: dict[str, type[list[Any]] | type[dict[str, Any]] | None] = {
    "verdicts": list,
    "tags": list,
    "case_vars": dict,
    "expected": list,
    "parsed_output": None,
    "steps": None,
}
"""JSON-valued columns and the type their empty value has (None: any JSON value)."""


def missing(value: Any) -> bool:
    """None or NaN."""
    if value is None:
        return True
    return isinstance(value, float) and math.isnan(value)


def text(value: Any) -> str:
    """A cell as text; empty when missing."""
    return "" if missing(value) else str(value)


def truthy(value: Any) -> bool:
    """A boolean cell from a bool, a number, or text such as ``"true"``/``"1"``."""
    if missing(value):
        return False
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def decode(value: Any, empty: Any, memo: dict[str, Any]) -> Any:
    """A JSON cell as a Python value; ``empty`` when missing or blank.

    Equal texts share one decoded object through ``memo``: read-only downstream, and
    cheap to re-encode (``payload`` memoizes its encoding by identity).
    """
    if missing(value):
        return empty
    if not isinstance(value, str):
        return value
    if value in memo:
        return memo[value]
    if value == "":
        decoded = empty
    else:
        try:
            decoded = json.loads(value)
        except ValueError:
            # parsed_output stored as plain text: keep it as it is
            decoded = value if empty is None else empty
    memo[value] = decoded
    return decoded
