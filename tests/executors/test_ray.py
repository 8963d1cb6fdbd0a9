"""``harness run --executor ray`` on a local Ray cluster the session starts (conftest.py).

Each run is the real command line in a subprocess, joining the cluster with
``--ray-address``; the providers are loopback fakes in this process's threads, so what
they saw (calls, calls in flight at once) is read here. Under ``pytest -n 2`` each xdist
worker starts its own cluster; a test only ever touches its own run's Ray workers.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.executors.conftest import ray_env
from tests.fakes import pressure_fake
from tests.fakes.server import FakeServer
from tests.runner import slow_fake

REPO = Path(__file__).resolve().parents[2]


def _project(root: Path, url: str, cases: int, *, provider: str = "", models: str = "") -> Path:
    """A project whose spec asks the fake to repeat ``item N``; every tenth case fails."""
    (root / "specs").mkdir(parents=True)
    (root / "harness.yaml").write_text(
        "providers:\n"
        f"  fake: {{type: openai, base_url: '{url}/v1', max_retries: 0{provider}}}\n"
        "defaults: {record_mode: 'off'}\n" + models
    )
    with (root / "specs" / "cases.jsonl").open("w") as f:
        for i in range(cases):
            want = f"item {i}" if i % 10 else "never"
            row = {"id": f"c{i}", "vars": {"n": i}, "expect": [{"type": "contains", "value": want}]}
            f.write(json.dumps(row) + "\n")
    (root / "specs" / "repeat.yaml").write_text(
        "name: repeat\nmodels: [fake:m]\nparams: {max_tokens: 16}\n"
        "prompt: 'Repeat: item {{ n }}'\ncases_file: cases.jsonl\n"
    )
    return root


def _command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from harness.cli import main; main()", "run", *args]


def _env() -> dict[str, str]:
    return {**ray_env(), "PYTHONPATH": str(REPO)}


def _harness(
    root: Path, *args: str, timeout: float = 240, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(*args),
        cwd=root,
        env={**_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _table(db: Path) -> list[tuple[Any, ...]]:
    """The results table as the report sees it, less what differs per run (ids, times)."""
    with sqlite3.connect(db) as con:
        return sorted(
            con.execute(
                "SELECT item_id, spec, case_id, model, attempt, status, output, score, "
                "verdicts, input_tokens, output_tokens, error_type FROM results"
            ).fetchall()
        )


def test_a_ray_run_stores_the_same_results_table_as_a_local_run(
    tmp_path: Path, ray_address: str
) -> None:
    fake = FakeServer("openai")
    with fake.in_thread() as url:
        root = _project(tmp_path, url, cases=120)
        local = _harness(root, "--store", "local.db", "--out", "local")
        on_ray = _harness(
            root, "--store", "ray.db", "--out", "ray", "--executor", "ray",
            "--ray-address", ray_address, "--ray-workers", "2",
        )  # fmt: skip
    assert local.returncode == on_ray.returncode == 1, on_ray.stderr[-3000:]
    table = _table(root / "ray.db")
    assert table == _table(root / "local.db")
    assert len(table) == 120 and len({row[0] for row in table}) == 120
    assert sum(row[5] == "passed" for row in table) == 108
    assert len(fake.requests) == 240  # each item called once per run
    # the same results files and report, written by the head
    for name in ("results.csv", "results.json", "report.html"):
        assert (root / "ray" / name).is_file()
    rows = (root / "ray" / "results.csv").read_text().splitlines()
    assert len(rows) == 121


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(
    tmp_path: Path, ray_address: str
) -> None:
    fake = FakeServer(slow_fake.setup, options={"delay": 0.05})
    with fake.in_thread() as url:
        root = _project(tmp_path, url, cases=400, provider=", concurrency: 8")
        db = root / "reports" / "harness.db"
        proc = subprocess.Popen(
            _command("--executor", "ray", "--ray-address", ray_address, "--ray-workers", "2"),
            cwd=root,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            stored = _wait_for_results(db, at_least=40, proc=proc)
            victim = _worker_pids(root)[0]
            os.kill(victim, signal.SIGKILL)
            _out, err = proc.communicate(timeout=240)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
            for pipe in (proc.stdout, proc.stderr):  # not left for another test to warn about
                if pipe is not None:
                    pipe.close()
    assert proc.returncode == 1, err[-3000:]
    assert "was lost" in err and "run again on a new worker" in err, err[-3000:]
    table = _table(db)
    assert len(table) == 400 and len({row[0] for row in table}) == 400
    assert [row for row in table if row[5] == "error"] == []
    assert sum(row[5] == "passed" for row in table) == 360
    assert stored < 400, "the worker must be killed mid-run"
    # items in flight on the dead worker were called again: more calls than items
    assert len(fake.requests) >= 400


def _wait_for_results(db: Path, *, at_least: int, proc: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        if db.exists():
            try:
                with sqlite3.connect(db) as con:
                    count: int = con.execute("SELECT COUNT(*) FROM results").fetchone()[0]
            except sqlite3.OperationalError:
                count = 0  # the schema is not there yet
            if count >= at_least:
                return count
        time.sleep(0.05)
    pytest.fail("the Ray run stored nothing for 120 s")


def _worker_pids(root: Path) -> list[int]:
    """Processes of this run's Ray workers: ``ray::ItemWorker`` in their command line, and
    working in the run's project folder (as the head does), not another test's."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            cwd = (entry / "cwd").resolve()
        except OSError:
            continue
        if cmdline.startswith(b"ray::ItemWorker") and cwd == root.resolve():
            pids.append(int(entry.name))
    assert pids, "no Ray worker process of this run found"
    return pids


