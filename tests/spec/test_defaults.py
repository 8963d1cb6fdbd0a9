"""``defaults:`` in harness.yaml: inherited by every spec, the spec's own keys win, and
validate says where each value came from."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.config import load_config
from harness.errors import SpecError
from harness.spec.load import load_spec

CONFIG = """\
defaults:
  models: [echo]
  params: {temperature: 0, max_tokens: 64}
  transform: strip-think
  tags: [nightly]
  expect:
    - {type: max-latency-ms, value: 5000}
    - {type: not-contains, value: "As an AI"}
"""


def project(tmp_path: Path, spec: str, config: str = CONFIG) -> Path:
    (tmp_path / "harness.yaml").write_text(config)
    (tmp_path / "s.yaml").write_text(spec)
    return tmp_path / "s.yaml"


def test_a_spec_inherits_the_defaults(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    path = project(tmp_path, "prompt: hi\ncases: [{id: a, expect: [{type: equals, value: hi}]}]\n")
    spec = load_spec(path, load_config(tmp_path / "harness.yaml"))
    assert spec.params == {"temperature": 0, "max_tokens": 64}
    assert spec.tags == ("nightly",)
    case = spec.cases[0]
    assert [a.label for a in case.expect] == ["max-latency-ms", "not-contains", "equals"]
    assert case.transform == ("strip-think",)
    assert spec.origins["params.temperature"] == "harness.yaml:3:25"
    assert spec.origins["models"] == "harness.yaml:2:11"


def test_the_specs_own_keys_win(tmp_path: Path) -> None:
    path = project(
        tmp_path,
        "prompt: hi\nmodels: ['echo:own']\nparams: {max_tokens: 5}\ntransform: last-line\n"
        "tags: [mine]\nexpect: [{type: not-contains, value: Sorry}, {type: contains, value: h}]\n"
        "cases: [{id: a}]\n",
    )
    spec = load_spec(path, load_config(tmp_path / "harness.yaml"))
    assert spec.params == {"temperature": 0, "max_tokens": 5}
    assert spec.models == ("echo:own",)
    assert spec.tags == ("nightly", "mine")
    case = spec.cases[0]
    assert case.transform == ("last-line",)
    # the spec's not-contains replaces the default not-contains; contains is another type
    assert [(a.label, a.value) for a in case.expect] == [
        ("max-latency-ms", 5000),
        ("not-contains", "Sorry"),
        ("contains", "h"),
    ]
    assert spec.origins["params.max_tokens"] == "spec"
    assert spec.origins["transform"] == "spec"


def test_validate_explain_prints_origins(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    project(tmp_path, "prompt: hi\nparams: {max_tokens: 9}\ncases: [{id: a}]\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate", "--explain", "s.yaml"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "s.yaml: params.temperature: from harness.yaml:3:25" in lines
    assert "s.yaml: params.max_tokens: from spec" in lines
    assert "s.yaml: expect.0 (max-latency-ms): from harness.yaml:7:7" in lines
    assert "s.yaml: transform: from harness.yaml:4:14" in lines


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        pytest.param(
            "defaults:\n  expect: [{type: containz, value: x}]\n",
            "harness.yaml:2:19: defaults.expect.0.type: unknown assertion type 'containz'",
            id="unknown-type",
        ),
        pytest.param(
            "defaults:\n  transform: strip-thnk\n",
            "harness.yaml:2:14: defaults.transform: unknown transform 'strip-thnk'",
            id="unknown-transform",
        ),
        pytest.param(
            "defaults:\n  params: {temprature: 0}\n",
            "harness.yaml:2:12: defaults.params.temprature: unknown key 'temprature'",
            id="unknown-param",
        ),
    ],
)
def test_bad_defaults_point_into_harness_yaml(
    tmp_path: Path, monkeypatch, config: str, expected: str
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "harness.yaml").write_text(config)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as info:
        load_config(tmp_path / "harness.yaml")
    assert any(str(p).startswith(expected) for p in info.value.problems), info.value.problems
