"""`harness run` imports only what a run needs: start-up time is part of every CI run."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pandas", "jsonschema", "rapidfuzz", "json_repair", "vcr", "pyarrow", "numpy")


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