def test_cassettes_recorded_on_ray_replay_on_ray_offline(tmp_path: Path, ray_address: str) -> None:
    ray_args = ("--executor", "ray", "--ray-address", ray_address, "--ray-workers", "2")
    fake = FakeServer("openai")
    with fake.in_thread() as url:
        root = _project(tmp_path, url, cases=30)
        recorded = _harness(root, "--record-mode", "once", "--store", "rec.db", *ray_args)
    assert recorded.returncode == 1, recorded.stderr[-3000:]
    # the head wrote every worker's cassettes into the project's cassettes folder
    cassettes = sorted((root / "cassettes" / "repeat").rglob("*.yaml"))
    assert len(cassettes) == 30
    # the fake is gone: only the cassettes shipped with each chunk can answer
    replayed = _harness(root, "--record-mode", "none", "--store", "replay.db", *ray_args)
    assert replayed.returncode == 1, replayed.stderr[-3000:]
    assert _table(root / "replay.db") == _table(root / "rec.db")
    with sqlite3.connect(root / "replay.db") as con:
        stored = {Path(p) for (p,) in con.execute("SELECT cassette FROM results")}
    assert stored == {p.resolve() for p in cassettes} or stored == set(cassettes)
    # and a local replay of the Ray-recorded cassettes gives the same table
    local = _harness(root, "--record-mode", "none", "--store", "local.db")
    assert _table(root / "local.db") == _table(root / "rec.db")
    assert local.returncode == 1


def test_provider_limits_hold_across_workers(tmp_path: Path, ray_address: str) -> None:
    fake = FakeServer(pressure_fake.setup, options={"latency": 0.1, "headers": False})
    with fake.in_thread() as url:
        root = _project(tmp_path, url, cases=60, provider=", concurrency: 3")
        result = _harness(
            root, "--executor", "ray", "--ray-address", ray_address, "--ray-workers", "2"
        )
    assert result.returncode == 1, result.stderr[-3000:]
    stats = fake.stats  # type: ignore[attr-defined]
    assert stats.accepted == 60
    # each of the 2 workers alone may have 3 in flight; the coordinator keeps the run at 3
    assert stats.max_in_flight == 3


def test_a_models_items_run_on_workers_with_its_resources(tmp_path: Path, ray_address: str) -> None:
    fake = FakeServer("openai")
    with fake.in_thread() as url:
        models = "models:\n  fake:m: {resources: {model_host: 1}}\n"
        root = _project(tmp_path, url, cases=20, models=models)
        placed = _harness(root, "--executor", "ray", "--ray-address", ray_address)
        assert placed.returncode == 1, placed.stderr[-3000:]
        assert "workers: 2 (any node), 1 for fake:m {model_host: 1}" in placed.stderr
        table = _table(root / "reports" / "harness.db")
        assert [(row[5], row[11]) for row in table if row[5] == "error"] == []
        assert len(table) == 20 and len(fake.requests) == 20
        # a resource no node has: a clear error before any call, not a run that waits forever
        (root / "harness.yaml").write_text(
            (root / "harness.yaml").read_text().replace("model_host: 1", "gpu_box: 2")
        )
        unplaceable = _harness(root, "--executor", "ray", "--ray-address", ray_address)
    assert unplaceable.returncode == 2
    assert "needs Ray resources {gpu_box: 2}" in unplaceable.stderr
    assert "model_host: 1" in unplaceable.stderr  # what the cluster does have
    assert len(fake.requests) == 20  # the refused run called nothing


