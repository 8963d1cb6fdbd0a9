"""The assertions that fail most, per model, counted by SQLite over the store's verdicts.

The same table as :func:`harness.report.failing.failing_assertions` gives for a frame
(a test checks both agree), in one pass of SQLite's ``json_each`` over every verdict:
no verdict is decoded in Python except the few quoted as examples.
"""

from __future__ import annotations

from harness.report.aggregates import MODEL
from harness.report.failing import TOP, FailingAssertion, ModelFailures
from harness.store.sqlite import Store

_ROW = 1_000_000
"""Verdict positions per result in an example's address (rowid * _ROW + position)."""

_VERDICTS = f"""
SELECT {MODEL} AS model,
    COALESCE(NULLIF(CAST(json_extract(v.value, '$.assertion') AS TEXT), ''), '?') AS name,
    CAST(json_extract(v.value, '$.field') AS TEXT) AS field,
    COALESCE(json_extract(v.value, '$.error'), '') NOT IN ('', 0) AS err,
    COALESCE(json_extract(v.value, '$.passed'), 0) IN (0, '') AS not_passed,
    COALESCE(json_extract(v.value, '$.error'), '') NOT IN ('', 0)
        OR COALESCE(json_extract(v.value, '$.reason'), '') NOT IN ('', 0) AS has_example,
    r.rowid * {_ROW} + v.key AS at
FROM results r, json_each(r.verdicts) v
WHERE r.run_id = ? AND json_type(r.verdicts) = 'array' AND v.type = 'object'
"""

_TALLY = f"""
SELECT model, name, field, COUNT(*), SUM(err), SUM(NOT err AND not_passed),
    MIN(CASE WHEN (err OR not_passed) AND has_example THEN at END)
FROM ({_VERDICTS}) GROUP BY model, name, field
"""


def failing_store(store: Store, run_id: str, *, top: int = TOP) -> list[ModelFailures]:
    """Per model, the ``top`` assertions with the most failures (ties: by rate, then name)."""
    models = [
        r[0]
        for r in store.db.execute(
            f"SELECT DISTINCT {MODEL} FROM results WHERE run_id = ?", (run_id,)
        )
    ]
    bad: dict[str, list[tuple[FailingAssertion, int | None]]] = {m: [] for m in models}
    for model, name, where, checked, errors, failed, at in store.db.execute(_TALLY, (run_id,)):
        if errors or failed:
            row = FailingAssertion(name, where, int(checked), int(failed), int(errors))
            bad.setdefault(model, []).append((row, at))
    out = []
    for model in sorted(bad):
        rows = bad[model]
        rows.sort(
            key=lambda p: (
                -(p[0].failed + p[0].errors),
                -p[0].rate,
                p[0].assertion,
                p[0].field or "",
            )
        )
        for row, at in rows[:top]:
            row.example = _example(store, at)
        out.append(ModelFailures(model, [r for r, _ in rows[:top]], max(0, len(rows) - top)))
    return out


def _example(store: Store, at: int | None) -> str:
    """The error (else the reason) of the verdict at ``at``, cut to 160 characters."""
    if at is None:
        return ""
    rowid, position = divmod(at, _ROW)
    found = store.db.execute(
        "SELECT json_extract(verdicts, '$[' || ? || '].error'), "
        "json_extract(verdicts, '$[' || ? || '].reason') FROM results WHERE rowid = ?",
        (position, position, rowid),
    ).fetchone()
    if found is None:
        return ""
    error, reason = found
    return str(error or reason or "")[:160]
