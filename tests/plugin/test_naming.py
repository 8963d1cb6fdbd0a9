"""Spec patterns, item names and marker names."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.testing.naming import item_name, marker_name, matches_specs


@pytest.mark.parametrize(
    ("path", "patterns", "expected"),
    [
        pytest.param("specs/a.yaml", ["specs/**/*.yaml"], True, id="top-of-folder"),
        pytest.param("specs/x/y/a.yaml", ["specs/**/*.yaml"], True, id="nested"),
        pytest.param("other/specs/a.yaml", ["specs/**/*.yaml"], False, id="anchored-at-root"),
        pytest.param("specs/a.yml", ["specs/**/*.yaml"], False, id="other-suffix"),
        pytest.param("deep/x/a.eval.yaml", ["*.eval.yaml"], True, id="name-only-pattern"),
        pytest.param("evals/a.yml", ["evals/*.yml"], True, id="single-star"),
        pytest.param("evals/x/a.yml", ["evals/*.yml"], False, id="single-star-not-deeper"),
    ],
)
def test_matches_specs(path: str, patterns: list[str], expected: bool, tmp_path: Path) -> None:
    assert matches_specs(tmp_path / path, tmp_path, patterns) is expected


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [
        pytest.param(1, "john[openai:gpt-4o-mini]", id="first"),
        pytest.param(3, "john[openai:gpt-4o-mini-attempt3]", id="third"),
    ],
)
def test_item_name(attempt: int, expected: str) -> None:
    assert item_name("john", "openai:gpt-4o-mini", attempt) == expected


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        pytest.param("smoke", "smoke", id="plain"),
        pytest.param("Smoke Test", "smoke_test", id="space-and-case"),
        pytest.param("2024-q1", "t_2024_q1", id="leading-digit"),
        pytest.param("--", "tag", id="nothing-left"),
    ],
)
def test_marker_name(tag: str, expected: str) -> None:
    assert marker_name(tag) == expected
