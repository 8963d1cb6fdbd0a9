"""Bring a results frame into one known shape, whatever produced it.

The store hands over JSON columns as text, a frame built from ``ResultRecord``s holds
Python objects, and a ``results.csv`` holds text with empty cells; every later step
reads the frame this module returns.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, cast

import pandas as pd

from harness.report.values import JSON_EMPTY, decode, missing, text, truthy
from harness.report.values import STATUSES as STATUSES
from harness.store.records import PASSED, SKIPPED, ResultRecord

JSON_COLUMNS = JSON_EMPTY
"""JSON-valued columns and the type their empty value has (None: any JSON value)."""
NUMERIC_COLUMNS = (
    "score",
    "latency_ms",
    "ttft_ms",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "cost_usd",
    "started_at",
    "finished_at",
    "rate_limit_wait_ms",
)
BOOL_COLUMNS = ("repaired", "timings_recorded")
KEY = ["spec", "case_id", "attempt"]
"""A case attempt, shared across models and across runs."""


def normalize(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every ``ResultRecord`` column present and typed.

    JSON columns hold Python objects, numeric columns are floats with NaN for
    unknown, booleans are bools and ``attempt`` is an int. When results carry prompt
    variants, ``model`` becomes ``<prompt>@<model>`` (the store keeps them apart), so
    the leaderboard, the Pareto chart, the pairwise table and ``harness compare`` treat
    each prompt x model as one contender.
    """
    out = frame.copy()
    for f in fields(ResultRecord):
        if f.name not in out.columns:
            out[f.name] = None
    for name, kind in JSON_COLUMNS.items():
        empty = kind() if kind is not None else None
        memo: dict[str, Any] = {}
        out[name] = _objects([_decode(v, empty, memo) for v in out[name]], out.index)
    for name in NUMERIC_COLUMNS:
        out[name] = pd.to_numeric(out[name], errors="coerce").astype("float64")
    for name in BOOL_COLUMNS:
        out[name] = [_truthy(v) for v in out[name]]
    out["attempt"] = pd.to_numeric(out["attempt"], errors="coerce").fillna(1).astype("int64")
    for name in ("run_id", "item_id", "spec", "case_id", "model", "status"):
        out[name] = [_text(v) for v in out[name]]
    for name in ("prompt",):
        out[name] = [_text(v) for v in out[name]]
    for name in (
        "output",
        "transformed_output",
        "error",
        "error_type",
        "finish_reason",
        "structured_mode",
    ):
        # object dtype: pandas' string dtype would turn None into NaN
        out[name] = _objects([None if _missing(v) else str(v) for v in out[name]], out.index)
    out["prompt_name"] = [_text(v) for v in out["prompt_name"]]
    if any(out["prompt_name"]):
        # prompt variants: every table, chart and comparison groups by prompt x model
        out["model"] = [
            f"{p}@{m}" if p else m for p, m in zip(out["prompt_name"], out["model"], strict=True)
        ]
    out["passed"] = out["status"] == PASSED
    out["graded"] = out["status"] != SKIPPED
    return out.reset_index(drop=True)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as plain dicts (one typed place for pandas' loose row types)."""
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def _objects(values: list[Any], index: pd.Index) -> pd.Series:
    return pd.Series(values, index=index, dtype=object)


_missing = missing
_text = text
_truthy = truthy
_decode = decode
