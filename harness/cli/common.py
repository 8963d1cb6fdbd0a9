"""What every command shares: the project config, loaded once, lazily."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from harness.config import ProjectConfig, load_config


@dataclass(slots=True)
class Context:
    """Per-invocation state passed to commands through click's context object."""

    config_path: Path | None = None
    _config: ProjectConfig | None = field(default=None, repr=False)

    @property
    def config(self) -> ProjectConfig:
        """The project config; raises SpecError if harness.yaml is invalid."""
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config


store_option = click.option(
    "--store",
    "store_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Results store (default: from harness.yaml, reports/harness.db).",
)
"""The ``--store PATH`` option shared by the commands that read or write the store."""
