"""Which results the report's case x model matrix embeds: all of them, up to a cap.

A run of up to ``MATRIX_RESULTS`` results whose text fits in ``MATRIX_BYTES`` is
embedded whole, in write order. A bigger one embeds its most informative cases whole
(a matrix row is a spec's case; its cells hold every model and attempt): first cases
where models disagree (one model's pass share differs from another's), then cases with
a failure or an error, then the rest, each group in (spec, case) order, until either
cap is reached. The page says how many cases and results of each kind it left out;
every result stays in results.csv, results.json and the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.report.aggregates import MODEL
from harness.report.payload import PAYLOAD_FIELDS, PayloadBuilder
from harness.report.values import JSON_EMPTY, decode
from harness.store.sqlite import BOOL_FIELDS, Store

MATRIX_RESULTS = 20_000
"""At most this many results are embedded in report.html."""
MATRIX_BYTES = 6_000_000
"""At most about this many bytes of text (prompts, outputs, verdicts) are embedded."""

KINDS = (
    "where models disagree",
    "with failures or errors",
    "where every attempt passed or was skipped",
)
"""The kinds of case, most informative first."""

_RANK = f"""
WITH per_model AS (
    SELECT spec, case_id, {MODEL} AS contender, COUNT(*) AS n,
        AVG(CASE WHEN status = 'skipped' THEN NULL ELSE status = 'passed' END) AS share,
        MAX(status NOT IN ('passed', 'skipped')) AS bad
    FROM results WHERE run_id = ? GROUP BY spec, case_id, contender
)
SELECT spec, case_id,
    CASE WHEN MIN(share) != MAX(share) THEN 0 WHEN MAX(bad) THEN 1 ELSE {len(KINDS) - 1} END
        AS kind,
    SUM(n)
FROM per_model GROUP BY spec, case_id ORDER BY kind, spec, case_id
"""


@dataclass(slots=True)
class Left:
    """Cases and results of one kind left out of the matrix."""

    kind: str
    cases: int = 0
    results: int = 0


@dataclass(slots=True)
class MatrixData:
    """The matrix payload and what it leaves out (``left`` is empty when nothing is)."""

    payload: dict[str, Any]
    total: int
    left: list[Left] = field(default_factory=list)

    @property
    def capped(self) -> bool:
        """Whether some results are left out."""
        return int(self.payload["n"]) < self.total

    @property
    def left_results(self) -> int:
        """Results left out."""
        return self.total - int(self.payload["n"])

    @property
    def left_cases(self) -> int:
        """Cases left out."""
        return sum(k.cases for k in self.left)


def matrix_data(
    store: Store,
    run_id: str,
    *,
    max_results: int = MATRIX_RESULTS,
    max_bytes: int = MATRIX_BYTES,
) -> MatrixData:
    """The payload for the matrix of a run in ``store``, within the caps."""
    total = store.count(run_id)
    if total <= max_results:
        builder = PayloadBuilder()
        for row in _rows(store, run_id, None):
            builder.add(row)
            if builder.bytes > max_bytes:
                break
        else:
            return MatrixData(builder.payload(), total)
    return _ranked(store, run_id, total, max_results, max_bytes)


def _ranked(store: Store, run_id: str, total: int, max_results: int, max_bytes: int) -> MatrixData:
    chosen: list[tuple[str, str, int, int]] = []
    left = [Left(kind) for kind in KINDS]
    budget = max_results
    for spec, case_id, kind, n in store.db.execute(_RANK, (run_id,)):
        if n <= budget:
            chosen.append((spec, case_id, kind, n))
            budget -= n
        else:
            budget = 0  # keep the order: a later, smaller case is not more informative
            left[kind].cases += 1
            left[kind].results += n
    builder = PayloadBuilder()
    store.db.execute("DROP TABLE IF EXISTS temp.report_cases")
    store.db.execute(
        "CREATE TEMP TABLE report_cases (spec TEXT, case_id TEXT, pos INTEGER, "
        "PRIMARY KEY (spec, case_id))"
    )
    try:
        store.db.executemany(
            "INSERT INTO report_cases VALUES (?, ?, ?)",
            ((spec, case_id, pos) for pos, (spec, case_id, _, _) in enumerate(chosen)),
        )
        current, full = -1, False
        for pos, row in _rows(store, run_id, "report_cases"):
            if pos != current:
                current = pos
                full = full or builder.bytes > max_bytes
                if full:
                    _, _, kind, n = chosen[pos]
                    left[kind].cases += 1
                    left[kind].results += n
            if not full:
                builder.add(row)
    finally:
        store.db.execute("DROP TABLE IF EXISTS temp.report_cases")
    return MatrixData(builder.payload(), total, [k for k in left if k.cases])


def _rows(store: Store, run_id: str, cases: str | None) -> Iterator[Any]:
    """A run's results as ``PAYLOAD_FIELDS`` tuples, typed as ``frame.normalize`` types
    them; with ``cases``, only those of the cases in that temp table, as ``(pos, row)``
    in the table's order."""
    columns = ", ".join(MODEL if name == "model" else f"r.{name}" for name in PAYLOAD_FIELDS)
    if cases is None:
        cur = store.db.execute(
            f"SELECT {columns} FROM results r WHERE r.run_id = ? ORDER BY r.rowid", (run_id,)
        )
    else:
        cur = store.db.execute(
            f"SELECT k.pos, {columns} FROM results r JOIN {cases} k "
            "ON r.spec = k.spec AND r.case_id = k.case_id "
            "WHERE r.run_id = ? ORDER BY k.pos, r.rowid",
            (run_id,),
        )
    json_at = [(i, JSON_EMPTY[name]) for i, name in enumerate(PAYLOAD_FIELDS) if name in JSON_EMPTY]
    bool_at = [i for i, name in enumerate(PAYLOAD_FIELDS) if name in BOOL_FIELDS]
    memos: dict[int, dict[str, Any]] = {i: {} for i, _ in json_at}
    steps_at = PAYLOAD_FIELDS.index("steps")
    offset = 0 if cases is None else 1
    while batch := cur.fetchmany(1000):
        for raw in batch:
            row = list(raw[offset:])
            for i, kind in json_at:
                memo = memos[i] if i != steps_at else {}  # steps rarely repeat: keep none
                row[i] = decode(row[i], kind() if kind is not None else None, memo)
            for i in bool_at:
                row[i] = bool(row[i])
            yield tuple(row) if cases is None else (raw[0], tuple(row))
