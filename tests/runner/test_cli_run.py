"""``harness run`` and ``harness merge`` end to end against the loopback OpenAI fake."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from harness.cli import cli
from harness.store.records import RunInfo
from harness.store.sqlite import Store
from tests.fakes import pressure_fake
from tests.fakes.server import FakeServer
from tests.runner import slow_fake

REPO = Path(__file__).resolve().parents[2]


def _project(root: Path, url: str, cases: int = 6, *, extra: str = "") -> Path:
    (root / "specs").mkdir(parents=True, exist_ok=True)
    (root / "harness.yaml").write_text(
        "providers:\n"
        f"  bench: {{type: openai, base_url: '{url}/v1', max_retries: 2}}\n"
        "models:\n"
        "  bench:fake-model: {price: {input_per_mtok: 1000, output_per_mtok: 1000}}\n"
        "defaults: {record_mode: 'off', concurrency: 4}\n" + extra
    )
    lines = [
        "name: echo",
        "models: [bench:fake-model]",
        "params: {max_tokens: 20}",
        "prompt: 'say {{ word }}'",
        "cases:",
    ]
    for i in range(cases):
        word = "pass" if i % 3 else "other"
        tag = "smoke" if i < 2 else "full"
        lines.append(
            f"  - {{id: c{i}, tags: [{tag}], vars: {{word: {word}}}, "
            "expect: [{type: contains, value: 'say pass'}]}"
        )
    (root / "specs" / "echo.yaml").write_text("\n".join(lines) + "\n")
    return root


def _run(root: Path, *args: str) -> Result:
    old = Path.cwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(cli, ["run", *args], catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """The OpenAI fake, in a thread."""
    fake = FakeServer("openai")
    with fake.in_thread():
        yield fake


def _records(root: Path, store: str = "reports/harness.db") -> list[dict[str, object]]:
    with Store.open(root / store) as s:
        run_id = s.latest_run_id()
        assert run_id is not None
        return [
            {"item": r.item_id, "status": r.status, "retries": r.retries, "error": r.error_type}
            for r in s.iter_results(run_id)
        ]


def test_run_writes_store_and_results_files(tmp_path: Path, server: FakeServer) -> None:
    root = _project(tmp_path, server.base_url)
    result = _run(root)
    assert result.exit_code == 1, result.output
    records = _records(root)
    assert len(records) == 6
    assert sum(r["status"] == "passed" for r in records) == 4
    run_dirs = [p for p in (root / "reports").iterdir() if p.is_dir()]
    assert len(run_dirs) == 1
    header = (run_dirs[0] / "results.csv").read_text().splitlines()[0].split(",")
    assert header[:7] == ["run_id", "item_id", "spec", "case_id", "model", "attempt", "status"]
    assert {"verdicts", "latency_ms", "cost_usd", "error", "cassette"} <= set(header)
    data = json.loads((run_dirs[0] / "results.json").read_text())
    assert len(data["results"]) == 6
    assert isinstance(data["results"][0]["verdicts"], list)
    assert data["run"]["models"] == ["bench:fake-model"]
    assert str(run_dirs[0]) in result.output
    assert "bench:fake-model" in result.output  # the summary table


@pytest.mark.parametrize(
    ("args", "code"),
    [
        pytest.param(["-k", "c1 or c2"], 0, id="all-selected-pass"),
        pytest.param(["-k", "smoke"], 1, id="tag-selects-a-failure"),
        pytest.param(["--fail-under", "0.6"], 0, id="floor-met"),
        pytest.param(["--fail-under", "90"], 1, id="floor-missed-percent"),
        pytest.param(["--models", "nope:x"], 2, id="unknown-provider-stops"),
        pytest.param(["-k", "(c1"], 2, id="bad-filter-stops"),
    ],
)
def test_exit_codes_and_filters(
    tmp_path: Path, server: FakeServer, args: list[str], code: int
) -> None:
    root = _project(tmp_path, server.base_url)
    result = _run(root, *args)
    assert result.exit_code == code, result.output


def test_filter_selects_by_substring_and_tag(tmp_path: Path, server: FakeServer) -> None:
    root = _project(tmp_path, server.base_url)
    _run(root, "-k", "smoke and not c0")
    assert [r["item"] for r in _records(root)] == ["echo::c1::bench:fake-model::1"]


def test_repeat_and_out(tmp_path: Path, server: FakeServer) -> None:
    root = _project(tmp_path, server.base_url, cases=2)
    result = _run(root, "--repeat", "3", "--out", "out")
    assert result.exit_code == 1
    items = sorted(str(r["item"]) for r in _records(root))
    assert len(items) == 6 and items[-1] == "echo::c1::bench:fake-model::3"
    assert (root / "out" / "results.csv").is_file()


def test_dry_run_prints_calls_and_cost_range(tmp_path: Path, server: FakeServer) -> None:
    root = _project(tmp_path, server.base_url, cases=5)
    result = _run(root, "--dry-run", "--repeat", "2")
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "bench:fake-model" in line)
    assert " 10 " in row  # 5 cases x 2 attempts
    assert "$" in row and " - " in row
    assert not server.requests
    assert not (root / "reports" / "harness.db").exists()


def test_budget_stops_the_run(tmp_path: Path, server: FakeServer) -> None:
    root = _project(tmp_path, server.base_url, cases=10)
    # a call costs ~5 tokens x $1000/Mtok = $0.005; its estimate (max_tokens 20) ~$0.026
    result = _run(root, "--max-cost", "0.04", "--concurrency", "1")
    records = _records(root)
    assert len(records) == 10
    skipped = [r for r in records if r["status"] == "skipped"]
    assert skipped and all(r["error"] == "budget" for r in skipped)
    assert 1 <= len(server.requests) == 10 - len(skipped) < 10
    assert result.exit_code in (0, 1)


def test_injected_429_and_500_end_in_a_record_each(tmp_path: Path, server: FakeServer) -> None:
    root = _project(tmp_path, server.base_url, cases=6)
    # max_retries is 2 and bounds the 500s only (a 429 is bounded by the patience): the
    # first item gets 429, 500, 500, 500 and errors; the second 500, 500 and an answer;
    # every item still ends in exactly one record
    server.faults.rate_limit("0").status(500, times=5)
    result = _run(root, "--concurrency", "1")
    records = _records(root)
    assert len(records) == 6
    assert {r["status"] for r in records} <= {"passed", "failed", "error"}
    assert records[0]["status"] == "error" and records[0]["error"] == "ServerError"
    assert records[0]["retries"] == 3, "an item that errors after retrying shows its retries"
    assert records[1]["retries"] == 2 and records[1]["status"] == "passed"
    assert len(server.requests) == 4 + 3 + 4
    assert result.exit_code == 1


def test_a_rate_limited_provider_finishes_every_item(tmp_path: Path) -> None:
    # 40 requests a second, a bucket of 20, 32 in flight: nothing configured about limits
    fake = FakeServer(pressure_fake.setup, options={"rps": 40, "burst": 20})
    with fake.in_thread() as url:
        root = _project(tmp_path, url, cases=100)
        result = _run(root, "--concurrency", "32")
    records = _records(root)
    assert len(records) == 100 and not [r for r in records if r["status"] == "error"]
    stats = fake.stats  # type: ignore[attr-defined]
    assert stats.accepted == 100
    assert stats.rejected < 0.2 * (stats.accepted + stats.rejected)
    with sqlite3.connect(root / "reports" / "harness.db") as con:
        waits = [w for (w,) in con.execute("SELECT rate_limit_wait_ms FROM results")]
    assert all(w is not None for w in waits) and sum(waits) > 0
    with Store.open(root / "reports" / "harness.db") as store:
        run_id = store.latest_run_id()
    summary = (root / "reports" / str(run_id) / "summary.csv").read_text()
    assert "rate_limit_wait_s" in summary.splitlines()[0]
    assert result.exit_code == 1  # a third of the cases expect another word


def test_concurrency_auto_runs_and_is_recorded(tmp_path: Path, server: FakeServer) -> None:
    root = _project(tmp_path, server.base_url, cases=12)
    result = _run(root, "--concurrency", "auto", "--rate-limit-patience", "2m")
    assert result.exit_code == 1, result.output  # a third of the cases expect another word
    assert len(_records(root)) == 12
    with Store.open(root / "reports" / "harness.db") as store:
        info = store.run(store.latest_run_id() or "")
    assert info.params["concurrency"] == "auto"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--concurrency", "0"], "'0' is not a positive number of calls or 'auto'", id="zero"
        ),
        pytest.param(["--concurrency", "many"], "'many' is not a positive number", id="word"),
        pytest.param(["--rate-limit-patience", "soon"], "'soon' is not a duration", id="patience"),
    ],
)
def test_pressure_flags_are_checked(tmp_path: Path, args: list[str], message: str) -> None:
    root = _project(tmp_path, "http://127.0.0.1:9")
    old = Path.cwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(cli, ["run", *args])
    finally:
        os.chdir(old)
    assert result.exit_code == 2 and message in result.output


def test_shards_cover_every_item_once_and_merge(tmp_path: Path, server: FakeServer) -> None:
    root = _project(tmp_path, server.base_url, cases=12)
    for k in (1, 2, 3):
        _run(root, "--shard", f"{k}/3", "--store", f"shard{k}.db")
    shards = [{str(r["item"]) for r in _records(root, f"shard{k}.db")} for k in (1, 2, 3)]
    assert sum(len(s) for s in shards) == 12
    assert len(set().union(*shards)) == 12
    old = Path.cwd()
    os.chdir(root)
    try:
        merged = CliRunner().invoke(
            cli, ["merge", "shard1.db", "shard2.db", "shard3.db", "--into", "all.db"]
        )
    finally:
        os.chdir(old)
    assert merged.exit_code == 0, merged.output
    records = _records(root, "all.db")
    assert len({r["item"] for r in records}) == len(records) == 12
    with Store.open(root / "all.db") as store:
        info = store.run(store.latest_run_id() or "")
        assert len(info.params["merged_from"]) == 3 and info.source == "merge"


def test_sigkill_mid_run_then_resume_stores_every_item_once(tmp_path: Path) -> None:
    fake = FakeServer(slow_fake.setup, options={"delay": 0.05})
    with fake.in_thread() as url:
        root = _project(tmp_path, url, cases=60)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen(
            [sys.executable, "-c", "from harness.cli import main; main()", "run"],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        db = root / "reports" / "harness.db"
        deadline = time.monotonic() + 30
        stored = 0
        while time.monotonic() < deadline and stored < 10:
            time.sleep(0.05)
            if db.exists():
                try:
                    with sqlite3.connect(db) as con:
                        stored = con.execute("SELECT COUNT(*) FROM results").fetchone()[0]
                except sqlite3.OperationalError:
                    pass  # schema not created yet
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert 10 <= stored < 60, "the run must be killed mid-way"
        before = len(fake.requests)
        result = _run(root, "--resume")
        assert result.exit_code == 1, result.output
        records = _records(root)
        assert len(records) == 60
        assert len({r["item"] for r in records}) == 60
        with Store.open(db) as store:
            assert len(store.run_ids()) == 1
            assert store.run(store.run_ids()[0]).status == "finished"
        # the resume only made the calls that were missing (at most 4 were in flight)
        assert len(fake.requests) - before <= 60 - stored


def test_resume_before_a_path_takes_the_latest_unfinished_run(
    tmp_path: Path, server: FakeServer
) -> None:
    root = _project(tmp_path, server.base_url, cases=3)
    with Store.open(root / "reports" / "harness.db") as store:
        store.start_run(RunInfo("20250101T000000-aaaaaa", started_at=1.0))
    result = _run(root, "--resume", "specs")
    assert result.exit_code == 1, result.output
    with Store.open(root / "reports" / "harness.db") as store:
        assert store.run_ids() == ["20250101T000000-aaaaaa"]
        assert store.count("20250101T000000-aaaaaa") == 3
    assert _run(root, "--resume").exit_code == 2  # nothing unfinished left
