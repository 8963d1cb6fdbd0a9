"""Prompt templates: Jinja2 in a sandbox, with undefined variables as errors and limits."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import meta

from harness.spec.template_limits import LimitedEnvironment, render_limited

_ENV = LimitedEnvironment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # prompts are plain text, not HTML
    keep_trailing_newline=True,
)


@lru_cache(maxsize=4096)
def compile_template(source: str) -> jinja2.Template:
    """Compile a template once; raises ``jinja2.TemplateSyntaxError``."""
    return _ENV.from_string(source)


def template_variables(source: str) -> set[str]:
    """Names the template reads from its context (top-level only)."""
    return set(meta.find_undeclared_variables(_ENV.parse(source)))


def render(source: str, variables: Mapping[str, Any]) -> str:
    """Render a template; raises ``jinja2.UndefinedError`` for a missing variable and
    ``TemplateLimitError`` past the size, range or time limits."""
    return render_limited(compile_template(source), variables)
