"""Collection: node ids, other YAML left alone, broken specs, markers, -k, the spec pattern."""

from __future__ import annotations

import pytest

from harness.store.sqlite import Store
from tests.fakes.server import FakeServer
from tests.plugin.conftest import GREET, INI, write_config

pytest_plugins = ["pytester"]


def test_node_ids_are_spec_case_and_model(project: pytest.Pytester) -> None:
    result = project.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(
        ["specs/greet.yaml::john[[]fake:echo-1[]]", "specs/greet.yaml::jane[[]fake:echo-1[]]"]
    )
    assert result.ret == 0


def test_models_and_repeat_multiply_items(project: pytest.Pytester) -> None:
    result = project.runpytest("--collect-only", "-q", "--models", "fake:a,fake:b", "--repeat", "2")
    ids = [line for line in result.outlines if "::" in line]
    assert ids == [
        "specs/greet.yaml::john[fake:a]",
        "specs/greet.yaml::john[fake:a-attempt2]",
        "specs/greet.yaml::john[fake:b]",
        "specs/greet.yaml::john[fake:b-attempt2]",
        "specs/greet.yaml::jane[fake:a]",
        "specs/greet.yaml::jane[fake:a-attempt2]",
        "specs/greet.yaml::jane[fake:b]",
        "specs/greet.yaml::jane[fake:b-attempt2]",
    ]


def test_other_yaml_is_left_alone(project: pytest.Pytester) -> None:
    (project.path / "specs" / "data.yaml").write_text("colors: [red, blue]\n")
    (project.path / "other.yaml").write_text("prompt: {user: hi}\ncases: [{id: a}]\n")
    result = project.runpytest("--collect-only", "-q")
    assert "data.yaml" not in result.stdout.str()
    assert "other.yaml" not in result.stdout.str()
    assert result.ret == 0


def test_broken_spec_is_a_collection_error_with_positions(project: pytest.Pytester) -> None:
    (project.path / "specs" / "bad.yaml").write_text(
        "prompt:\n  user: hi {{ name }}\ncases:\n  - id: a\n    expect:\n      - {type: containz, value: x}\n"
    )
    result = project.runpytest("-q")
    out = result.stdout.str()
    result.stdout.fnmatch_lines(["*ERROR collecting specs/bad.yaml*"])
    assert "specs/bad.yaml:6:" in out
    assert "unknown assertion type 'containz' (did you mean 'contains'?)" in out
    assert "specs/bad.yaml:2:" in out and "'name'" in out
    assert "Traceback" not in out
    assert "harness/" not in out
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_duplicate_spec_names_are_a_collection_error(project: pytest.Pytester) -> None:
    (project.path / "specs" / "again.yaml").write_text(GREET)
    result = project.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["*duplicate spec name 'greet'*"])
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_k_filter_selects_items(project: pytest.Pytester) -> None:
    result = project.runpytest("-k", "john")
    result.assert_outcomes(passed=1, deselected=1)


@pytest.mark.parametrize(
    ("marker", "passed", "failed"),
    [
        pytest.param("smoke", 1, 1, id="spec-tag"),
        pytest.param("regression_2", 0, 1, id="case-tag-sanitized"),
        pytest.param("harness and not regression_2", 1, 0, id="harness-marker"),
    ],
)
def test_tags_are_markers_under_strict_markers(
    project: pytest.Pytester, marker: str, passed: int, failed: int
) -> None:
    result = project.runpytest("--strict-markers", "-m", marker)
    result.assert_outcomes(passed=passed, failed=failed, deselected=2 - passed - failed)


def test_spec_pattern_is_configurable(project: pytest.Pytester) -> None:
    (project.path / "evals").mkdir()
    (project.path / "specs" / "greet.yaml").rename(project.path / "evals" / "greet.yml")
    project.makefile(".ini", pytest=INI + "harness_specs = evals/*.yml\n")
    result = project.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["evals/greet.yml::john[[]fake:echo-1[]]"])


def test_skipped_case_is_skipped(project: pytest.Pytester) -> None:
    spec = (project.path / "specs" / "greet.yaml").read_text()
    spec = spec.replace("  - id: jane\n", "  - id: jane\n    skip: not today\n")
    (project.path / "specs" / "greet.yaml").write_text(spec)
    result = project.runpytest("-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*not today*"])


def test_last_failed_reruns_only_the_failed_item(project: pytest.Pytester) -> None:
    project.runpytest().assert_outcomes(passed=1, failed=1)
    result = project.runpytest("--lf", "-v")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "run-last-failure: rerun previous 1 failure",
            "specs/greet.yaml::jane[[]fake:echo-1[]] FAILED*",
        ]
    )
    with Store.open(project.path / "reports" / "harness.db") as store:
        last = store.latest_run_id()
        assert last is not None
        assert [r.case_id for r in store.iter_results(last)] == ["jane"]


def test_a_project_nested_in_another_repository_finds_its_specs(
    pytester: pytest.Pytester, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the outer repository's ini makes pytest's rootdir the outer folder
    pytester.makefile(".ini", pytest=INI)
    inner = pytester.mkdir("evals")
    write_config(inner, fake_server.base_url)
    (inner / "specs").mkdir()
    (inner / "specs" / "greet.yaml").write_text(GREET, encoding="utf-8")
    monkeypatch.chdir(inner)
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=1, failed=1)
    assert (inner / "reports" / "harness.db").is_file()  # the inner project's store
