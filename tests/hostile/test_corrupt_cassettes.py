"""Item 6: corrupt cassettes are reported by ``harness cassettes check`` (exit 1), and
``--record-mode all`` over one re-records it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from tests.fakes.server import FakeServer
from tests.hostile.project import harness, rows, write_project

REPO = Path(__file__).resolve().parents[2]
CORRUPT = {
    "invalid YAML": "interactions: [\n  - {request: ::: }\n",
    "truncated": 'interactions:\n- request:\n    body: \'{"model": "x"',
    "python tag": "interactions: !!python/object/apply:os.system ['echo pwned']\n",
    "recursive alias": "interactions: &a [*a]\nversion: 1\n",
}


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example suite with its committed cassettes, as the working directory."""
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    shutil.copytree(REPO / "cassettes", tmp_path / "cassettes")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_check_reports_corrupt_cassettes_and_exits_1(suite: Path) -> None:
    spec = "specs/arithmetic.yaml"
    clean = CliRunner().invoke(cli, ["cassettes", "check", spec])
    assert clean.exit_code == 0, clean.output
    files = sorted((suite / "cassettes" / "arithmetic").rglob("*.yaml"))
    assert len(files) >= len(CORRUPT)
    for (_, text), path in zip(CORRUPT.items(), files, strict=False):
        path.write_text(text)
    result = CliRunner().invoke(cli, ["cassettes", "check", spec])
    assert result.exit_code == 1, result.output
    assert f"{len(CORRUPT)} error" in result.output, result.output
    assert "Traceback" not in result.output


@pytest.fixture
def server() -> Iterator[str]:
    """The OpenAI fake (echoes the prompt), in a thread."""
    fake = FakeServer("openai")
    with fake.in_thread() as url:
        yield url


def test_record_mode_all_rerecords_a_corrupt_cassette(tmp_path: Path, server: str) -> None:
    spec = (
        "name: rec\nmodels: [fake:m]\nprompt: 'say {{ w }}'\n"
        "cases:\n  - {id: c1, vars: {w: hi}, expect: [{type: contains, value: hi}]}\n"
    )
    root = write_project(tmp_path, server, spec)
    first = harness(root, "run", "--record-mode", "all")
    assert first.returncode == 0, first.stderr
    (cassette,) = (root / "cassettes").rglob("*.yaml")
    cassette.write_text(CORRUPT["invalid YAML"])
    replay = harness(root, "run", "--record-mode", "none")
    assert replay.returncode == 1
    again = harness(root, "run", "--record-mode", "all")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "interactions:" in cassette.read_text() and "say hi" in cassette.read_text()
    assert harness(root, "run", "--record-mode", "none").returncode == 0
    db = root / "reports" / "harness.db"
    assert [s for (s,) in rows(db, "SELECT status FROM results ORDER BY rowid")] == [
        "passed",
        "error",
        "passed",
        "passed",
    ]
