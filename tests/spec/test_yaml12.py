"""YAML 1.2 booleans: yes/no/on/off are strings in specs, and validate says where the
old (YAML 1.1) reading would have differed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.spec.load import load_spec
from harness.spec.yaml_loader import load_yaml


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("v: no", "no", id="no"),
        pytest.param("v: Yes", "Yes", id="Yes"),
        pytest.param("v: ON", "ON", id="ON"),
        pytest.param("v: off", "off", id="off"),
        pytest.param("v: true", True, id="true-stays-bool"),
        pytest.param("v: False", False, id="False-stays-bool"),
        pytest.param("v: 'no'", "no", id="quoted"),
    ],
)
def test_only_true_and_false_are_booleans(text: str, expected: object) -> None:
    assert load_yaml(text).data == {"v": expected}


def test_each_yaml11_boolean_gets_a_warning_at_its_position() -> None:
    loaded = load_yaml("a: yes\nb: 'no'\nc:\n  - off\nd: true\n")
    assert [(p.line, p.col) for p, _ in loaded.warnings] == [(1, 4), (4, 5)]
    assert "earlier versions of harness read it as true" in loaded.warnings[0][1]
    assert not loaded.problems


def test_equals_no_checks_for_the_word_no(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "prompt: hi\ncases:\n  - id: a\n    expect:\n      - {type: equals, value: no}\n"
    )
    spec = load_spec(path)
    assert spec.cases[0].expect[0].value == "no"
    assert [(w.line, w.col) for w in spec.warnings] == [(5, 31)]


def test_validate_prints_the_warning_and_still_passes(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "prompt: hi\nmodels: [openai:m]\ncases:\n  - {id: a, expect: [{type: equals, value: off}]}\n"
    )
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "s.yaml")])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr and "s.yaml:4:" in result.stderr
    assert "'off' is read as the string 'off'" in result.stderr
