"""`harness run` imports only what a run needs: start-up time is part of every CI run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

HEAVY = (
    *("pandas", "jsonschema", "rapidfuzz", "json_repair", "regex", "vcr", "pyarrow", "numpy"),
    "ray",
    "aiohttp",  # imported with the first request that reaches the network
)


@pytest.mark.parametrize(
    "module",
    [
        pytest.param("harness.cli.run", id="run"),
        pytest.param("harness.cli.report", id="report"),
        pytest.param("harness.report.write", id="report-files"),
    ],
)
def test_a_command_never_imports_what_it_may_not_need(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_whole_run_with_its_report_files_never_imports_pandas(tmp_path: Path) -> None:
    # the example suite replayed offline, report files and all
    code = (
        "import sys, atexit; "
        "atexit.register(lambda: print('pandas' in sys.modules, file=sys.stderr)); "
        "from harness.cli import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "run", "specs/", "--record-mode", "none",
         "--out", str(tmp_path / "out"), "--store", str(tmp_path / "h.db"), "--fail-under", "0"],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CI": "true"},
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "out" / "report.html").is_file()
    assert done.stderr.strip().splitlines()[-1] == "False"
