"""assert-set: members inline or from a shared file, validated like any assertion."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import SpecError
from harness.expect.evaluate import evaluate_case, parse_output
from harness.expect.registry import check_assertion
from harness.spec.load import load_spec
from harness.spec.types import Assertion
from tests.expect.helpers import run

A = Assertion
MEMBERS = [
    {"type": "contains", "value": "Paris"},
    {"type": "not-icontains", "value": "sorry"},
    {"type": "length", "max": 20, "weight": 2},
]


async def test_a_set_passes_when_every_member_passes() -> None:
    case = await run(A("assert-set", options={"assert": MEMBERS}), text="Paris, France")
    (v,) = case.verdicts
    assert v.passed and v.score == 1.0
    assert v.reason == "set of 3: all 3 passed"


async def test_a_set_fails_naming_the_member_that_failed() -> None:
    case = await run(A("assert-set", options={"assert": MEMBERS}), text="Sorry, Paris.")
    (v,) = case.verdicts
    assert not v.passed
    assert v.score == pytest.approx(0.75)  # weights 1, 1, 2: the weight-2 member passed
    assert v.reason.startswith("set of 3: 1 of 3 failed: not-icontains;")


async def test_a_set_threshold_is_its_own() -> None:
    set_ = A("assert-set", threshold=0.7, options={"assert": MEMBERS})
    case = await run(set_, text="Sorry, Paris.")
    assert case.passed, case.reason
    assert case.verdicts[0].reason.startswith("set of 3: score 0.75 >= threshold 0.70")


async def test_negation_and_nesting() -> None:
    inner = {"type": "assert-set", "assert": [{"type": "contains", "value": "x"}]}
    case = await run(A("assert-set", negate=True, options={"assert": [inner]}), text="abc")
    assert case.passed, case.reason


async def test_a_member_error_is_the_sets_error() -> None:
    members = [{"type": "judge", "rubric": "polite"}]
    case = await run(A("assert-set", options={"assert": members}), text="hi")
    (v,) = case.verdicts
    assert v.error is not None and v.error.startswith("assert-set: judge: judge: no judge model")


@pytest.mark.parametrize(
    ("data", "key", "message"),
    [
        pytest.param({"type": "assert-set"}, None, "under 'assert:' or a '$ref:'", id="empty"),
        pytest.param(
            {"type": "assert-set", "assert": []}, "assert", "at least one member", id="no-members"
        ),
        pytest.param(
            {"type": "assert-set", "assert": [{"type": "containz", "value": "x"}]},
            "assert",
            "assert.0.type: unknown assertion type 'containz' (did you mean 'contains'?)",
            id="member-type",
        ),
        pytest.param(
            {"type": "assert-set", "assert": [{"type": "regex", "value": "("}]},
            "assert",
            "assert.0.value: invalid regular expression",
            id="member-option",
        ),
        pytest.param(
            {"type": "assert-set", "assert": [{"value": "x"}]},
            "assert",
            "assert.0: a member is an assertion with a 'type'",
            id="member-shape",
        ),
    ],
)
def test_set_problems(data: dict[str, object], key: str | None, message: str) -> None:
    problems = check_assertion(data)
    assert any(k == key and message in m for k, m in problems), problems


SETS = """\
polite:
  - type: not-icontains
    value: sorry
  - type: not-is-refusal
concise:
  threshold: 0.5
  assert:
    - type: length
      max: 10
    - type: contains
      value: Paris
loop:
  - type: assert-set
    $ref: shared/sets.yaml#loop   # paths are relative to the spec's folder
"""

SPEC = """\
name: capitals
prompt: "Capital of {{ country }}?"
expect:
  - type: assert-set
    $ref: shared/sets.yaml#polite
    metric: tone
cases:
  - vars: {country: France}
    expect:
      - type: assert-set
        $ref: shared/sets.yaml#concise
"""


@pytest.fixture
def spec_dir(tmp_path: Path) -> Path:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "sets.yaml").write_text(SETS, encoding="utf-8")
    return tmp_path


async def test_a_named_set_from_a_shared_file(spec_dir: Path) -> None:
    path = spec_dir / "capitals.yaml"
    path.write_text(SPEC, encoding="utf-8")
    spec = load_spec(path)
    case = spec.cases[0]
    verdict = await evaluate_case(spec, case, parse_output("Paris is the capital.", None))
    polite, concise = verdict.verdicts
    assert polite.passed and polite.metric == "tone"
    assert polite.reason == "set shared/sets.yaml#polite: all 2 passed"
    # the shared set's own threshold: length failed, contains passed
    assert concise.passed and concise.reason.startswith(
        "set shared/sets.yaml#concise: score 0.50 >= threshold 0.50"
    )


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        pytest.param("shared/sets.yaml#rude", "no set 'rude' in", id="name"),
        pytest.param("shared/nope.yaml#polite", "cannot read", id="file"),
        pytest.param("shared/sets.yaml", "must be 'file.yaml#name'", id="shape"),
        pytest.param(
            "shared/sets.yaml#loop",
            "$ref cycle: shared/sets.yaml#loop -> shared/sets.yaml#loop",
            id="cycle",
        ),
    ],
)
def test_a_bad_ref_is_a_spec_problem_at_its_line(spec_dir: Path, ref: str, message: str) -> None:
    path = spec_dir / "capitals.yaml"
    path.write_text(SPEC.replace("shared/sets.yaml#polite", ref), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    (problem,) = info.value.problems
    assert (problem.line, problem.where) == (5, "expect.0.$ref"), problem
    assert message in problem.message


def test_a_ref_in_a_cases_file_is_relative_to_the_spec(spec_dir: Path) -> None:
    (spec_dir / "cases").mkdir()
    (spec_dir / "cases" / "more.jsonl").write_text(
        '{"vars": {"country": "Peru"}, "expect": [{"type": "assert-set", '
        '"$ref": "shared/sets.yaml#polite"}]}\n',
        encoding="utf-8",
    )
    path = spec_dir / "capitals.yaml"
    path.write_text(SPEC + "cases_file: cases/more.jsonl\n", encoding="utf-8")
    spec = load_spec(path)
    assert spec.cases[-1].expect[-1].options["$ref"] == "shared/sets.yaml#polite"
