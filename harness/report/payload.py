"""The data the report's matrix and detail view read: compact, column-oriented JSON.

Every string (prompts, outputs, reasons, case ids, ...) goes once into a string table
``s`` and columns hold indices into it, so 100,000 results sharing a few hundred
prompts stay small. ``embed_json`` makes the JSON safe inside a ``<script>`` element.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd
from markupsafe import Markup

from harness.report.frame import STATUSES, records

_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


class _Strings:
    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.table: list[str] = []

    def __call__(self, value: str | None) -> int:
        """Index of ``value`` in the table; -1 for None."""
        if value is None:
            return -1
        found = self.index.get(value)
        if found is None:
            found = self.index[value] = len(self.table)
            self.table.append(value)
        return found


def _num(value: Any) -> float | int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else round(as_float, 6)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def build_payload(frame: pd.DataFrame) -> dict[str, Any]:
    """Column-oriented data for every result in a normalized ``frame``.

    Keys: ``s`` (string table), ``statuses``, then one array per column: ``spec``,
    ``case``, ``model``, ``tags`` (string index of a JSON list), ``attempt``, ``status``
    (index into ``statuses``), ``score``, ``latency``, ``ttft``, ``tin``, ``tout``,
    ``cost``, ``repaired``, ``recorded``, ``prompt``, ``output``, ``parsed`` (JSON text,
    only when it differs from the output), ``expected`` and ``vars`` (JSON text),
    ``error`` and ``verdicts`` (per result a list of ``[assertion, passed, score,
    reason, field, error]`` with strings as indices).
    """
    s = _Strings()
    status_index = {name: i for i, name in enumerate(STATUSES)}
    cols: dict[str, list[Any]] = {
        name: []
        for name in (
            "spec", "case", "model", "tags", "attempt", "status", "score", "latency", "ttft",
            "tin", "tout", "cost", "repaired", "recorded", "prompt", "output", "parsed",
            "expected", "vars", "error", "verdicts",
        )
    }  # fmt: skip
    for r in records(frame):
        cols["spec"].append(s(r["spec"]))
        cols["case"].append(s(r["case_id"]))
        cols["model"].append(s(r["model"]))
        cols["tags"].append(s(_json(sorted(str(t) for t in r["tags"] or []))))
        cols["attempt"].append(int(r["attempt"]))
        cols["status"].append(status_index.get(r["status"], len(STATUSES)))
        cols["score"].append(_num(r["score"]))
        cols["latency"].append(_num(r["latency_ms"]))
        cols["ttft"].append(_num(r["ttft_ms"]))
        cols["tin"].append(_num(r["input_tokens"]))
        cols["tout"].append(_num(r["output_tokens"]))
        cols["cost"].append(_num(r["cost_usd"]))
        cols["repaired"].append(1 if r["repaired"] else 0)
        cols["recorded"].append(1 if r["timings_recorded"] else 0)
        cols["prompt"].append(s(r["prompt"]))
        cols["output"].append(s(r["output"]))
        cols["parsed"].append(s(_parsed_if_needed(r["output"], r["parsed_output"])))
        cols["expected"].append(s(_json(r["expected"])) if r["expected"] else -1)
        cols["vars"].append(s(_json(r["case_vars"])) if r["case_vars"] else -1)
        error = f"{r['error_type']}: {r['error']}" if r["error_type"] else r["error"]
        cols["error"].append(s(error))
        cols["verdicts"].append([_verdict(v, s) for v in r["verdicts"] or []])
    return {"s": s.table, "statuses": [*STATUSES, "unknown"], "n": len(frame), **cols}


def _parsed_if_needed(output: str | None, parsed: Any) -> str | None:
    if parsed is None:
        return None
    if output is not None:
        try:
            if json.loads(output) == parsed:
                return None  # the viewer pretty-prints the output itself
        except ValueError:
            pass
    return json.dumps(parsed, indent=2, ensure_ascii=False, default=str)


def _verdict(v: Any, s: _Strings) -> list[Any]:
    if not isinstance(v, dict):
        return [s(str(v)), 0, None, -1, -1, -1]
    return [
        s(str(v.get("assertion", "?"))),
        1 if v.get("passed") else 0,
        _num(v.get("score")),
        s(None if v.get("reason") is None else str(v["reason"])),
        s(None if v.get("field") is None else str(v["field"])),
        s(None if v.get("error") is None else str(v["error"])),
    ]


def embed_json(value: Any) -> Markup:
    """JSON text safe to place inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` become ``\\u`` escapes so no ``</script>`` or ``<!--`` can
    close or confuse the element; U+2028/2029 are escaped for old JavaScript parsers.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in _ESCAPES.items():
        text = text.replace(raw, escaped)
    return Markup(text)