def test_max_cost_holds_for_the_whole_run(tmp_path: Path, ray_address: str) -> None:
    fake = FakeServer("openai")
    with fake.in_thread() as url:
        price = "models:\n  fake:m: {price: {input_per_mtok: 1000, output_per_mtok: 1000}}\n"
        root = _project(tmp_path, url, cases=40, models=price)
        # a call costs ~$0.01-0.02 and is estimated at ~$0.025: $0.2 pays for about a dozen
        result = _harness(
            root, "--max-cost", "0.2", "--executor", "ray", "--ray-address", ray_address,
            "--ray-workers", "2", "--json",
        )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr[-3000:]
    with sqlite3.connect(root / "reports" / "harness.db") as con:
        rows = con.execute("SELECT status, error_type, cost_usd FROM results").fetchall()
    assert len(rows) == 40
    skipped = [r for r in rows if r[0] == "skipped"]
    assert skipped and all(r[1] == "budget" for r in skipped)
    spent = sum(r[2] or 0.0 for r in rows)
    assert 0 < spent <= 0.2
    # two workers with a budget each would have spent up to twice the limit
    assert len(fake.requests) == 40 - len(skipped)


def test_the_head_killed_mid_run_then_resume_finishes_on_ray(
    tmp_path: Path, ray_address: str
) -> None:
    fake = FakeServer(slow_fake.setup, options={"delay": 0.05})
    ray_args = ("--executor", "ray", "--ray-address", ray_address, "--ray-workers", "2")
    with fake.in_thread() as url:
        root = _project(tmp_path, url, cases=300, provider=", concurrency: 4")
        db = root / "reports" / "harness.db"
        proc = subprocess.Popen(
            _command(*ray_args), cwd=root, env=_env(), stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            stored = _wait_for_results(db, at_least=30, proc=proc)
        finally:
            proc.kill()
            proc.communicate(timeout=30)
        resumed = _harness(root, "--resume", *ray_args)
    assert resumed.returncode == 1, resumed.stderr[-3000:]
    table = _table(db)
    assert stored < 300 and len(table) == 300 and len({row[0] for row in table}) == 300
    assert sum(row[5] == "passed" for row in table) == 270
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT status FROM runs").fetchall() == [("finished",)]


def test_a_local_model_is_served_once_per_worker_that_holds_its_resources(
    tmp_path: Path, ray_address: str, fake_llama_starts: Path
) -> None:
    # the real local driver on the workers, its llama.cpp server a fake (conftest.py)
    (tmp_path / "tiny.gguf").write_bytes(b"GGUF")
    (tmp_path / "specs").mkdir()
    (tmp_path / "harness.yaml").write_text(
        "providers:\n"
        f"  local: {{type: llamacpp, model_path: '{tmp_path / 'tiny.gguf'}'}}\n"
        "models:\n  local:tiny: {resources: {model_host: 1}}\n"
        "defaults: {record_mode: 'off'}\n"
    )
    cases = "".join(
        f"  - {{id: c{i}, vars: {{n: {i}}}, expect: [{{type: contains, value: 'echo: say {i}'}}]}}\n"
        for i in range(12)
    )
    (tmp_path / "specs" / "say.yaml").write_text(
        "name: say\nmodels: [local:tiny]\nprompt: 'say {{ n }}'\ncases:\n" + cases
    )
    before = fake_llama_starts.read_text().splitlines()
    result = _harness(tmp_path, "--executor", "ray", "--ray-address", ray_address)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "1 for local:tiny {model_host: 1}" in result.stderr
    table = _table(tmp_path / "reports" / "harness.db")
    assert [row[5] for row in table] == ["passed"] * 12
    # one server for the run's one worker of the model, reused by all 12 items
    assert len(fake_llama_starts.read_text().splitlines()) - len(before) == 1


def test_without_an_address_a_local_ray_instance_runs_and_is_stopped(tmp_path: Path) -> None:
    mark = {"HARNESS_TEST_RUN": secrets.token_hex(8)}  # inherited by all the run starts
    fake = FakeServer("openai")
    with fake.in_thread() as url:
        root = _project(tmp_path, url, cases=10)
        result = _harness(root, "--executor", "ray", "--ray-workers", "2", env=mark)
    assert result.returncode == 1, result.stderr[-3000:]
    assert f"ray: {os.cpu_count()} CPUs; workers: 2 (any node)" in result.stderr
    table = _table(root / "reports" / "harness.db")
    assert len(table) == 10 and sum(row[5] == "passed" for row in table) == 9
    # the Ray instance the run started (GCS, raylet, workers) ended with it
    deadline = time.monotonic() + 30
    while _marked(mark) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _marked(mark) == []


def _marked(mark: dict[str, str]) -> list[str]:
    """Command lines of live processes whose environment holds ``mark``."""
    (name, value), found = next(iter(mark.items())), []
    needle = f"{name}={value}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append((entry / "cmdline").read_bytes().decode(errors="replace"))
            except OSError:
                continue
    return found
