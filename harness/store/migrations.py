"""The results store's schema, evolved only by appending migrations (simonw/llm style).

Each migration runs once per database, in order, inside one transaction; the
``_migrations`` table remembers which ones ran. Never edit or reorder a released
migration: append a new one.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]

MIGRATIONS: list[Migration] = []
migration = MIGRATIONS.append


@migration
def m001_runs_and_results(db: sqlite3.Connection) -> None:
    """Runs and their results; JSON values are stored as text."""
    db.execute(
        """
        CREATE TABLE runs (
            run_id TEXT PRIMARY KEY,
            started_at REAL NOT NULL,
            finished_at REAL,
            git_commit TEXT,
            config TEXT NOT NULL DEFAULT '{}',
            spec_hashes TEXT NOT NULL DEFAULT '{}',
            models TEXT NOT NULL DEFAULT '[]',
            params TEXT NOT NULL DEFAULT '{}',
            record_mode TEXT,
            timings TEXT NOT NULL DEFAULT 'live',
            status TEXT NOT NULL DEFAULT 'running',
            source TEXT NOT NULL DEFAULT 'cli'
        )
        """
    )
    db.execute(
        """
        CREATE TABLE results (
            run_id TEXT NOT NULL REFERENCES runs(run_id),
            item_id TEXT NOT NULL,
            spec TEXT NOT NULL,
            case_id TEXT NOT NULL,
            model TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            status TEXT NOT NULL,
            score REAL,
            prompt TEXT NOT NULL DEFAULT '',
            output TEXT,
            parsed_output TEXT,
            repaired INTEGER NOT NULL DEFAULT 0,
            verdicts TEXT NOT NULL DEFAULT '[]',
            latency_ms REAL,
            ttft_ms REAL,
            input_tokens INTEGER,
            output_tokens INTEGER,
            cached_tokens INTEGER,
            reasoning_tokens INTEGER,
            cost_usd REAL,
            finish_reason TEXT,
            structured_mode TEXT,
            retries INTEGER NOT NULL DEFAULT 0,
            error_type TEXT,
            error TEXT,
            cassette TEXT,
            timings_recorded INTEGER NOT NULL DEFAULT 0,
            tags TEXT NOT NULL DEFAULT '[]',
            case_vars TEXT NOT NULL DEFAULT '{}',
            expected TEXT NOT NULL DEFAULT '[]',
            started_at REAL,
            finished_at REAL,
            PRIMARY KEY (run_id, item_id)
        )
        """
    )
    db.execute("CREATE INDEX results_run_model ON results (run_id, model)")


@migration
def m002_response_cache(db: sqlite3.Connection) -> None:
    """The optional response cache (``--cache``), keyed on the canonical request."""
    db.execute(
        """
        CREATE TABLE response_cache (
            key TEXT PRIMARY KEY,
            created_at REAL NOT NULL,
            response TEXT NOT NULL
        )
        """
    )


@migration
def m003_results_cached(db: sqlite3.Connection) -> None:
    """Whether a result came from the response cache."""
    db.execute("ALTER TABLE results ADD COLUMN cached INTEGER NOT NULL DEFAULT 0")


@migration
def m004_results_overview_index(db: sqlite3.Connection) -> None:
    """A covering index for per-run, per-spec x model counts, cost and latency: what
    `harness view` lists and charts reads it alone, never the rows' prompts and answers."""
    db.execute(
        "CREATE INDEX results_overview "
        "ON results (run_id, spec, model, status, cost_usd, latency_ms)"
    )


@migration
def m005_results_rate_limit_wait(db: sqlite3.Connection) -> None:
    """How long each item waited for its provider's rate limits, in milliseconds."""
    db.execute("ALTER TABLE results ADD COLUMN rate_limit_wait_ms REAL")


@migration
def m006_results_transformed_output(db: sqlite3.Connection) -> None:
    """The answer after the case's transforms, beside the raw ``output``."""
    db.execute("ALTER TABLE results ADD COLUMN transformed_output TEXT")


@migration
def m007_results_prompt_name(db: sqlite3.Connection) -> None:
    """The prompt variant of a result, beside its rendered ``prompt``."""
    db.execute("ALTER TABLE results ADD COLUMN prompt_name TEXT")


@migration
def m008_results_overview_prompts_index(db: sqlite3.Connection) -> None:
    """``m004``'s covering index with the prompt variant, led by model x prompt: `harness
    view` counts per run, per prompt x model and per spec x model x prompt from the index
    alone (the per-model table too, which ``m004``'s left to ``results_run_model`` and the
    rows). It replaces ``m004``'s index."""
    db.execute("DROP INDEX IF EXISTS results_overview")
    db.execute(
        "CREATE INDEX results_overview_prompts "
        "ON results (run_id, model, prompt_name, spec, status, cost_usd, latency_ms)"
    )


@migration
def m009_results_steps(db: sqlite3.Connection) -> None:
    """Every step of a tool loop or multi-turn exchange, as one JSON array per result
    (``ResultRecord.steps``); NULL for a single model call.

    A column rather than a steps table: a result and its steps are written, replaced
    (``INSERT OR REPLACE`` of a retried item), merged and exported together, always
    whole; nothing queries one step across results, and SQLite's ``json_each`` can when
    something does. The covering indexes leave it out, so overview queries never read it.
    """
    db.execute("ALTER TABLE results ADD COLUMN steps TEXT")


@migration
def m010_batch_jobs(db: sqlite3.Connection) -> None:
    """The batches a run sent (``harness run --batch``) and which items each holds, so
    ``--resume`` picks up the same batches instead of paying for them twice. Only new
    tables: it depends on no other migration's content."""
    db.execute(
        """
        CREATE TABLE batch_jobs (
            run_id TEXT NOT NULL,
            job TEXT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            batch_id TEXT,
            input_file_id TEXT,
            status TEXT NOT NULL DEFAULT 'preparing',
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (run_id, job)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE batch_items (
            run_id TEXT NOT NULL,
            job TEXT NOT NULL,
            item_id TEXT NOT NULL,
            custom_id TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            PRIMARY KEY (run_id, item_id)
        )
        """
    )
    db.execute("CREATE INDEX batch_items_job ON batch_items (run_id, job)")


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply every migration this database has not seen yet; returns their names.

    ``db`` must be in autocommit mode (``isolation_level=None``): each migration gets
    its own explicit transaction, so a failed one leaves the schema as it was.
    """
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"
    )
    done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
    applied: list[str] = []
    for step in MIGRATIONS:
        name = step.__name__
        if name in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        # another process (an xdist worker, a shard) may have applied it while we waited
        if db.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
            db.execute("ROLLBACK")
            continue
        try:
            step(db)
            db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, time.time()))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        applied.append(name)
    return applied
