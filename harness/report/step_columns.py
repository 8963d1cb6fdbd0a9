"""The results files' columns about an item's steps: how many model calls it took and
the tools it called, in order. SQLite computes both from the stored steps.

``step_count`` is the length of ``steps`` for a tool loop or multi-turn exchange, 1 for
a single model call that answered, 0 for an item that got no answer (an error before
any, a skip). ``tool_calls`` is the JSON list of the tool names called, step by step and
in each step in the model's order; empty (null in results.json) for a single call,
whose calls are not recorded as steps.
"""

from __future__ import annotations

STEP_COLUMNS = ("step_count", "tool_calls")
"""The columns after the ``ResultRecord`` fields in results.csv, .json and .parquet."""
STEP_TYPES = {"step_count": "int", "tool_calls": "str"}

_COUNT = (
    "CASE WHEN steps IS NOT NULL THEN json_array_length(steps) "
    "WHEN output IS NOT NULL THEN 1 ELSE 0 END"
)
# ordered by array position: json_group_array keeps the order its rows come in
_NAMES = (
    "(SELECT json_group_array(name) FROM (SELECT json_extract(c.value, '$.name') AS name "
    "FROM json_each(results.steps) AS s, json_each(s.value, '$.tool_calls') AS c "
    "ORDER BY s.key, c.key))"
)


def json_cells() -> list[str]:
    """SQL for each step column as JSON text, for a row of results.json."""
    return [f"CAST({_COUNT} AS TEXT)", f"CASE WHEN steps IS NULL THEN 'null' ELSE {_NAMES} END"]


def csv_cells() -> list[str]:
    """SQL for each step column as a results.csv cell, quoted as the csv module quotes it
    (a non-empty JSON list always holds a double quote)."""
    quoted = (
        f"(SELECT CASE WHEN n = '[]' THEN n ELSE '\"' || replace(n, '\"', '\"\"') || '\"' END "
        f"FROM (SELECT {_NAMES} AS n))"
    )
    return [f"CAST({_COUNT} AS TEXT)", f"CASE WHEN steps IS NULL THEN '' ELSE {quoted} END"]
