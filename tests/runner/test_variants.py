"""Prompt variants through a run: every case on every prompt x model, named everywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from harness.cassettes.paths import cassette_path
from harness.cli import cli
from harness.config import load_config
from harness.runner.expand import Selection, expand
from harness.spec.load import load_spec

SPEC = """\
name: greet
models: [echo, "echo:twin"]
prompts:
  short: "Hi {{ who }}"
  long: "Hello there, {{ who }}"
cases:
  - {id: ann, vars: {who: Ann}, expect: [{type: starts-with, value: Hi}]}
  - {id: bob, vars: {who: Bob}, expect: [{type: contains, value: Bob}]}
"""


def _results(out: Path) -> list[dict[str, Any]]:
    return json.loads((out / "results.json").read_text())["results"]  # type: ignore[no-any-return]


def test_every_case_runs_on_every_prompt_and_model(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "greet.yaml").write_text(SPEC)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["run", "greet.yaml", "--record-mode", "none", "--out", "out"])
    assert result.exit_code == 1, result.output  # ann fails on the long prompt
    table = [line.split("│")[1].strip() for line in result.output.splitlines() if "│" in line]
    assert sorted(table) == ["long@echo", "long@echo:twin", "short@echo", "short@echo:twin"]
    rows = _results(tmp_path / "out")
    got = sorted(
        (r["case_id"], r["prompt_name"], r["model"], r["status"], r["prompt"]) for r in rows
    )
    assert got == [
        ("ann", "long", "echo", "failed", "Hello there, Ann"),
        ("ann", "long", "echo:twin", "failed", "Hello there, Ann"),
        ("ann", "short", "echo", "passed", "Hi Ann"),
        ("ann", "short", "echo:twin", "passed", "Hi Ann"),
        ("bob", "long", "echo", "passed", "Hello there, Bob"),
        ("bob", "long", "echo:twin", "passed", "Hello there, Bob"),
        ("bob", "short", "echo", "passed", "Hi Bob"),
        ("bob", "short", "echo:twin", "passed", "Hi Bob"),
    ]
    assert {r["item_id"] for r in rows} >= {
        "greet::ann::echo::1::short",
        "greet::ann::echo::1::long",
    }
    summary = (tmp_path / "out" / "summary.csv").read_text()
    assert "short@echo" in summary and "long@echo:twin" in summary  # leaderboard: prompt x model
    html = (tmp_path / "out" / "report.html").read_text()
    assert "long@echo:twin" in html


def test_prompts_selects_variants_and_unknown_names_are_errors(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "greet.yaml").write_text(SPEC)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli, ["run", "greet.yaml", "--prompts", "short", "--record-mode", "none", "--out", "out"]
    )
    assert result.exit_code == 0, result.output
    assert {r["prompt_name"] for r in _results(tmp_path / "out")} == {"short"}
    bad = CliRunner().invoke(
        cli, ["run", "greet.yaml", "--prompts", "shrt", "--record-mode", "none"]
    )
    assert bad.exit_code == 2
    assert "--prompts shrt: no such prompt variant (known: long, short)" in bad.stderr


def test_single_prompt_items_keep_their_ids_and_cassette_paths(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text("name: one\nmodels: [echo]\nprompt: hi\ncases: [{id: a}]\n")
    spec = load_spec(tmp_path / "one.yaml")
    (item,) = expand([spec], Selection(), load_config(start=tmp_path))
    assert item.id == "one::a::echo::1" and item.prompt is None
    assert cassette_path(Path("c"), "one", "a", "echo:echo").as_posix() == "c/one/a/echo/echo.yaml"
    assert (
        cassette_path(Path("c"), "one", "a", "openai:m", 1, "terse").as_posix()
        == "c/one/a/openai/m.variant-terse.yaml"
    )


def test_compare_reports_each_prompt(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "greet.yaml").write_text(SPEC)
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        CliRunner().invoke(cli, ["run", "greet.yaml", "--record-mode", "none"])
    result = CliRunner().invoke(cli, ["compare", "latest~1", "latest"])
    assert result.exit_code == 0, result.output
    rows = [line.split()[0] for line in result.stdout.splitlines() if "(all specs)" in line]
    assert sorted(rows) == ["long@echo", "long@echo:twin", "short@echo", "short@echo:twin"]
