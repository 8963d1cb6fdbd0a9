"""Load spec files: parse, validate, build; every problem of a file, with its position.

``load_spec`` runs the three steps in order: parse the YAML keeping the position of every
value (:mod:`harness.spec.yaml_loader`), validate it into file models and collect every
problem (:mod:`harness.spec.validate`), then build the runtime objects from the valid
models only (:mod:`harness.spec.build`). Cases go through validate, build and the check
of their templates and ``field:`` paths one at a time (:mod:`harness.spec.case_stream`),
so a cases file is never held whole.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness.config import ProjectConfig
from harness.errors import ConfigError, SpecError, SpecProblem
from harness.spec.build import build_spec
from harness.spec.case_stream import check_cases
from harness.spec.problems import shown_path
from harness.spec.types import Spec
from harness.spec.validate import validate_spec
from harness.spec.yaml_loader import LoadedYAML, load_yaml
from harness.yaml_guard import spec_size_problem

__all__ = ["load_spec", "load_specs", "looks_like_spec", "shown_path"]

SPEC_SUFFIXES = (".yaml", ".yml")


SPEC_MARKERS = frozenset({"prompt", "cases", "cases_file", "expect", "models", "params", "schema"})


def looks_like_spec(data: Any) -> bool:
    """True for YAML meant as a spec: a mapping with any of the spec's main keys."""
    return isinstance(data, dict) and bool(SPEC_MARKERS & set(data))


def load_spec(path: Path, config: ProjectConfig | None = None) -> Spec:
    """Load one spec file, its cases files and its imports, and validate all of it.

    Raises:
        SpecError: with every problem found, each as ``path:line:col: where: message``.
    """
    shown = shown_path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError([SpecProblem(shown, 1, 1, f"cannot read spec: {exc.strerror}")]) from None
    if not raw.strip():
        raise SpecError(
            [SpecProblem(shown, 1, 1, "file is empty: a spec needs at least 'prompt' and 'cases'")]
        )
    if b"\x00" in raw:
        raise SpecError([SpecProblem(shown, 1, 1, "file is binary, not a YAML spec")])
    too_big = spec_size_problem(len(raw))
    if too_big:
        raise SpecError([SpecProblem(shown, 1, 1, too_big)])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(
            [SpecProblem(shown, 1, 1, f"file is not UTF-8 text ({exc.reason})")]
        ) from None
    loaded = load_yaml(text)  # parse, with positions
    problems = [SpecProblem(shown, pos.line, pos.col, message) for pos, message in loaded.problems]
    if problems:
        raise SpecError(problems)
    if not isinstance(loaded.data, dict):
        kind = type(loaded.data).__name__ if loaded.data is not None else "empty"
        raise SpecError([SpecProblem(shown, 1, 1, f"a spec must be a mapping of keys, got {kind}")])
    valid, c = validate_spec(path, raw, loaded, shown, config)  # into file models
    if valid is None:
        raise SpecError(_sorted(c.problems))
    # every case: validated (cases files row by row), built, its templates checked
    cases = check_cases(valid, c)
    if c.problems:
        raise SpecError(_sorted(c.problems))
    return _with_warnings(build_spec(valid, cases, name=path.stem), loaded, shown)


def _with_warnings(spec: Spec, loaded: LoadedYAML, shown: str) -> Spec:
    """Attach what validate should mention but that does not stop a run."""
    if not loaded.warnings:
        return spec
    found = tuple(SpecProblem(shown, p.line, p.col, m) for p, m in loaded.warnings)
    return dataclasses.replace(spec, warnings=spec.warnings + found)


def _sorted(problems: list[SpecProblem]) -> list[SpecProblem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.path, p.line, p.col))


def iter_spec_files(paths: Iterable[Path]) -> tuple[list[Path], list[SpecProblem]]:
    """Spec files below the given paths (in folders: each *.yaml/*.yml that looks like a spec)."""
    files: list[Path] = []
    problems: list[SpecProblem] = []
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.suffix in SPEC_SUFFIXES and f.is_file() and _is_spec_candidate(f):
                    files.append(f)
        elif p.is_file():
            files.append(p)
        else:
            problems.append(SpecProblem(shown_path(p), 1, 1, "no such file or folder"))
    return files, problems


def _is_spec_candidate(path: Path) -> bool:
    if path.name == "harness.yaml":
        return False
    try:
        head = path.read_bytes()[:65536]
    except OSError:
        return True
    # a folder scan skips YAML that plainly is not a spec (CI configs, data);
    # files named on the command line are always checked
    loaded = load_yaml(head.decode("utf-8", "replace")) if b"\x00" not in head else None
    if loaded is None or loaded.problems or loaded.data is None:
        return True
    return (
        looks_like_spec(loaded.data) or not isinstance(loaded.data, dict) or "prompt" in str(head)
    )


def load_specs(
    paths: Iterable[Path], config: ProjectConfig | None = None
) -> tuple[list[Spec], list[SpecProblem]]:
    """Load every spec below ``paths``; returns the good specs and all problems found.

    Also checks that spec names are unique across files.
    """
    files, problems = iter_spec_files(paths)
    specs: list[Spec] = []
    for f in files:
        try:
            specs.append(load_spec(f, config))
        except SpecError as exc:
            problems.extend(exc.problems)
        except ConfigError as exc:
            problems.append(SpecProblem(shown_path(f), 1, 1, str(exc)))
    by_name: dict[str, Spec] = {}
    for spec in specs:
        if spec.name in by_name:
            problems.append(
                SpecProblem(
                    spec.path,
                    1,
                    1,
                    f"duplicate spec name {spec.name!r} (also {by_name[spec.name].path}): "
                    "give each spec a unique 'name'",
                    "name",
                )
            )
        else:
            by_name[spec.name] = spec
    return specs, problems
