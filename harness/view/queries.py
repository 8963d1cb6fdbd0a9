"""The SQL behind `harness view`: every page is a few queries, paged, never a whole table.

Counts, costs and latencies come from the ``results_overview_prompts`` covering index,
so the runs list and the trends read no prompt or answer; result lists are pages of
``LIMIT`` rows, and a search stops as soon as it has a page. Results of a spec with prompt
variants are grouped per prompt x model and labelled ``prompt@model``, as the reports do;
results without variants (``prompt_name`` NULL) are labelled by their model alone.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.report.timeline import timeline_json
from harness.store.sqlite import RESULT_FIELDS

PAGE = 100
"""Results per page."""
TREND_RUNS = 20
"""How many of the latest runs the trends cover."""
EXCERPT = 240
"""Characters of an answer shown in a results list."""

_COUNTS = (
    "COUNT(*) AS n, SUM(status = 'passed') AS passed, SUM(status = 'failed') AS failed, "
    "SUM(status = 'error') AS errors, SUM(status = 'skipped') AS skipped, "
    "SUM(cost_usd) AS cost, COUNT(cost_usd) AS priced, AVG(latency_ms) AS latency"
)


def label(model: str, prompt_name: str | None) -> str:
    """``prompt@model`` for a prompt variant's results, the model alone otherwise."""
    return f"{prompt_name}@{model}" if prompt_name else model


def split_label(text: str) -> list[tuple[str, str | None]]:
    """The (model, prompt name) pairs a label can stand for: the model alone, and, when it
    holds an ``@``, the prompt before the first one (prompt names never hold ``@``)."""
    out: list[tuple[str, str | None]] = [(text, None)]
    prompt, at, model = text.partition("@")
    if at and prompt and model:
        out.append((model, prompt))
    return out


def connect(path: Path) -> sqlite3.Connection:
    """A read-only connection to the store (the view never writes)."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA busy_timeout=5000")
    return db


@dataclass(frozen=True, slots=True)
class Counts:
    """Results of one group by status, with cost and mean latency."""

    n: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    cost: float | None = None
    latency: float | None = None

    @property
    def graded(self) -> int:
        """Results with a verdict or an error (skips left out)."""
        return self.passed + self.failed + self.errors

    @property
    def pass_rate(self) -> float | None:
        """Passed over graded (None when nothing was graded)."""
        return self.passed / self.graded if self.graded else None


def _counts(row: sqlite3.Row | None) -> Counts:
    if row is None or not row["n"]:
        return Counts()
    return Counts(
        n=row["n"],
        passed=row["passed"] or 0,
        failed=row["failed"] or 0,
        errors=row["errors"] or 0,
        skipped=row["skipped"] or 0,
        cost=row["cost"] if row["priced"] else None,
        latency=row["latency"],
    )


@dataclass(frozen=True, slots=True)
class RunRow:
    """One run as the runs list shows it."""

    run_id: str
    started_at: float
    finished_at: float | None
    git_commit: str | None
    models: list[str]
    status: str
    record_mode: str | None
    counts: Counts = field(default_factory=Counts)
    prompts: list[str] = field(default_factory=list)
    """The run's prompt variants, by name (empty when its specs have none)."""


def _prompts(db: sqlite3.Connection, run_id: str) -> list[str]:
    return [
        r[0]
        for r in db.execute(
            "SELECT DISTINCT prompt_name FROM results WHERE run_id = ? AND prompt_name IS NOT NULL "
            "ORDER BY 1",
            (run_id,),
        )
    ]


_RUN_COUNTS = f"SELECT {_COUNTS}, GROUP_CONCAT(DISTINCT prompt_name) AS prompts FROM results"
"""A run's counts and its prompt variants, in one pass over the covering index."""


