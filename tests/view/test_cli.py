"""`harness view` on the command line: serves the store on loopback, clear errors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from harness.cli import cli
from tests.view.stores import RUN_B, two_runs


def test_view_serves_the_store_on_loopback(tmp_path: Path) -> None:
    store = two_runs(tmp_path / "harness.db")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness",
            "view",
            "--store",
            str(store),
            "--port",
            "0",
            "--no-open",
        ],
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        assert found, line
        for _ in range(100):
            try:
                page = httpx.get(found.group(1), timeout=5)
                break
            except httpx.ConnectError:
                import time

                time.sleep(0.05)
        assert page.status_code == 200 and RUN_B in page.text
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stderr is not None:
            proc.stderr.close()


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["view", "--store", str(tmp_path / "none.db"), "--no-open"])
    assert result.exit_code == 2
    assert "no results store at" in result.output and "harness run" in result.output


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    from harness.view.serve import bind

    store = two_runs(tmp_path / "harness.db")
    taken = bind(0)
    try:
        port = str(taken.getsockname()[1])
        result = CliRunner().invoke(
            cli, ["view", "--store", str(store), "--port", port, "--no-open"]
        )
    finally:
        taken.close()
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "--port N" in result.output


def test_without_the_extra_the_error_names_the_install_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = two_runs(tmp_path / "harness.db")
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    result = CliRunner().invoke(cli, ["view", "--store", str(store), "--no-open"])
    assert result.exit_code == 2
    assert "pip install 'harness[view]'" in result.output
