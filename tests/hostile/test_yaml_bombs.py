"""Item 2: YAML bombs (recursive aliases, alias trees, deep nesting) are problems with a
position in specs, cases files, harness.yaml and cassettes; never a traceback or a blow-up."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest
import yaml

from harness.cassettes.storage import YAMLSerializer
from harness.config import load_config
from harness.errors import SpecError
from harness.spec.load import load_spec
from harness.spec.yaml_loader import load_yaml


def laughs(levels: int = 9, width: int = 10) -> str:
    """The 'billion laughs' alias tree: ``width ** levels`` strings from a few hundred bytes."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


BOMBS = [
    pytest.param("prompt: hi\ncases: &a [*a]\n", "recursive alias", id="recursive-alias"),
    pytest.param("prompt: hi\ncases: " + "[" * 10_000 + "]" * 10_000, "nesting", id="nesting"),
    pytest.param("prompt: hi\ncases:\n" + laughs(), "billion laughs", id="billion-laughs"),
    pytest.param(
        "prompt: hi\n"
        + "".join(f"a{i}: &a{i} 1\n" for i in range(3))
        + "x: ["
        + "*a0, " * 20000
        + "]",
        "alias uses",
        id="many-aliases",
    ),
]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize(("text", "says"), BOMBS)
def test_a_spec_bomb_is_a_problem_at_a_position(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    before = _peak_mb()
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert _peak_mb() - before < 200  # a billion laughs today passes 1.9 GB
    (problem,) = caught.value.problems
    assert problem.path.endswith("bomb.yaml") and problem.line >= 1 and problem.col >= 1
    assert says in problem.message


@pytest.mark.parametrize(("text", "says"), BOMBS)
def test_harness_yaml_bombs_are_problems(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / "harness.yaml").write_text(text.replace("prompt: hi\ncases", "defaults"))
    with pytest.raises(SpecError) as caught:
        load_config(tmp_path / "harness.yaml")
    assert says in str(caught.value)


@pytest.mark.parametrize(("text", "says"), BOMBS)
def test_cassette_bombs_are_yaml_errors(text: str, says: str) -> None:
    with pytest.raises(yaml.YAMLError) as caught:
        YAMLSerializer.deserialize(text.replace("prompt: hi\ncases", "interactions"))
    assert says in str(caught.value) or "nesting depth" in str(caught.value)


def test_deeply_nested_json_in_a_cases_file_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "cases.jsonl").write_text(
        '{"id": "ok", "vars": {"q": 1}}\n{"id": "deep", "vars": {"q": '
        + "[" * 100_000
        + "]" * 100_000
        + "}}\n"
    )
    spec = tmp_path / "s.yaml"
    spec.write_text("prompt: '{{ q }}'\ncases_file: cases.jsonl\n")
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    assert any(p.line == 2 and "nested too deeply" in p.message for p in caught.value.problems)


def test_aliases_within_the_limits_still_load() -> None:
    loaded = load_yaml("base: &b {model: x, n: 1}\nuse: {<<: *b, m: 2}\nagain: *b\n")
    assert loaded.problems == []
    assert loaded.data["use"] == {"model": "x", "n": 1, "m": 2} and loaded.data["again"]["n"] == 1


def test_a_spec_over_the_size_limit_points_at_cases_files(tmp_path: Path) -> None:
    from harness import limits

    path = tmp_path / "big.yaml"
    path.write_text("prompt: hi\ncases:\n" + "  - {id: c, vars: {}}\n" * 1000)
    limits.configure(limits.Limits(spec_max_bytes=5_000))
    try:
        with pytest.raises(SpecError, match="cases_file"):
            load_spec(path)
    finally:
        limits.configure(limits.Limits())
