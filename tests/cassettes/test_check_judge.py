"""`harness cassettes check` replays judge calls too: a changed rubric is a stale cassette."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example suite with its committed cassettes, as the working directory."""
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    shutil.copytree(REPO / "cassettes", tmp_path / "cassettes")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_committed_cassettes_of_the_judged_spec_are_current(suite: Path) -> None:
    result = CliRunner().invoke(cli, ["cassettes", "check", "specs/explain_judged.yaml"])
    assert result.exit_code == 0, result.output
    assert "0 stale, 0 missing" in result.output


def test_a_changed_rubric_makes_the_cassettes_stale(suite: Path) -> None:
    spec = suite / "specs" / "explain_judged.yaml"
    text = spec.read_text()
    assert "in at most two sentences" in text
    spec.write_text(text.replace("in at most two sentences", "in at most one sentence"))
    result = CliRunner().invoke(cli, ["cassettes", "check", "specs/explain_judged.yaml"])
    assert result.exit_code == 1
    assert "judge call" in result.output
    assert "0 missing" in result.output and " 0 stale" not in result.output
