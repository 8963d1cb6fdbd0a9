"""Check a spec's ``pkg.module:name`` / ``file.py:name`` references without running them.

``harness validate`` only reads: it resolves where a reference's module is (a file next to
the spec, or a module on the path) and reads that file's top-level names with ``ast``,
so a typo is a problem at validate time and no code a spec names runs. Code runs in
``harness run`` and under pytest, when an assertion is evaluated.

A ``file.py`` reference must stay inside the project (the folder of ``harness.yaml``, or
the working directory without one) unless its folder is listed in ``harness.yaml``::

    limits:
      python_paths: [../team-checks]
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from importlib.machinery import PathFinder
from pathlib import Path

from harness import limits as limits_mod

_EXECUTE: ContextVar[bool] = ContextVar("harness_execute_spec_code", default=True)


@contextmanager
def no_code_execution() -> Iterator[None]:
    """Within the block, loading a spec runs none of the code it names (for ``validate``)."""
    token = _EXECUTE.set(False)
    try:
        yield
    finally:
        _EXECUTE.reset(token)


def may_execute() -> bool:
    """False inside :func:`no_code_execution`."""
    return _EXECUTE.get()


def project_root(start: Path) -> Path:
    """The folder of the nearest ``harness.yaml`` above ``start``, else the working directory."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / "harness.yaml").is_file():
            return folder
    return Path.cwd().resolve()


def ref_problem(ref: str, base_dir: Path) -> str | None:
    """Why ``ref`` cannot be used (None: it resolves), found without importing anything."""
    module_part, sep, attr = ref.rpartition(":")
    if not sep or not module_part or not attr:
        return f"{ref!r} must look like 'pkg.module:name' or 'file.py:name'"
    if module_part.endswith(".py"):
        file = Path(module_part)
        if not file.is_absolute():
            file = base_dir / file
        if not file.is_file():
            return f"file {module_part!r} not found (looked at {file})"
        outside = _outside_project(file.resolve(), base_dir)
        if outside:
            return outside
        return _name_problem(file, attr, module_part)
    origin = _locate(module_part, [str(base_dir), str(Path.cwd()), *sys.path])
    if origin is None:
        return (
            f"cannot import module {module_part!r}: No module named {module_part!r}; "
            "make sure it is installed or on the path next to the spec"
        )
    if origin.suffix == ".py":
        return _name_problem(origin, attr, module_part)
    return None  # a compiled or namespace module: its names show when it runs


def _outside_project(file: Path, base_dir: Path) -> str | None:
    root = project_root(base_dir)
    allowed = [root, *((root / p).resolve() for p in limits_mod.current().python_paths)]
    if any(file.is_relative_to(folder) for folder in allowed):
        return None
    return (
        f"{file} is outside the project ({root}): a spec may only name code inside it; "
        "list the folder under limits.python_paths in harness.yaml to allow it"
    )


def _locate(dotted: str, paths: list[str]) -> Path | None:
    """Where a module's source is, found the way import would, importing nothing."""
    if dotted in sys.modules:
        found = getattr(sys.modules[dotted], "__file__", None)
        return Path(found) if found else Path(dotted)
    search: list[str] | None = paths
    origin: str | None = None
    for part in dotted.split("."):
        if search is None:
            return None  # a module, not a package, has no submodules
        if part in sys.builtin_module_names and origin is None:
            return Path(part)
        spec = PathFinder.find_spec(part, search)
        if spec is None:
            return None
        origin = spec.origin
        locations = spec.submodule_search_locations
        search = list(locations) if locations is not None else None
    return Path(origin) if origin else Path(dotted)


def _name_problem(file: Path, attr: str, shown: str) -> str | None:
    try:
        tree = ast.parse(file.read_bytes(), filename=str(file))
    except (OSError, SyntaxError, ValueError) as exc:
        return f"cannot read {shown}: {exc}"
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif not isinstance(node, ast.Expr):
            return None  # names made under if/try/with: only running it would tell
    if attr in names or "*" in names or "__getattr__" in names:
        return None
    return f"{shown} has no top-level {attr!r}"
