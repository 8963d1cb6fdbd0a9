"""What ``harness run`` says at the end: failures with reasons, budget, --json, empty selections."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from click.testing import CliRunner

from harness.cli import cli
from harness.store.records import RunInfo
from harness.store.sqlite import Store
from tests.fakes.server import FakeServer
from tests.runner.test_cli_run import _project, _run, server

__all__ = ["server"]  # the fixture, imported for these tests

STORE = Path("reports") / "harness.db"


def test_failing_items_are_listed_with_their_first_failing_assertion(
    tmp_path: Path, server: FakeServer
) -> None:
    root = _project(tmp_path, server.base_url)
    result = _run(root)
    assert result.exit_code == 1
    out = result.output
    assert "failed and errored items (2 of 2 shown" in out
    assert "FAIL echo::c0::bench:fake-model::1" in out
    assert "contains: " in out and "say pass" in out  # the assertion and its reason


def test_errors_read_as_written_and_carry_a_hint(tmp_path: Path) -> None:
    root = _project(tmp_path, "http://127.0.0.1:9", cases=2)  # nothing listens on port 9
    result = _run(root)
    assert result.exit_code == 1, result.output
    assert "ConnectionError x2" in result.output
    assert "ConnectionError_" not in result.output
    # both items failed the same way: one entry (which comes first depends on timing)
    assert re.search(
        r"ERROR echo::c[01]::bench:fake-model::1 \(and 1 more like it\)", result.output
    )
    assert "hint: is the model server up? check base_url in harness.yaml" in result.output


def test_only_a_limit_of_failures_is_listed_then_a_count(
    tmp_path: Path, server: FakeServer
) -> None:
    root = _project(tmp_path, server.base_url, cases=36)  # every third case fails: 12
    out = _run(root).output
    assert "failed and errored items (10 of 12 shown" in out
    assert "... and 2 more" in out


def test_json_prints_the_summary_for_scripts(tmp_path: Path, server: FakeServer) -> None:
    root = _project(tmp_path, server.base_url)
    result = _run(root, "--json")
    data = json.loads(result.stdout)
    assert data["exit_code"] == result.exit_code == 1
    assert data["counts"] == {"passed": 4, "failed": 2, "error": 0, "skipped": 0}
    (model,) = data["models"]
    assert model["model"] == "bench:fake-model" and model["pass_rate"] == 4 / 6
    assert [f["item"] for f in data["failures"]] == [
        "echo::c0::bench:fake-model::1",
        "echo::c3::bench:fake-model::1",
    ]
    assert Path(data["out_dir"]).is_dir()


def test_a_filter_that_selects_nothing_fails_and_records_no_run(
    tmp_path: Path, server: FakeServer
) -> None:
    root = _project(tmp_path, server.base_url)
    assert _run(root, "-k", "c1").exit_code == 0
    with Store.open(root / STORE) as store:
        before = store.run_ids()
    result = _run(root, "-k", "no-such-case")
    assert result.exit_code == 2
    assert "nothing selected: -k 'no-such-case' matches none of the 6 item(s)" in result.output
    assert "no run was recorded" in result.output
    with Store.open(root / STORE) as store:
        assert store.run_ids() == before
    assert not server.requests[1:]  # only the first run's one call


def test_a_shard_past_the_items_selects_nothing(tmp_path: Path, server: FakeServer) -> None:
    root = _project(tmp_path, server.base_url, cases=1)
    codes = [_run(root, "--shard", f"{k}/5").exit_code for k in range(1, 6)]
    assert sorted(codes) == [1, 2, 2, 2, 2]  # one shard holds the item (it fails)


def test_the_budget_says_what_it_skipped(tmp_path: Path, server: FakeServer) -> None:
    root = _project(tmp_path, server.base_url, cases=10)
    result = _run(root, "--max-cost", "0.04", "--concurrency", "1")
    line = next(x for x in result.output.splitlines() if "skipped for budget" in x)
    assert re.search(r"^\d+ item\(s\) skipped for budget: the cost limit \(\$0\.0400\)", line)
    assert "after spending $0.0" in result.output


def test_resume_keeps_the_runs_record_mode_and_says_so(tmp_path: Path, server: FakeServer) -> None:
    root = _project(tmp_path, server.base_url, cases=3)
    with Store.open(root / STORE) as store:
        store.start_run(
            RunInfo(
                "20250101T000000-aaaaaa",
                started_at=1.0,
                record_mode="none",
                params={"paths": ["specs"], "filter": "c1 or c2"},
            )
        )
    result = _run(root, "--resume")
    assert "resuming run 20250101T000000-aaaaaa with its own paths specs, -k c1 or c2, " in (
        result.output
    )
    assert "--record-mode none" in result.output
    assert not server.requests  # replay only: no cassettes, so no call reached the server
    with Store.open(root / STORE) as store:
        errors = {r.error_type for r in store.iter_results("20250101T000000-aaaaaa")}
        assert errors == {"CassetteMissingError"}
        assert store.count("20250101T000000-aaaaaa") == 2


def test_resume_flags_given_again_override_and_are_named(
    tmp_path: Path, server: FakeServer
) -> None:
    root = _project(tmp_path, server.base_url, cases=2)
    with Store.open(root / STORE) as store:
        store.start_run(RunInfo("20250101T000000-bbbbbb", started_at=1.0, record_mode="none"))
    result = _run(root, "--resume", "--record-mode", "off")
    assert "overridden: --record-mode off (was none)" in result.output
    assert len(server.requests) == 2


def test_dry_run_counts_replays_as_free(tmp_path: Path, server: FakeServer) -> None:
    root = _project(tmp_path, server.base_url, cases=4)
    result = _run(root, "--dry-run", "--record-mode", "none")
    row = next(line for line in result.output.splitlines() if "bench:fake-model" in line)
    cells = [c.strip() for c in row.split("│") if c.strip()]
    assert cells[1:3] == ["4", "4"]  # 4 calls, 4 of them replays
    assert cells[-1] == "$0.0000 - $0.0000"


def test_merge_writes_the_report_too(tmp_path: Path, server: FakeServer) -> None:
    root = _project(tmp_path, server.base_url, cases=4)
    for k in (1, 2):
        assert _run(root, "--shard", f"{k}/2", "--store", f"shard{k}.db").exit_code in (0, 1)
    old = Path.cwd()
    os.chdir(root)
    try:
        merged = CliRunner().invoke(
            cli, ["merge", "shard1.db", "shard2.db", "--into", "all.db", "--out", "merged"]
        )
    finally:
        os.chdir(old)
    assert merged.exit_code == 0, merged.output
    names = {p.name for p in (root / "merged").iterdir()}
    assert {"report.html", "results.csv", "results.json"} <= names
    assert "report.html" in merged.output
