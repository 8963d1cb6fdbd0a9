"""``harness schema``: JSON Schema helpers for specs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import yaml

from harness.spec.infer import infer_schema, read_examples
from harness.spec.load import shown_path


@click.group("schema")
def command() -> None:
    """JSON Schema helpers: infer one from example outputs."""


@command.command("infer")
@click.argument("examples", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of YAML.")
def infer(examples: Path, as_json: bool) -> None:
    """Print a JSON Schema inferred from EXAMPLES (JSONL: one output per line).

    A line is a JSON value, or a string holding a model's answer (its JSON is
    extracted). Paste the result under a spec's `schema:`, or save it in a field
    library and `$ref` it. Exits 1 when a line cannot be read.
    """
    found = read_examples(examples, shown_path(examples))
    for problem in found.problems:
        click.echo(str(problem), err=True)
    if found.problems:
        sys.exit(1)
    if not found.values:
        click.echo(f"{shown_path(examples)}:1:1: no examples in the file", err=True)
        sys.exit(1)
    schema = infer_schema(found.values)
    if as_json:
        click.echo(json.dumps(schema, indent=2))
    else:
        click.echo(yaml.safe_dump(schema, sort_keys=False).rstrip("\n"))
