"""Opening a new store from several processes at once: migrations apply exactly once."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

CHILD = """
import sys, time
from pathlib import Path
from harness.store.sqlite import Store
db, ready, go = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
ready.touch()
while not go.exists():
    time.sleep(0.001)
Store.open(db).close()
"""


def test_processes_opening_a_new_store_at_once_all_succeed(tmp_path: Path) -> None:
    """xdist workers and shards open the same new store together: nobody fails migrating."""
    db, go = tmp_path / "shared.db", tmp_path / "go"
    n = 8
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db), str(tmp_path / f"ready-{i}"), str(go)],
            stderr=subprocess.PIPE,
        )
        for i in range(n)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ready-*"))) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # all imported: open at the same moment
    errors = [p.communicate(timeout=60)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * n, errors
