"""Item 10: a connection dropped while recording is recorded, and replay ends the item the
same way instead of with CassetteStaleError."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.server import FakeServer
from tests.hostile.project import harness, rows, write_project

SPEC = """\
name: rec
models: [fake:m]
prompt: 'say {{ w }}'
cases:
  - {id: dropped, vars: {w: one}, expect: [{type: contains, value: one}]}
  - {id: fine, vars: {w: two}, expect: [{type: contains, value: two}]}
"""
CONFIG = "providers:\n  fake: {type: openai, base_url: '%s/v1', max_retries: 2, options: {retry_base_delay: 0.001}}\n"


def _outcomes(db: Path, run: int) -> dict[str, tuple[str, str | None, str | None]]:
    runs = [r for (r,) in rows(db, "SELECT run_id FROM runs ORDER BY started_at")]
    got = rows(
        db,
        f"SELECT case_id, status, error_type, error FROM results WHERE run_id = '{runs[run]}'",
    )
    return {case: (status, kind, error) for case, status, kind, error in got}


def test_a_dropped_connection_replays_as_the_same_error(tmp_path: Path) -> None:
    fake = FakeServer("openai", options={})
    with fake.in_thread() as url:
        root = write_project(tmp_path, url, SPEC)
        (root / "harness.yaml").write_text(
            CONFIG % url + "defaults: {record_mode: 'off', concurrency: 1}\n"
        )
        fake.faults.reset().reset().reset()  # the first item's three attempts all drop
        recorded = harness(root, "run", "--record-mode", "all")
        assert recorded.returncode == 1, recorded.stdout + recorded.stderr
    db = root / "reports" / "harness.db"
    live = _outcomes(db, 0)
    assert live["fine"][0] == "passed"
    status, kind, error = live["dropped"]
    assert (status, kind) == ("error", "ConnectionError_")
    assert error is not None and "connection dropped" in error

    # the server is gone: replay must come from the cassettes alone
    replayed = harness(root, "run", "--record-mode", "none")
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr
    again = _outcomes(db, 1)
    assert again["fine"][0] == "passed"
    assert again["dropped"][:2] == ("error", "ConnectionError_"), again["dropped"]
    assert again["dropped"][2] == error
    (cassette,) = (root / "cassettes" / "rec" / "dropped").rglob("*.yaml")
    assert cassette.read_text().count("transport_error:") == 3
