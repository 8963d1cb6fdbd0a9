"""Helpers of the fault drills: a project on faulty fakes, ``harness run`` in a
subprocess that reports its own peak memory, and a look into the store."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STATUSES = frozenset({"passed", "failed", "error", "skipped"})

# the child writes its own peak RSS (KB on Linux) when it exits, whatever the exit path
_CHILD = (
    "import atexit, resource, sys\n"
    "_path = sys.argv.pop(1)\n"
    "def _peak():\n"
    "    with open(_path, 'w') as f:\n"
    "        f.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
    "atexit.register(_peak)\n"
    "from harness.cli import main\n"
    "main()\n"
)


def write_project(
    root: Path,
    urls: Sequence[str],
    cases: int,
    *,
    skip_every: int = 0,
    concurrency: int = 32,
    streamed: Sequence[int] = (),
) -> int:
    """harness.yaml with one provider per URL (``p0``, ``p1``, ...) with short timeouts and
    tiny backoff, and one spec of ``cases`` cases on all of them; returns the item count.

    Models whose index is in ``streamed`` stream their answers (``stream: true`` in
    harness.yaml), so resets and truncation hit them mid-stream."""
    (root / "specs").mkdir(parents=True, exist_ok=True)
    providers = "".join(
        f"  p{i}: {{type: openai, base_url: '{url}/v1', max_retries: 2, "
        "timeout: {connect: 2, read: 0.4, total: 5}, options: {retry_base_delay: 0.005}}\n"
        for i, url in enumerate(urls)
    )
    models = "".join(f"  p{i}:m: {{params: {{stream: true}}}}\n" for i in streamed)
    (root / "harness.yaml").write_text(
        f"providers:\n{providers}"
        + (f"models:\n{models}" if models else "")
        + f"defaults: {{record_mode: 'off', concurrency: {concurrency}}}\n"
    )
    with (root / "specs" / "cases.jsonl").open("w") as f:
        for i in range(cases):
            want = f"item {i}" if i % 10 else "never"
            row: dict[str, object] = {
                "id": f"c{i}",
                "vars": {"n": i},
                "expect": [{"type": "contains", "value": want}],
            }
            if skip_every and i % skip_every == skip_every - 1:
                row["skip"] = "drill: skipped on purpose"
            f.write(json.dumps(row) + "\n")
    models = ", ".join(f"p{i}:m" for i in range(len(urls)))
    (root / "specs" / "drill.yaml").write_text(
        f"name: drill\nmodels: [{models}]\nparams: {{max_tokens: 16}}\n"
        "prompt: 'Repeat: item {{ n }}'\ncases_file: cases.jsonl\n"
    )
    return cases * len(urls)


@dataclass
class Child:
    """A running ``harness run`` subprocess and where it reports its peak RSS."""

    proc: subprocess.Popen[str]
    peak_file: Path

    def peak_rss_mb(self) -> float:
        """The child's peak resident memory in MB (after it exited)."""
        return int(self.peak_file.read_text()) / 1024


def start_run(root: Path, *args: str) -> Child:
    """Start ``harness run ARGS`` in ``root`` as a subprocess."""
    peak = root / f".peak-{len(list(root.glob('.peak-*')))}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(peak), "run", *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return Child(proc, peak)


def stored_rows(db: Path) -> list[sqlite3.Row]:
    """Every result row of every run in a store."""
    with sqlite3.connect(db) as con:
        con.row_factory = sqlite3.Row
        return list(con.execute("SELECT * FROM results"))


def runs(db: Path) -> list[sqlite3.Row]:
    """Every run row of a store."""
    with sqlite3.connect(db) as con:
        con.row_factory = sqlite3.Row
        return list(con.execute("SELECT * FROM runs"))


def count_results(db: Path) -> int:
    """Results stored so far (0 while the schema does not exist yet)."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as con:
            return int(con.execute("SELECT COUNT(*) FROM results").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
