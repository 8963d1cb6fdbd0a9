"""Prompt templates: Jinja2 in a sandbox, with undefined variables as errors and limits.

A template may ``{% include %}`` or ``{% import %}`` other files when it is given the folder
it lives in (``base_dir``): names are looked up below that folder, then below the project
root (``root``). Names with ``..`` are refused, and a file reached through a link that
leaves those folders is refused too, so no template reads outside the project.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta

from harness.spec.filters import FILTERS
from harness.spec.template_limits import LimitedEnvironment, render_limited


def _environment(loader: jinja2.BaseLoader | None = None) -> LimitedEnvironment:
    env = LimitedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # prompts are plain text, not HTML
        keep_trailing_newline=True,
        loader=loader,
    )
    env.filters.update(FILTERS)  # tojson, toyaml, toon, regex_*: see harness.spec.filters
    return env


_ENV = _environment()


class ProjectLoader(jinja2.FileSystemLoader):
    """Templates below the spec's folder, then the project root; never outside them."""

    def __init__(self, base_dir: str, root: str | None) -> None:
        folders = [base_dir] + ([root] if root and root != base_dir else [])
        super().__init__(folders, encoding="utf-8")
        self.allowed = [Path(f).resolve() for f in folders]

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        real = Path(os.path.realpath(filename))
        if not any(real.is_relative_to(folder) for folder in self.allowed):
            raise jinja2.TemplateNotFound(f"{template} (it leads outside the project, to {real})")
        return source, filename, uptodate


@lru_cache(maxsize=64)
def _env_for(base_dir: str | None, root: str | None) -> LimitedEnvironment:
    return _ENV if base_dir is None else _environment(ProjectLoader(base_dir, root))


@lru_cache(maxsize=4096)
def compile_template(
    source: str, base_dir: str | None = None, root: str | None = None
) -> jinja2.Template:
    """Compile a template once; raises ``jinja2.TemplateSyntaxError``."""
    return _env_for(base_dir, root).from_string(source)


def template_variables(source: str) -> set[str]:
    """Names the template reads from its context (top-level only)."""
    return set(meta.find_undeclared_variables(_ENV.parse(source)))


def render(
    source: str,
    variables: Mapping[str, Any],
    *,
    base_dir: str | None = None,
    root: str | None = None,
) -> str:
    """Render a template; raises ``jinja2.UndefinedError`` for a missing variable and
    ``jinja2.TemplateNotFound`` for an include that is missing or outside the project,
    ``TemplateLimitError`` past the size, range or time limits."""
    return render_limited(compile_template(source, base_dir, root), variables)
