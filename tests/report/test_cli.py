"""`harness report` and `harness compare` on a real SQLite store and on results files."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.store.records import FAILED, PASSED, ResultRecord
from harness.store.sqlite import Store
from tests.report.fixtures import mixed_records, record, run_info


def _store(path: Path, runs: dict[str, list[ResultRecord]]) -> None:
    with Store.open(path) as store:
        for n, (run_id, records) in enumerate(runs.items()):
            store.start_run(run_info(run_id=run_id, started_at=1_700_000_000.0 + n))
            store.write(dataclasses.replace(r, run_id=run_id) for r in records)
            store.finish_run(run_id)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A store with two runs: the second breaks one case of model m."""
    path = tmp_path / "harness.db"
    base = [record("m", f"c{i}", PASSED) for i in range(5)]
    worse = [record("m", "c0", FAILED), *base[1:]]
    _store(path, {"20240101-a": base, "20240102-b": worse})
    return path


def test_report_writes_every_file(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["report", "latest", "--store", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {
        "report.html",
        "summary.csv",
        "results.csv",
        "results.json",
        "results.parquet",  # the parquet extra is installed for the tests
    }
    summary = pd.read_csv(out / "summary.csv")
    assert summary.loc[summary["scope"] == "model", "pass_rate"].tolist() == [0.8]
    assert "20240102-b" in (out / "report.html").read_text(encoding="utf-8")


def test_report_renders_the_mixed_fixture_from_the_store(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    _store(db, {"run-1": mixed_records()})
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["report", "run-1", "--store", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "cost unknown" in html and "<script>alert" not in html


@pytest.mark.parametrize(
    ("args", "code"),
    [
        pytest.param([], 0, id="report-only"),
        pytest.param(["--fail-on-regression"], 1, id="gate"),
    ],
)
def test_compare_latest_runs(db: Path, tmp_path: Path, args: list[str], code: int) -> None:
    html = tmp_path / "diff.html"
    result = CliRunner().invoke(
        cli,
        ["compare", "latest~1", "latest", "--store", str(db), "--html", str(html), *args],
    )
    assert result.exit_code == code, result.output
    assert "A (baseline): 20240101-a" in result.output
    assert "Flipped cases: 1 pass -> fail" in result.output
    assert html.is_file()


def test_compare_results_files(db: Path, tmp_path: Path) -> None:
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    for ref, out in (("latest~1", out_a), ("latest", out_b)):
        args = ["report", ref, "--store", str(db), "--out", str(out)]
        assert CliRunner().invoke(cli, args).exit_code == 0
    result = CliRunner().invoke(
        cli,
        ["compare", str(out_a / "results.json"), str(out_b / "results.csv"),
         "--store", str(tmp_path / "absent.db"), "--fail-on-regression"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "m qa/c0#1: passed -> failed" in result.output


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        pytest.param("latest~5", "holds only 2 run(s)", id="too-far-back"),
        pytest.param("nope", "no run 'nope'", id="unknown-id"),
        pytest.param("missing.json", "no such results file", id="missing-file"),
    ],
)
def test_bad_run_references_are_clean_errors(db: Path, ref: str, message: str) -> None:
    result = CliRunner().invoke(cli, ["compare", ref, "latest", "--store", str(db)])
    assert result.exit_code == 2
    assert message in result.output


def test_not_a_results_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"results": [{"foo": 1}]}))
    result = CliRunner().invoke(cli, ["compare", str(bad), str(bad), "--store", "none.db"])
    assert result.exit_code == 2
    assert "not a harness results file" in result.output
