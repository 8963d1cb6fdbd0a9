"""Item 5: run ids never name a path outside reports/, a ``python:`` file outside the
project is a validate problem unless allowed, and ``harness validate`` runs no spec code."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from harness.cli import cli
from harness.errors import ConfigError
from harness.run_ids import check_run_id, run_folder
from harness.store.records import ResultRecord, RunInfo
from harness.store.sqlite import Store


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """An empty project folder (with harness.yaml) as the working directory."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "harness.yaml").write_text("defaults: {record_mode: none}\n")
    old = Path.cwd()
    os.chdir(root)
    try:
        yield root
    finally:
        os.chdir(old)


def _cli(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _shard(path: Path, run_id: str) -> None:
    with Store.open(path) as store:
        store.start_run(RunInfo(run_id, started_at=1.0, models=["p:m"]))
        store.write([ResultRecord(run_id, "i1", "s", "c1", "p:m", 1, "passed")])
        store.finish_run(run_id)


@pytest.mark.parametrize(
    "run_id",
    [
        pytest.param("../../escaped-run", id="dotdot"),
        pytest.param("/tmp/absolute-run", id="absolute"),
        pytest.param("..", id="parent"),
        pytest.param("a/b", id="slash"),
        pytest.param(".hidden", id="leading-dot"),
    ],
)
def test_merge_refuses_a_run_id_that_escapes_reports(project: Path, run_id: str) -> None:
    _shard(project / "shard.db", "r1")
    before = set(project.parent.rglob("*"))
    result = _cli("merge", "shard.db", "--into", "all.db", "--run-id", run_id)
    assert result.exit_code != 0
    assert "cannot name a results folder" in result.output
    assert set(project.parent.rglob("*")) - before == set()  # nothing written anywhere


def test_a_hostile_run_id_from_a_store_is_refused(project: Path) -> None:
    _shard(project / "bad.db", "../../escaped-run")
    before = set(project.parent.rglob("*"))
    merged = _cli("merge", "bad.db", "--into", "all.db", "--run-id", "fine")
    assert merged.exit_code == 0, merged.output  # the merged run gets a safe id
    assert (project / "reports" / "fine" / "results.csv").is_file()
    report = _cli("report", "../../escaped-run", "--store", "bad.db")
    assert report.exit_code != 0 and "cannot name a results folder" in report.output
    resumed = _cli("run", "--resume", "../../escaped-run", "--store", "bad.db")
    assert resumed.exit_code != 0 and "cannot name a results folder" in resumed.output
    escaped = {p for p in set(project.parent.rglob("*")) - before if project not in p.parents}
    assert escaped == set()


def test_safe_run_ids_pass() -> None:
    assert check_run_id("20250101T120000-3fa2c1") == "20250101T120000-3fa2c1"
    assert run_folder(Path("reports"), "v1.2_final") == Path("reports/v1.2_final")
    with pytest.raises(ConfigError):
        check_run_id("")


SPEC = """\
prompt: 'hi {{ x }}'
cases:
  - {id: a, vars: {x: 1}, expect: [{type: python, value: "%s"}]}
"""
CHECK = """\
from pathlib import Path
Path(__file__).with_name("EXECUTED").write_text("ran")

def check(output, context):
    return True
"""


def test_validate_never_executes_spec_code(project: Path) -> None:
    (project / "specs").mkdir()
    (project / "specs" / "checks.py").write_text(CHECK)
    (project / "specs" / "schemas.py").write_text(
        CHECK.replace("def check(output, context):\n    return True", "X = 1").replace(
            "EXECUTED", "SCHEMA_EXECUTED"
        )
        + "from pydantic import BaseModel\nclass Answer(BaseModel):\n    a: int\n"
    )
    (project / "specs" / "s.yaml").write_text(SPEC % "checks.py:check")
    (project / "specs" / "t.yaml").write_text(
        (SPEC % "checks.py:check") + "schema: {model: 'schemas.py:Answer'}\n"
    )
    result = _cli("validate", "specs")
    assert result.exit_code == 0, result.output
    assert not (project / "specs" / "EXECUTED").exists()
    assert not (project / "specs" / "SCHEMA_EXECUTED").exists()
    (project / "specs" / "s.yaml").write_text(SPEC % "checks.py:chekc")
    typo = _cli("validate", "specs")
    assert typo.exit_code == 1 and "checks.py has no top-level 'chekc'" in typo.output


def test_a_python_file_outside_the_project_is_a_problem_unless_allowed(project: Path) -> None:
    team = project.parent / "team-checks"  # a folder beside the project, made by the test
    team.mkdir()
    (team / "checks.py").write_text("def check(output, context):\n    return True\n")
    (project / "specs").mkdir()
    (project / "specs" / "s.yaml").write_text(SPEC % "../../team-checks/checks.py:check")
    refused = _cli("validate", "specs")
    assert refused.exit_code == 1
    assert "is outside the project" in refused.output and "limits.python_paths" in refused.output
    (project / "harness.yaml").write_text("limits: {python_paths: [../team-checks]}\n")
    allowed = _cli("validate", "specs")
    assert allowed.exit_code == 0, allowed.output
