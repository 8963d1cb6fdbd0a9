"""The ``harness`` command line: thin wrappers over the public API.

Each command lives in its own module; this one builds the group and turns every
``HarnessError`` into a clean message and exit status 2 (1 is for failed checks).
"""

from __future__ import annotations

import importlib
import sqlite3
import sys
from pathlib import Path

import click

from harness import __version__
from harness.cli.common import Context
from harness.cli.observe import add_observe_params, setup_default_logging
from harness.errors import HarnessError, SpecError
from harness.store.integrity import recovery_steps

# name -> module under harness.cli exposing a click command called ``command``;
# imported only when that command runs, so `harness run` doesn't pay for pandas reports
_COMMANDS = {
    "validate": "validate",
    "run": "run",
    "merge": "merge",
    "report": "report",
    "compare": "compare",
    "cassettes": "cassettes",
    "init": "init",
    "view": "view",
    "schema": "schema",
    "grade": "grade",
}


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = _COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(f"harness.cli.{module_name}")
        command: click.Command = module.command
        return add_observe_params(command)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SpecError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            sys.exit(2)
        except HarnessError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except sqlite3.DatabaseError as exc:  # a store damaged after it was opened
            click.echo(
                f"error: the results store is damaged ({exc}); {recovery_steps(None)}", err=True
            )
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="harness")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Project config (default: the nearest harness.yaml upward from here).",
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """Spec-driven, cross-model evaluation of LLMs.

    Describe an evaluation in YAML (a spec: prompt, cases, schema, expectations),
    check it with `harness validate`, run it on many models with `harness run`.
    """
    ctx.obj = Context(config_path=config_path)
    setup_default_logging(ctx)


add_observe_params(cli)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="harness")
