"""Is a store whole? Checked before a run writes into it.

A store with a damaged page (a disk error, a copy taken mid-write, a file edited by
hand) can take writes silently and lose them, or fail at the end of a run. SQLite's
``quick_check`` reads every page without the slower index cross-checks; a damaged store
is refused with the steps to recover it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from harness.errors import ConfigError


def recovery_steps(path: Path | None) -> str:
    """What to do with a damaged store at ``path``."""
    shown = str(path) if path is not None else "<store>"
    return (
        f"to keep what it holds: sqlite3 {shown} '.recover' | sqlite3 {shown}.recovered "
        f"&& mv {shown} {shown}.damaged && mv {shown}.recovered {shown}; or start afresh: "
        f"mv {shown} {shown}.damaged (or pass --store to use another file)"
    )


def check_integrity(db: sqlite3.Connection, path: Path | None) -> None:
    """Raise if SQLite's quick check finds damage.

    Raises:
        ConfigError: the store is damaged; the message holds the recovery steps.
    """
    try:
        rows = db.execute("PRAGMA quick_check").fetchall()
        problems = [r[0] for r in rows if r[0] != "ok"]
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(
            f"results store {path} is damaged: {problems[0]}{more}; nothing was written to it. "
            + recovery_steps(path)
        )
