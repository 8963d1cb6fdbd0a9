"""Data flows one way: the cassettes package never imports the runner.

The runner addresses cassettes by ``CassetteKey``; anything that needs runner items
(replaying them for ``harness cassettes check``) lives in the runner.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import harness.cassettes

PACKAGE = Path(harness.cassettes.__file__).parent
MODULES = sorted(PACKAGE.glob("*.py"))


def _imported(path: Path) -> list[str]:
    """Every module an import statement of ``path`` names (lazy, in-function ones too)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names]
    return names


@pytest.mark.parametrize("module", [pytest.param(m, id=m.name) for m in MODULES])
def test_no_cassettes_module_names_the_runner(module: Path) -> None:
    runner = [
        n for n in _imported(module) if n == "harness.runner" or n.startswith("harness.runner.")
    ]
    assert runner == [], f"{module.name} imports {runner}: move that code into harness/runner/"


def test_importing_every_cassettes_module_loads_no_runner_module() -> None:
    names = ", ".join(f"harness.cassettes.{m.stem}" for m in MODULES if m.stem != "__init__")
    code = (
        f"import importlib, sys\n"
        f"for n in {names!r}.split(', '): importlib.import_module(n)\n"
        "print(sorted(m for m in sys.modules if m.startswith('harness.runner')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_check_finds_a_name_import_of_the_runner(tmp_path: Path) -> None:
    # the scan itself: a module that imports the runner is seen, however it is written
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from harness.runner.items import Item\ndef f():\n    import harness.runner.expand\n",
        encoding="utf-8",
    )
    found = _imported(sample)
    assert "harness.runner.items" in found and "harness.runner.expand" in found
