"""The data the report's matrix and detail view read: compact, column-oriented JSON.

Every string (prompts, outputs, reasons, case ids, ...) goes once into a string table
``s`` and columns hold indices into it, so 100,000 results sharing a few hundred
prompts stay small. ``embed_json`` makes the JSON safe inside a ``<script>`` element.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pandas as pd
from markupsafe import Markup

from harness.report.failing import written
from harness.report.frame import STATUSES

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


class _JsonText:
    """``json.dumps`` memoized by object identity: the frame shares one decoded object
    per distinct JSON text (see ``frame.normalize``), so each is encoded once."""

    def __init__(self) -> None:
        self.memo: dict[int, tuple[Any, str]] = {}

    def __call__(self, value: Any) -> str:
        hit = self.memo.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
        self.memo[id(value)] = (value, text)  # holding value keeps its id from being reused
        return text


class _Memo:
    """A function of a JSON value memoized by identity, like :class:`_JsonText`."""

    def __init__(self, fn: Callable[[Any], str]) -> None:
        self.fn = fn
        self.memo: dict[int, tuple[Any, str]] = {}

    def __call__(self, value: Any) -> str:
        hit = self.memo.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        text = self.fn(value)
        self.memo[id(value)] = (value, text)
        return text


def _nums(values: list[Any]) -> list[float | int | None]:
    return [_num(v) for v in values]


def build_payload(frame: pd.DataFrame) -> dict[str, Any]:
    """Column-oriented data for every result in a normalized ``frame``.

    Keys: ``s`` (string table), ``statuses``, then one array per column: ``spec``,
    ``case``, ``model``, ``tags`` (string index of a JSON list), ``attempt``, ``status``
    (index into ``statuses``), ``score``, ``latency``, ``ttft``, ``tin``, ``tout``,
    ``cost``, ``repaired``, ``recorded``, ``prompt``, ``output``, ``transformed`` (the answer
    after the case's transforms), ``parsed`` (JSON text,
    only when it differs from the output), ``expected`` and ``vars`` (JSON text),
    ``written`` (the expectations as the spec wrote them, see ``failing.written``),
    ``error`` and ``verdicts`` (per result a list of ``[assertion, passed, score,
    reason, field, error]`` with strings as indices).
    """
    s = _Strings()
    dumps = _JsonText()
    as_written = _Memo(written)
    status_index = {name: i for i, name in enumerate(STATUSES)}

    def col(name: str) -> list[Any]:
        return list(frame[name].tolist()) if name in frame.columns else [None] * len(frame)

    def interned(name: str) -> list[int]:
        return [s(None if v is None else str(v)) for v in col(name)]

    errors = [
        f"{kind.rstrip('_')}: {message}" if kind else message  # ConnectionError_ as written
        for kind, message in zip(col("error_type"), col("error"), strict=True)
    ]
    return {
        "s": s.table,
        "statuses": [*STATUSES, "unknown"],
        "n": len(frame),
        "spec": interned("spec"),
        "case": interned("case_id"),
        "model": interned("model"),
        "tags": [s(dumps(t) if t else "[]") for t in col("tags")],
        "attempt": [int(a) for a in col("attempt")],
        "status": [status_index.get(v, len(STATUSES)) for v in col("status")],
        "score": _nums(col("score")),
        "latency": _nums(col("latency_ms")),
        "ttft": _nums(col("ttft_ms")),
        "tin": _nums(col("input_tokens")),
        "tout": _nums(col("output_tokens")),
        "cost": _nums(col("cost_usd")),
        "repaired": [1 if v else 0 for v in col("repaired")],
        "recorded": [1 if v else 0 for v in col("timings_recorded")],
        "prompt": interned("prompt"),
        "output": interned("output"),
        "transformed": interned("transformed_output"),
        "parsed": [
            s(_parsed_if_needed(o, p, bool(r)))
            for o, p, r in zip(col("output"), col("parsed_output"), col("repaired"), strict=True)
        ],
        "expected": [s(dumps(v)) if v else -1 for v in col("expected")],
        "written": [s(as_written(v)) if v else -1 for v in col("expected")],
        "vars": [s(dumps(v)) if v else -1 for v in col("case_vars")],
        "error": [s(e) for e in errors],
        "verdicts": [[_verdict(v, s) for v in vs or []] for vs in col("verdicts")],
    }


def _parsed_if_needed(output: str | None, parsed: Any, repaired: bool) -> str | None:
    if parsed is None:
        return None
    # cheap first: output that is not JSON at all (prose, fences) always needs the value
    if output is not None and (repaired or output.lstrip()[:1] in ("{", "[", '"')):
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
