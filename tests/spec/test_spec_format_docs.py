"""docs/spec-format.md stays true: every YAML example loads, and every example spec runs.

Each YAML block starts with a ``# path`` comment. A path that exists in the repository
(``specs/extract_person.yaml``) must be that file, which the example suite runs; the other
blocks are written, in order, into one scratch project (so an example may use the files of
the blocks before it), and each spec among them is validated and run offline.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from click.testing import CliRunner

from harness.cli import cli
from harness.spec.load import load_spec, looks_like_spec
from harness.spec.yaml_loader import load_yaml

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "spec-format.md"
COMMANDS = re.findall(
    r"```\n\$ (harness [^\n]*)\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL
)
BLOCKS = re.findall(
    r"```(?:yaml|jsonl|text|jinja)\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL
)


def _path(block: str) -> str:
    first = block.splitlines()[0]
    return first[2:].split()[0] if first.startswith("# ") else ""


def test_every_block_is_valid_and_files_are_named() -> None:
    assert BLOCKS
    for block in BLOCKS:
        if not _path(block):  # a fragment (a few keys of a spec): it must still be YAML
            assert yaml.safe_load(block) is not None, block


def test_repo_examples_are_the_repo_files() -> None:
    for block in BLOCKS:
        path = REPO / _path(block)
        if _path(block) and path.exists() and _path(block).startswith("specs/"):
            assert load_spec(path).name


def test_every_other_example_spec_validates_and_runs(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    specs: list[str] = []
    for block in BLOCKS:
        rel = _path(block)
        if not rel or ((REPO / rel).exists() and rel.startswith("specs/")):
            continue
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        # a YAML block keeps its header comment; other files lose it
        body = block if target.suffix in (".yaml", ".yml") else block.split("\n", 1)[1]
        target.write_text(body, encoding="utf-8")
        is_yaml = target.suffix == ".yaml" and target.name != "harness.yaml"
        if is_yaml and looks_like_spec(load_yaml(block).data):
            specs.append(rel)
    monkeypatch.chdir(tmp_path)
    assert specs, "the docs hold example specs"
    for rel in specs:
        checked = CliRunner().invoke(cli, ["validate", rel])
        assert checked.exit_code == 0, f"{rel}: {checked.output}"
        run = CliRunner().invoke(cli, ["run", rel, "--record-mode", "none"])
        assert run.exit_code == 0, f"{rel} did not pass on the echo model: {run.output}"
    assert COMMANDS, "the docs show commands with their output"
    for command, expected in COMMANDS:
        shown = CliRunner().invoke(cli, command.split()[1:])
        assert shown.exit_code == 0, shown.output
        assert shown.stdout == expected, f"the output of {command!r} in the docs is stale"
