"""The loader's steps one by one: validate collects every problem into file models,
build turns valid models into runtime objects and checks nothing."""

from __future__ import annotations

import ast
from pathlib import Path

import harness.spec.build
from harness.spec.build import build_spec
from harness.spec.case_stream import check_cases
from harness.spec.load import load_spec
from harness.spec.valid_cases import Collector
from harness.spec.validate import ValidSpec, validate_spec
from harness.spec.yaml_loader import load_yaml

SPEC = """\
name: steps
models: [echo]
prompt: 'Q: {{ q }}'
expect: [{type: contains, value: a}]
cases:
  - {id: one, vars: {q: x}, expect: [{type: not-contains, value: b}]}
cases_file: rows.csv
"""


def _validate(path: Path) -> tuple[ValidSpec | None, Collector]:
    raw = path.read_bytes()
    return validate_spec(path, raw, load_yaml(raw.decode()), str(path), None)


def _shown(c: Collector) -> list[str]:
    return [f"{p.line}:{p.col}: {p.message}" for p in c.problems]


def test_a_valid_spec_validates_without_problems_and_builds_as_load_spec_does(
    tmp_path: Path,
) -> None:
    (tmp_path / "rows.csv").write_text("id,q,expected\ntwo,y,contains:y\n")
    path = tmp_path / "s.yaml"
    path.write_text(SPEC)
    valid, collected = _validate(path)
    assert _shown(collected) == []
    assert valid is not None
    assert [(c.id, c.where) for c in valid.cases] == [("one", "cases.0")]  # files: streamed
    assert [p.name for p, _ in valid.files] == ["rows.csv"]
    cases = check_cases(valid, collected)
    assert _shown(collected) == []
    built = build_spec(valid, cases, name=path.stem)
    assert built == load_spec(path)
    one, two = built.cases
    assert [a.label for a in one.expect] == ["contains", "not-contains"]  # spec-level first
    assert [a.label for a in two.expect] == ["contains", "contains"]


def test_validate_collects_problems_of_the_spec_and_of_its_cases_file_at_once(
    tmp_path: Path,
) -> None:
    (tmp_path / "rows.csv").write_text("id,q,expected\ntwo,y,containz:y\n")
    path = tmp_path / "s.yaml"
    path.write_text(SPEC.replace("not-contains", "not-containz").replace("[echo]", "[nope]"))
    valid, collected = _validate(path)
    assert valid is not None
    check_cases(valid, collected)
    problems = _shown(collected)
    assert any(p.startswith("2:10: model id 'nope'") for p in problems), problems
    assert any("'not-containz'" in p and p.startswith("6:") for p in problems), problems
    # a cases-file row's expected cell as written ('containz:y') is an equals on that text
    assert len(problems) == 2


def test_build_imports_no_checks() -> None:
    # build constructs from validated models: it never reaches for a check or a problem
    tree = ast.parse(Path(harness.spec.build.__file__).read_text(encoding="utf-8"))
    names = {
        a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for a in node.names
    }
    assert not {n for n in names if "check" in n or "problem" in n.lower()}, names
    assert "SpecProblem" not in names
