"""A small project on the loopback OpenAI fake (it echoes the prompt) and ``harness run``
in a subprocess with a wall-clock limit, so a hang fails the test instead of stalling it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def write_project(root: Path, url: str, spec: str, *, config_extra: str = "") -> Path:
    """harness.yaml with provider ``fake`` at ``url`` and ``specs/hostile.yaml`` = ``spec``."""
    (root / "specs").mkdir(parents=True, exist_ok=True)
    (root / "harness.yaml").write_text(
        "providers:\n"
        f"  fake: {{type: openai, base_url: '{url}/v1', max_retries: 0}}\n"
        "defaults: {record_mode: 'off', concurrency: 4}\n" + config_extra
    )
    (root / "specs" / "hostile.yaml").write_text(spec)
    return root


def harness(root: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``harness ARGS`` in ``root``, killed (and the test failed) past ``timeout`` seconds."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-c", "from harness.cli import main; main()", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def rows(db: Path, sql: str) -> list[Any]:
    """Rows of a query on the store."""
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
