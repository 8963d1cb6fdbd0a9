"""``harness init``: scaffold a project (harness.yaml, a first spec, its cases, a CI job)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from harness.cli.init_files import FILES, IGNORED


@click.command("init")
@click.argument(
    "folder", required=False, default=".", type=click.Path(file_okay=False, path_type=Path)
)
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def command(folder: Path, force: bool) -> None:
    """Create a project in FOLDER (default: here): harness.yaml, specs/triage.yaml with
    its cases file specs/cases/emails.csv, and a CI job replaying the cassettes.

    Existing files are left alone unless --force; nothing is written then.
    """
    existing = [name for name in FILES if (folder / name).exists()]
    if existing and not force:
        click.echo(
            f"harness init: {', '.join(existing)} already exist in {folder}; nothing written. "
            "Use --force to overwrite them.",
            err=True,
        )
        sys.exit(2)
    for name, text in FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        click.echo(f"wrote {path}")
    _ignore_reports(folder / ".gitignore")
    steps = [] if folder == Path(".") else [f"cd {folder}"]
    steps += [
        "harness validate        # check the spec",
        "harness run --dry-run   # what a run would call and cost",
        "harness run             # run it (local models: pip install 'harness[local]')",
    ]
    click.echo("next:\n" + "\n".join(f"  {step}" for step in steps))


def _ignore_reports(gitignore: Path) -> None:
    lines = gitignore.read_text(encoding="utf-8").splitlines() if gitignore.exists() else []
    if IGNORED in lines:
        return
    with gitignore.open("a", encoding="utf-8") as f:
        if lines and lines[-1] != "":
            f.write("\n")
        f.write(f"{IGNORED}\n")
    click.echo(f"added {IGNORED} to {gitignore}")
