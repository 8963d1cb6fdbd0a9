"""Limits that keep harness bounded on hostile input: every one, its default, in one place.

Specs, cases files, cassettes and model answers can come from anyone (a shared spec
repository, a contributor's pull request, a model's own output). Each limit below caps
the time or memory one piece of such input can take; docs/limits-and-safety.md lists
them. Change them in ``harness.yaml``::

    limits:
      regex_timeout_s: 2
      max_output_bytes: 10000000

The project config sets them once per process (:func:`configure`); everything else reads
:func:`current`. ``harness.yaml`` itself is read with the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from pydantic import BaseModel, ConfigDict, Field

MB = 1_000_000


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits in force (defaults shown)."""

    regex_timeout_s: float = 1.0
    """A ``regex`` assertion gives up after this long: the assertion errors."""
    python_timeout_s: float = 30.0
    """A ``python`` assertion's function gets this long before its verdict is an error."""
    repair_max_bytes: int = 100_000
    """Near-JSON longer than this (characters) is never repaired: repair is slow on it."""
    max_output_bytes: int = 4 * MB
    """A model answer longer than this is stored and reported truncated, marked with its size."""
    yaml_max_depth: int = 100
    """Nesting depth of YAML collections (specs, cases, harness.yaml, cassettes)."""
    yaml_max_aliases: int = 10_000
    """How many ``*alias`` uses one YAML document may have."""
    yaml_max_alias_nodes: int = 100_000
    """How many values all alias uses of one YAML document may expand to, together."""
    spec_max_bytes: int = 10 * MB
    """A spec file (with its inline cases); put more cases in a ``cases_file``."""
    cases_max_row_bytes: int = 10 * MB
    """One row of a cases file (a JSONL line, a CSV line); cases files are read row by row."""
    template_max_output: int = 1 * MB
    """Characters one rendered template (or one ``*``/``**`` inside it) may produce."""
    template_max_range: int = 10_000
    """The largest ``range()`` (or list made with ``*``) a template may ask for."""
    template_timeout_s: float = 5.0
    """Time one render may take."""
    python_paths: tuple[str, ...] = ()
    """Folders outside the project (relative to ``harness.yaml``) a ``file.py:name`` may be in."""


_D = Limits()


class LimitsFile(BaseModel):
    """The ``limits:`` section of ``harness.yaml``; every key is optional."""

    model_config = ConfigDict(extra="forbid")

    regex_timeout_s: float = Field(default=_D.regex_timeout_s, gt=0)
    python_timeout_s: float = Field(default=_D.python_timeout_s, gt=0)
    repair_max_bytes: int = Field(default=_D.repair_max_bytes, ge=0)
    max_output_bytes: int = Field(default=_D.max_output_bytes, ge=1000)
    yaml_max_depth: int = Field(default=_D.yaml_max_depth, ge=2, le=500)
    yaml_max_aliases: int = Field(default=_D.yaml_max_aliases, ge=0)
    yaml_max_alias_nodes: int = Field(default=_D.yaml_max_alias_nodes, ge=0)
    spec_max_bytes: int = Field(default=_D.spec_max_bytes, ge=1000)
    cases_max_row_bytes: int = Field(default=_D.cases_max_row_bytes, ge=1000)
    template_max_output: int = Field(default=_D.template_max_output, ge=1000)
    template_max_range: int = Field(default=_D.template_max_range, ge=1)
    template_timeout_s: float = Field(default=_D.template_timeout_s, gt=0)
    python_paths: tuple[str, ...] = ()

    def to_limits(self) -> Limits:
        """The frozen limits these settings give."""
        return Limits(**{f.name: getattr(self, f.name) for f in fields(Limits)})


_current = Limits()


def current() -> Limits:
    """The limits in force in this process."""
    return _current


def configure(limits: Limits) -> None:
    """Put ``limits`` in force for this process (the project config does this on load)."""
    global _current
    _current = limits
