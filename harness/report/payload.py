"""The data the report's matrix and detail view read: compact, column-oriented JSON.

Every string (prompts, outputs, reasons, case ids, ...) goes once into a string table
``s`` and columns hold indices into it, so 100,000 results sharing a few hundred
prompts stay small. ``embed_json`` makes the JSON safe inside a ``<script>`` element.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

if TYPE_CHECKING:
    import pandas as pd

from harness.report.failing import written
from harness.report.timeline import timeline_json
from harness.report.values import STATUSES

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
        self.bytes = 0

    def __call__(self, value: str | None) -> int:
        """Index of ``value`` in the table; -1 for None."""
        if value is None:
            return -1
        found = self.index.get(value)
        if found is None:
            found = self.index[value] = len(self.table)
            self.table.append(value)
            self.bytes += len(value.encode("utf-8", "surrogatepass")) + 3
        return found


def _num(value: Any) -> float | int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else round(as_float, 6)


_SORTED = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)
"""``json.dumps(.., sort_keys=True, ensure_ascii=False, default=str)``, built once: a
``json.dumps`` call with options builds an encoder every time."""


class _JsonText:
    """``json.dumps`` memoized by object identity: the frame shares one decoded object
    per distinct JSON text (see ``frame.normalize``), so each is encoded once."""

    def __init__(self) -> None:
        self.memo: dict[int, tuple[Any, str]] = {}

    def __call__(self, value: Any) -> str:
        hit = self.memo.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        text = _SORTED.encode(value)
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


PAYLOAD_FIELDS = (
    "spec",
    "case_id",
    "model",
    "tags",
    "attempt",
    "status",
    "score",
    "latency_ms",
    "ttft_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "repaired",
    "timings_recorded",
    "prompt",
    "output",
    "transformed_output",
    "parsed_output",
    "expected",
    "case_vars",
    "error_type",
    "error",
    "verdicts",
    "steps",
)
"""The result fields the payload reads, in the order ``PayloadBuilder.add`` takes them."""


class PayloadBuilder:
    """Builds the payload one result at a time, so a caller can stream results into it.

    ``add`` takes one result's ``PAYLOAD_FIELDS`` values as ``frame.normalize`` types
    them (JSON cells decoded, missing text as None); ``bytes`` is the string table's
    size so far, for callers that keep the page under a size.
    """

    def __init__(self) -> None:
        self.s = _Strings()
        self.dumps = _JsonText()
        self.as_written = _Memo(written)
        self.status_index = {name: i for i, name in enumerate(STATUSES)}
        self.columns: dict[str, list[Any]] = {name: [] for name in _COLUMNS}

    @property
    def n(self) -> int:
        """Results added so far."""
        return len(self.columns["spec"])

    @property
    def bytes(self) -> int:
        """UTF-8 bytes of the string table so far."""
        return self.s.bytes

    def add(self, row: tuple[Any, ...]) -> None:
        """Add one result: its ``PAYLOAD_FIELDS`` values in order."""
        (spec, case, model, tags, attempt, status, score, latency, ttft, tin, tout, cost,
         repaired, recorded, prompt, output, transformed, parsed, expected, case_vars, kind,
         message, verdicts, steps) = row  # fmt: skip
        s, dumps, c = self.s, self.dumps, self.columns
        c["spec"].append(s(None if spec is None else str(spec)))
        c["case"].append(s(None if case is None else str(case)))
        c["model"].append(s(None if model is None else str(model)))
        c["tags"].append(s(dumps(tags) if tags else "[]"))
        c["attempt"].append(int(attempt))
        c["status"].append(self.status_index.get(status, len(STATUSES)))
        c["score"].append(_num(score))
        c["latency"].append(_num(latency))
        c["ttft"].append(_num(ttft))
        c["tin"].append(_num(tin))
        c["tout"].append(_num(tout))
        c["cost"].append(_num(cost))
        c["repaired"].append(1 if repaired else 0)
        c["recorded"].append(1 if recorded else 0)
        c["prompt"].append(s(None if prompt is None else str(prompt)))
        c["output"].append(s(None if output is None else str(output)))
        c["transformed"].append(s(None if transformed is None else str(transformed)))
        c["parsed"].append(s(_parsed_if_needed(output, parsed, bool(repaired))))
        c["expected"].append(s(dumps(expected)) if expected else -1)
        c["written"].append(s(self.as_written(expected)) if expected else -1)
        c["vars"].append(s(dumps(case_vars)) if case_vars else -1)
        # ConnectionError_ as written
        c["error"].append(s(f"{kind.rstrip('_')}: {message}" if kind else message))
        c["verdicts"].append([_verdict(v, s) for v in verdicts or []])
        c["steps"].append(s(timeline_json(steps)))

    def payload(self) -> dict[str, Any]:
        """The payload of every result added (see ``build_payload`` for its keys).

        The string table is ordered column by column (every spec, then every case, ...),
        not row by row as the strings arrived: the order a whole frame gives, so a run
        reported from a frame and from the store embeds the same text.
        """
        old_table, c = self.s.table, self.columns
        order: dict[int, int] = {}
        for name in _STRING_COLUMNS:
            for i in c[name]:
                if i >= 0 and i not in order:
                    order[i] = len(order)
        for verdicts in c["verdicts"]:
            for v in verdicts:
                for j in (0, 3, 4, 5):
                    if v[j] >= 0 and v[j] not in order:
                        order[v[j]] = len(order)
        table = [""] * len(order)
        for old, new in order.items():
            table[new] = old_table[old]
        columns = {
            name: [order.get(i, -1) for i in values] if name in _STRING_COLUMNS else values
            for name, values in c.items()
        }
        columns["verdicts"] = [
            [[order.get(x, -1) if j in (0, 3, 4, 5) else x for j, x in enumerate(v)] for v in vs]
            for vs in c["verdicts"]
        ]
        return {"s": table, "statuses": [*STATUSES, "unknown"], "n": self.n, **columns}


_COLUMNS = (
    "spec",
    "case",
    "model",
    "tags",
    "attempt",
    "status",
    "score",
    "latency",
    "ttft",
    "tin",
    "tout",
    "cost",
    "repaired",
    "recorded",
    "prompt",
    "output",
    "transformed",
    "parsed",
    "expected",
    "written",
    "vars",
    "error",
    "verdicts",
    "steps",
)


_STRING_COLUMNS = (
    "spec",
    "case",
    "model",
    "tags",
    "prompt",
    "output",
    "transformed",
    "parsed",
    "expected",
    "written",
    "vars",
    "error",
    "steps",
)


def build_payload(frame: pd.DataFrame) -> dict[str, Any]:
    """Column-oriented data for every result in a normalized ``frame``.

    Keys: ``s`` (string table), ``statuses``, then one array per column: ``spec``,
    ``case``, ``model``, ``tags`` (string index of a JSON list), ``attempt``, ``status``
    (index into ``statuses``), ``score``, ``latency``, ``ttft``, ``tin``, ``tout``,
    ``cost``, ``repaired``, ``recorded``, ``prompt``, ``output``, ``transformed`` (the answer
    after the case's transforms), ``parsed`` (JSON text,
    only when it differs from the output), ``expected`` and ``vars`` (JSON text),
    ``written`` (the expectations as the spec wrote them, see ``failing.written``),
    ``error``, ``verdicts`` (per result a list of ``[assertion, passed, score,
    reason, field, error]`` with strings as indices) and ``steps`` (a tool loop's or
    multi-turn exchange's timeline as JSON text, see ``timeline.timeline_json``; -1 for
    a single call).
    """
    builder = PayloadBuilder()
    columns = [
        frame[name].tolist() if name in frame.columns else [None] * len(frame)
        for name in PAYLOAD_FIELDS
    ]
    for row in zip(*columns, strict=True):
        builder.add(row)
    return builder.payload()


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