def _run_row(row: sqlite3.Row, counts: sqlite3.Row) -> RunRow:
    return RunRow(
        run_id=row["run_id"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        git_commit=row["git_commit"],
        models=json.loads(row["models"] or "[]"),
        status=row["status"],
        record_mode=row["record_mode"],
        counts=_counts(counts),
        prompts=sorted((counts["prompts"] or "").split(",")) if counts["prompts"] else [],
    )


def runs(db: sqlite3.Connection, *, limit: int = 200, offset: int = 0) -> list[RunRow]:
    """The newest runs first, each with its counts and cost."""
    rows = db.execute(
        "SELECT * FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ? OFFSET ?",
        (limit, offset),
    ).fetchall()
    out = []
    for row in rows:
        counts = db.execute(f"{_RUN_COUNTS} WHERE run_id = ?", (row["run_id"],)).fetchone()
        out.append(_run_row(row, counts))
    return out


def run_ids(db: sqlite3.Connection) -> list[str]:
    """Every run id, newest first."""
    return [r[0] for r in db.execute("SELECT run_id FROM runs ORDER BY started_at DESC")]


def run(db: sqlite3.Connection, run_id: str) -> RunRow | None:
    """One run with its counts, or None."""
    row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    if row is None:
        return None
    counts = db.execute(f"{_RUN_COUNTS} WHERE run_id = ?", (run_id,)).fetchone()
    return _run_row(row, counts)


def by_model(db: sqlite3.Connection, run_id: str) -> list[tuple[str, Counts]]:
    """A run's counts per model (per ``prompt@model`` for prompt variants), best pass
    rate first."""
    rows = db.execute(
        f"SELECT model, prompt_name, {_COUNTS} FROM results WHERE run_id = ? "
        "GROUP BY model, prompt_name",
        (run_id,),
    ).fetchall()
    out = [(label(r["model"], r["prompt_name"]), _counts(r)) for r in rows]
    return sorted(out, key=lambda mc: (-(mc[1].pass_rate or 0.0), mc[0]))


def facets(db: sqlite3.Connection, run_id: str) -> dict[str, list[str]]:
    """The specs, models and prompt variants of a run, for the filter menus."""
    out: dict[str, list[str]] = {}
    for column in ("spec", "model"):
        out[column] = [
            r[0]
            for r in db.execute(
                f"SELECT DISTINCT {column} FROM results WHERE run_id = ? ORDER BY 1", (run_id,)
            )
        ]
    out["prompt"] = _prompts(db, run_id)
    return out


@dataclass(frozen=True, slots=True)
class Filter:
    """What a results list shows: exact status, spec, model and prompt variant, and text
    to find."""

    status: str = ""
    spec: str = ""
    model: str = ""
    q: str = ""
    page: int = 1
    prompt: str = ""

    def where(self, run_id: str | None) -> tuple[str, list[Any]]:
        """The WHERE clause and its parameters (every run when ``run_id`` is None)."""
        clauses: list[str] = []
        params: list[Any] = []
        if run_id is not None:
            clauses.append("run_id = ?")
            params.append(run_id)
        for column in ("status", "spec", "model"):
            value = getattr(self, column)
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.prompt:
            clauses.append("prompt_name = ?")
            params.append(self.prompt)
        if self.q:
            like = "%" + self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            like += "%"
            clauses.append(
                "(case_id LIKE ? ESCAPE '\\' OR output LIKE ? ESCAPE '\\' "
                "OR prompt LIKE ? ESCAPE '\\' OR error LIKE ? ESCAPE '\\' "
                "OR tags LIKE ? ESCAPE '\\')"
            )
            params += [like] * 5
        return " AND ".join(clauses) or "1", params


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One result in a list: ids, status and an excerpt of the answer."""

    item_id: str
    spec: str
    case_id: str
    model: str
    attempt: int
    status: str
    score: float | None
    latency_ms: float | None
    cost_usd: float | None
    excerpt: str
    error: str | None
    run_id: str = ""
    prompt_name: str | None = None

    @property
    def label(self) -> str:
        """``prompt@model`` for a prompt variant's result, the model alone otherwise."""
        return label(self.model, self.prompt_name)


def results(
    db: sqlite3.Connection, run_id: str | None, filt: Filter
) -> tuple[list[ResultRow], bool]:
    """One page of a run's results in write order (of every run, newest first, when
    ``run_id`` is None), and whether another page follows."""
    where, params = filt.where(run_id)
    offset = (max(filt.page, 1) - 1) * PAGE
    order = "rowid" if run_id is not None else "rowid DESC"
    rows = db.execute(
        "SELECT item_id, spec, case_id, model, attempt, status, score, latency_ms, cost_usd, "
        f"substr(output, 1, {EXCERPT}) AS excerpt, substr(error, 1, {EXCERPT}) AS error, "
        "run_id, prompt_name "
        f"FROM results WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, PAGE + 1, offset],
    ).fetchall()
    out = [
        ResultRow(
            r["item_id"],
            r["spec"],
            r["case_id"],
            r["model"],
            r["attempt"],
            r["status"],
            r["score"],
            r["latency_ms"],
            r["cost_usd"],
            r["excerpt"] or "",
            r["error"],
            r["run_id"],
            r["prompt_name"],
        )
        for r in rows[:PAGE]
    ]
    return out, len(rows) > PAGE


_JSON = frozenset({"parsed_output", "verdicts", "tags", "case_vars", "expected"})


def item(db: sqlite3.Connection, run_id: str, item_id: str) -> dict[str, Any] | None:
    """Every stored field of one result (JSON values parsed), or None."""
    row = db.execute(
        f"SELECT {', '.join(RESULT_FIELDS)} FROM results WHERE run_id = ? AND item_id = ?",
        (run_id, item_id),
    ).fetchone()
    if row is None:
        return None
    out = {name: row[name] for name in RESULT_FIELDS}
    for name in _JSON:
        if isinstance(out.get(name), str):
            with contextlib.suppress(ValueError):
                out[name] = json.loads(out[name])
    out["timeline"] = _timeline(out.pop("steps", None))
    return out


def _timeline(steps: Any) -> dict[str, Any] | None:
    """A tool loop's steps as the report's drill-down shows them (bounded), or None."""
    if not isinstance(steps, str):
        return None
    try:
        text = timeline_json(json.loads(steps))
    except ValueError:
        return None
    return None if text is None else dict(json.loads(text))


def find_item(
    db: sqlite3.Connection, run_id: str, spec: str, case_id: str, model: str, attempt: int
) -> str | None:
    """The item id of a case attempt in a run (compare pages link by case, not by id);
    ``model`` is a label: the model, or ``prompt@model`` for a prompt variant."""
    for name, prompt in split_label(model):
        row = db.execute(
            "SELECT item_id FROM results WHERE run_id = ? AND spec = ? AND case_id = ? "
            "AND model = ? AND attempt = ? AND prompt_name IS ?",
            (run_id, spec, case_id, name, attempt, prompt),
        ).fetchone()
        if row is not None:
            return str(row[0])
    return None


@dataclass(frozen=True, slots=True)
class Trend:
    """One spec x model x prompt variant over the latest runs, oldest first."""

    spec: str
    model: str
    points: list[tuple[str, Counts]]
    prompt: str | None = None
    """The prompt variant (None for a spec without variants)."""

    @property
    def rates(self) -> list[float | None]:
        """Pass rate per run (None where the run graded nothing here)."""
        return [c.pass_rate for _, c in self.points]

    @property
    def costs(self) -> list[float | None]:
        """Total cost per run (None where unknown)."""
        return [c.cost for _, c in self.points]

    @property
    def latencies(self) -> list[float | None]:
        """Mean latency per run, in milliseconds."""
        return [c.latency for _, c in self.points]


def trends(
    db: sqlite3.Connection,
    *,
    spec: str = "",
    model: str = "",
    prompt: str = "",
    runs_back: int = TREND_RUNS,
) -> list[Trend]:
    """Pass rate, cost and latency per spec x model x prompt variant over the latest
    ``runs_back`` runs."""
    latest = [
        r[0]
        for r in db.execute(
            "SELECT run_id FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?", (runs_back,)
        )
    ][::-1]
    if not latest:
        return []
    series: dict[tuple[str, str, str], dict[str, Counts]] = {}
    extra, params = "", []
    if spec:
        extra += " AND spec = ?"
        params.append(spec)
    if model:
        extra += " AND model = ?"
        params.append(model)
    if prompt:
        extra += " AND prompt_name = ?"
        params.append(prompt)
    for run_id in latest:
        rows = db.execute(
            f"SELECT spec, model, prompt_name, {_COUNTS} FROM results WHERE run_id = ?{extra} "
            "GROUP BY spec, model, prompt_name",
            [run_id, *params],
        )
        for r in rows:
            key = (r["spec"], r["model"], r["prompt_name"] or "")
            series.setdefault(key, {})[run_id] = _counts(r)
    return [
        Trend(s, m, [(run_id, by_run[run_id]) for run_id in latest if run_id in by_run], p or None)
        for (s, m, p), by_run in sorted(series.items())
    ]
