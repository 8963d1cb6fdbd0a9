"""Which harness project a pytest session belongs to, and where its specs are.

pytest's rootdir is the folder of the nearest ini file above the arguments; a harness
project nested in another repository (``repo/evals/harness.yaml`` under ``repo/pyproject.toml``)
gets the outer repository as rootdir. The project is therefore found upward from where
pytest was started, then from the rootdir, and spec patterns match relative to either.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import ProjectConfig, load_config
from harness.testing.naming import matches_specs


def find_project(config: pytest.Config) -> ProjectConfig:
    """harness.yaml found upward from the invocation folder, else from the rootdir.

    Raises:
        SpecError: the file found is invalid.
    """
    here = load_config(start=config.invocation_params.dir)
    if here.path is not None:
        return here
    return load_config(start=config.rootpath)


def spec_roots(config: pytest.Config, project: ProjectConfig) -> tuple[Path, ...]:
    """Folders spec patterns are relative to: pytest's rootdir and the project's root."""
    roots = (config.rootpath, project.root)
    return tuple(dict.fromkeys(r.resolve() for r in roots))


def matches_any_root(path: Path, roots: tuple[Path, ...], patterns: tuple[str, ...]) -> bool:
    """Whether ``path`` matches a spec pattern relative to one of ``roots``."""
    return any(matches_specs(path, root, patterns) for root in roots)
