"""The public API: re-exported from harness/__init__.py, sorted, resolvable, cheap to import."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import harness


def test_all_is_sorted_and_every_name_resolves() -> None:
    names = [n for n in harness.__all__ if n != "__version__"]
    assert names == sorted(names)
    for name in harness.__all__:
        assert getattr(harness, name) is not None, name


def test_importing_harness_does_not_load_the_heavy_stages() -> None:
    code = (
        "import sys, harness, harness.spec.load;"
        "heavy = [m for m in ('pandas', 'aiohttp', 'vcr', 'harness.report', 'harness.runner.run')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_record_mode_off_never_imports_vcrpy() -> None:
    code = (
        "import sys, httpx, harness.cli.run;"
        "from pathlib import Path;"
        "from harness.cassettes import Recorder, resolve_record_mode;"
        "r = Recorder(Path('cassettes'), 'off');"
        "t = httpx.AsyncHTTPTransport(); assert r.wrap(t) is t;"
        "cm = r.scope(None); cm.__enter__(); cm.__exit__(None, None, None);"
        "print([m for m in sys.modules if m == 'vcr' or m.startswith('vcr.')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    # and recording does load it
    code = code.replace("'off'", "'once'").replace("assert r.wrap(t) is t", "r.wrap(t)")
    code = code.replace("cm = r.scope(None); cm.__enter__(); cm.__exit__(None, None, None);", "")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "'vcr'" in out.stdout


@pytest.mark.parametrize(
    "package", ["harness", "harness.cassettes", "harness.drivers", "harness.runner"]
)
def test_lazy_packages_export_exactly_what_they_list(package: str) -> None:
    # __all__ stays a literal for type checkers; it must name the same things _EXPORTS loads
    module = importlib.import_module(package)
    listed = {n for n in module.__all__ if n != "__version__"}
    assert listed == set(module._EXPORTS)
    for name in listed:
        assert getattr(module, name) is not None, name
    with pytest.raises(AttributeError, match=package):
        module.no_such_name  # noqa: B018
