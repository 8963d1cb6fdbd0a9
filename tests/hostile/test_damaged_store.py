"""Item 8: a damaged store is refused with recovery steps before a run writes into it, and
a finished run's results are never lost to a store error at the end."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.store.records import ResultRecord, RunInfo
from harness.store.sqlite import Store
from harness.store.writer import StoreWriter
from tests.fakes.server import FakeServer
from tests.hostile.project import harness, write_project

SPEC = """\
name: s
models: [fake:m]
prompt: 'say {{ w }}'
cases:
  - {id: a, vars: {w: hi}, expect: [{type: contains, value: hi}]}
  - {id: b, vars: {w: yo}, expect: [{type: contains, value: yo}]}
"""


@pytest.fixture
def server() -> Iterator[str]:
    """The OpenAI fake (echoes the prompt), in a thread."""
    fake = FakeServer("openai")
    with fake.in_thread() as url:
        yield url


def _fill(db: Path, rows: int = 400) -> None:
    with Store.open(db) as store:
        store.start_run(RunInfo("old", started_at=1.0, models=["p:m"]))
        store.write(
            ResultRecord("old", f"i{i}", "s", f"c{i}", "p:m", 1, "passed", output="x" * 500)
            for i in range(rows)
        )
        store.finish_run("old")
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def _damage(db: Path, page: int) -> None:
    """Overwrite one 4 KB page (negative: from the end) with garbage."""
    data = bytearray(db.read_bytes())
    pages = len(data) // 4096
    index = page if page >= 0 else pages + page
    data[index * 4096 : (index + 1) * 4096] = b"\xa5" * 4096
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("page", [pytest.param(-1, id="last-page"), pytest.param(3, id="inner")])
def test_a_run_refuses_a_damaged_store_with_recovery_steps(
    tmp_path: Path, server: str, page: int
) -> None:
    root = write_project(tmp_path, server, SPEC)
    db = root / "reports" / "harness.db"
    db.parent.mkdir()
    _fill(db)
    _damage(db, page)
    before = db.read_bytes()
    done = harness(root, "run")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "damaged" in done.stderr and ".recover" in done.stderr
    assert db.read_bytes() == before  # nothing written into it


def test_store_open_for_writing_checks_integrity(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    _fill(db)
    _damage(db, 3)
    with Store.open(db) as store, pytest.raises(ConfigError, match="damaged"):
        store.start_run(RunInfo("new", started_at=2.0, models=["p:m"]))


async def test_results_the_store_cannot_take_go_to_a_fallback_file(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    store = Store.open(db)
    store.start_run(RunInfo("r", started_at=1.0, models=["p:m"]))
    store.db.execute("DROP TABLE results")  # every write now fails, like a damaged page
    async with StoreWriter(store) as writer:
        for i in range(3):
            writer.add(ResultRecord("r", f"i{i}", "s", f"c{i}", "p:m", 1, "passed", output="ok"))
    store.close()
    assert writer.fallback is not None and writer.fallback.count == 3
    lines = writer.fallback.path.read_text().splitlines()
    assert [json.loads(line)["item_id"] for line in lines] == ["i0", "i1", "i2"]
    assert writer.fallback.path.parent == tmp_path


class _FailingStore(Store):
    """A store whose writes fail as a page damaged mid-run makes them fail."""

    def write(self, records: object) -> int:
        raise sqlite3.DatabaseError("database disk image is malformed")

    def finish_run(self, run_id: str, status: str = "finished") -> None:
        raise sqlite3.DatabaseError("database disk image is malformed")


async def test_a_run_whose_store_fails_at_the_end_keeps_every_result(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    from harness.config import ProjectConfig
    from harness.drivers.base import ProviderSettings
    from harness.runner.run import Runner, RunOptions
    from tests.runner.fakes import Drivers, contains_ok, make_spec

    config = ProjectConfig(
        root=tmp_path, path=None, providers={"fake": ProviderSettings(name="fake", type="fake")}
    )
    db = tmp_path / "h.db"
    store = _FailingStore(Store.open(db).db, db)
    runner = Runner(
        [make_spec(cases=5)],
        config,
        store,
        RunOptions(progress=False),
        driver_factory=Drivers(),
        evaluate=contains_ok,
        console=Console(file=io.StringIO()),
    )
    result = await runner.run()
    store.close()
    assert result.status == "finished" and result.unsaved is not None
    assert result.unsaved.count == 5
    stored = [json.loads(line) for line in result.unsaved.path.read_text().splitlines()]
    assert sorted(r["case_id"] for r in stored) == ["c0", "c1", "c2", "c3", "c4"]
    assert "malformed" in result.unsaved.error


def test_reading_a_damaged_store_is_an_error_with_recovery_steps(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    _fill(db)
    _damage(db, 3)
    done = harness(tmp_path, "report", "old", "--store", str(db), "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "results store is damaged" in done.stderr and ".recover" in done.stderr
