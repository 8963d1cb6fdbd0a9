"""`harness validate` and `harness --help` as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from harness.cli import cli

REPO = Path(__file__).resolve().parents[2]


def test_validate_repo_specs_passes(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(cli, ["validate", "specs/"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")


def test_validate_prints_every_problem_and_exits_1(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a.yaml").write_text(
        "prompt: hi\ncases:\n  - {id: x, expect: [{type: containz, value: q}]}\n"
    )
    (tmp_path / "b.yaml").write_text("promt: hi\ncases: [{id: a}]\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate", "."])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert (
        "a.yaml:3:29: cases.0.expect.0.type: unknown assertion type 'containz' (did you mean 'contains'?)"
        in lines
    )
    assert "b.yaml:1:1: promt: unknown key 'promt' (did you mean 'prompt'?)" in lines
    assert "Traceback" not in result.output


def test_missing_path_is_a_problem_not_a_crash(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate", "nope/"])
    assert result.exit_code == 1
    assert "nope:1:1: no such file or folder" in result.output


def test_bad_config_is_reported_with_position(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "harness.yaml").write_text("providers:\n  x: {type: nope}\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 1
    assert result.output.startswith("harness.yaml:2:13: providers.x.type:")


def test_console_script_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "harness", "--help"], capture_output=True, text=True, check=True
    )
    assert "validate" in out.stdout and "Usage: harness" in out.stdout
