"""Executors are a registered kind: ``harness.executors`` entry points, ``local`` and ``ray``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.errors import ConfigError
from harness.executors import ExecutorType, docs_table, executor_names, executor_type

REPO = Path(__file__).resolve().parents[2]


def test_the_built_ins_come_through_the_entry_points() -> None:
    assert {"local", "ray"} <= set(executor_names())
    for name in ("local", "ray"):
        declared = executor_type(name)
        assert isinstance(declared, ExecutorType) and declared.name == name
    assert executor_type("ray").extra == "ray" and executor_type("local").extra is None


def test_an_unknown_executor_is_named_with_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"unknown executor 'rya' \(did you mean 'ray'\?\)"):
        executor_type("rya")


def test_the_docs_table_is_generated_from_the_declarations(repo_root: Path) -> None:
    page = (repo_root / "docs" / "running-on-ray.md").read_text()
    assert docs_table() in page


def _project(root: Path) -> Path:
    (root / "specs").mkdir()
    (root / "harness.yaml").write_text("defaults: {record_mode: 'off'}\n")
    (root / "specs" / "one.yaml").write_text(
        "name: one\nmodels: [echo]\nprompt: hi\ncases: [{id: a, expect: [{type: contains, value: hi}]}]\n"
    )
    return root


def test_ray_flags_need_the_ray_executor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(_project(tmp_path))
    result = CliRunner().invoke(cli, ["run", "--ray-address", "auto"])
    assert result.exit_code == 2
    assert "--ray-address only applies with --executor ray" in result.output


def test_an_unknown_executor_stops_before_anything_is_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["run", "--executor", "threads"])
    assert result.exit_code == 2
    assert "unknown executor 'threads'" in result.output
    assert not (root / "reports" / "harness.db").exists() or _runs(root) == 0


def _runs(root: Path) -> int:
    import sqlite3

    with sqlite3.connect(root / "reports" / "harness.db") as con:
        count: int = con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    return count


def test_without_ray_the_message_names_the_extra(tmp_path: Path) -> None:
    # ray made unimportable in a fresh interpreter: what a user without the extra sees
    code = "import sys; sys.modules['ray'] = None; from harness.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "run", "--executor", "ray"],
        cwd=_project(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "pip install 'harness[ray]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert _runs(tmp_path) == 0  # refused before the run's row was written


def test_a_local_run_never_imports_ray(tmp_path: Path) -> None:
    code = (
        "import sys, atexit; "
        "atexit.register(lambda: print('ray' in sys.modules, file=sys.stderr)); "
        "from harness.cli import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "run"],
        cwd=_project(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1] == "False"


def test_an_address_where_no_cluster_answers_fails_at_once(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: nothing answers there
        done = subprocess.run(
            _cli("run", "--executor", "ray", "--ray-address", f"127.0.0.1:{port}"),
            cwd=_project(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2, done.stderr
    assert f"--ray-address 127.0.0.1:{port}: no Ray cluster answers there" in done.stderr
    assert _runs(tmp_path) == 0


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from harness.cli import main; main()", *args]


def test_cache_is_refused_on_ray(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["run", "--executor", "ray", "--cache"])
    assert result.exit_code == 2
    assert "--cache reads earlier responses from this machine's store" in result.output
    assert _runs(root) == 0
