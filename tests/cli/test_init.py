"""``harness init``: a fresh folder becomes a project that validates and plans a run."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from click.testing import CliRunner, Result

from harness.cli import cli
from harness.spec.load import load_spec


def _invoke(folder: Path, *args: str) -> Result:
    old = Path.cwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def test_init_scaffolds_a_project_that_validates_and_plans(tmp_path: Path) -> None:
    result = _invoke(tmp_path, "init", "proj")
    assert result.exit_code == 0, result.output
    proj = tmp_path / "proj"
    for name in (
        "harness.yaml",
        "specs/triage.yaml",
        "specs/cases/emails.csv",
        ".github/workflows/harness.yml",
    ):
        assert (proj / name).is_file(), name
    assert (proj / ".gitignore").read_text() == "reports/\n"
    assert _invoke(proj, "validate").output.strip() == "ok: 1 spec(s), 8 case(s)"
    spec = load_spec(proj / "specs" / "triage.yaml")
    first = spec.cases[0].expect
    assert [(a.type, a.field, a.value) for a in first[1:]] == [
        ("equals", "label", "billing"),
        ("equals", "priority", 1),  # the CSV cell, typed by the schema
    ]
    plan = _invoke(proj, "run", "--dry-run")
    assert plan.exit_code == 0 and "local:smollm2-135m" in plan.output
    workflow = yaml.safe_load((proj / ".github" / "workflows" / "harness.yml").read_text())
    steps = [s.get("run") for s in workflow["jobs"]["evals"]["steps"]]
    assert "harness run --record-mode none --fail-under 0.8" in steps


def test_init_leaves_existing_files_alone(tmp_path: Path) -> None:
    (tmp_path / "harness.yaml").write_text("defaults: {}\n")
    (tmp_path / ".gitignore").write_text("*.pyc")
    result = _invoke(tmp_path, "init")
    assert result.exit_code == 2
    assert "harness.yaml already exist" in result.output and "nothing written" in result.output
    assert (tmp_path / "harness.yaml").read_text() == "defaults: {}\n"
    assert not (tmp_path / "specs").exists()
    forced = _invoke(tmp_path, "init", "--force")
    assert forced.exit_code == 0
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\nreports/\n"
