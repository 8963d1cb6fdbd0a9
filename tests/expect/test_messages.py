"""Messages found side by side with promptfoo: pointers, single errors, honest digits."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import SpecError
from harness.expect.common import compare
from harness.expect.registry import check_assertion
from harness.spec.load import load_spec
from harness.spec.types import Assertion
from tests.expect.helpers import check, make_spec, run

A = Assertion


@pytest.mark.parametrize(
    ("name", "pointer"),
    [
        pytest.param("contains-json", "'is-json'", id="contains-json"),
        pytest.param("word-count", "'length' with 'unit: words'", id="word-count"),
        pytest.param("latency", "'max-latency-ms'", id="latency"),
        pytest.param("cost", "'max-cost-usd'", id="cost"),
        pytest.param("javascript", "'python'", id="javascript"),
        pytest.param("icontains-any", "'contains-any' with 'ignore_case: true'", id="icontains"),
        pytest.param("llm-rubric", "'judge'", id="llm-rubric"),
        pytest.param("not-contains-json", "'is-json'", id="negated"),
    ],
)
def test_promptfoo_names_get_a_pointer_not_a_list(name: str, pointer: str) -> None:
    ((key, message),) = check_assertion({"type": name, "value": "x"})
    assert key == "type"
    assert message.startswith(f"unknown assertion type {name!r}: promptfoo's")
    assert pointer in message
    assert "known types" not in message


def test_an_unknown_type_gets_only_that_error(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "prompt: hi\ncases:\n  - expect:\n      - type: levenshtine\n        threshold: 3\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError) as info:
        load_spec(path)
    (problem,) = info.value.problems
    assert "unknown assertion type 'levenshtine'" in problem.message


def test_a_threshold_above_one_is_still_an_error_for_score_types() -> None:
    assert check_assertion({"type": "similar", "value": "x", "threshold": 3}) == [
        ("threshold", "input should be less than or equal to 1")
    ]


@pytest.mark.parametrize(
    ("score", "need", "shown"),
    [
        pytest.param(0.8, 0.6, "0.80 >= 0.60", id="plain"),
        pytest.param(0.6666, 0.67, "0.667 < 0.670", id="rounds-equal"),
        pytest.param(0.67, 0.67, "0.67 >= 0.67", id="equal"),
        pytest.param(0.699999, 0.7, "0.699999 < 0.700000", id="many-digits"),
    ],
)
def test_a_comparison_prints_enough_digits_to_be_true(
    score: float, need: float, shown: str
) -> None:
    assert compare(score, need) == shown


async def test_a_case_threshold_reason_is_true_as_printed() -> None:
    case = await run(
        A("contains", "a", weight=2),
        A("contains", "z"),
        text="abc",
        threshold=0.667,
    )
    assert not case.passed
    assert case.reason.startswith("score 0.6667 < threshold 0.6670")


def test_a_javascript_named_group_gets_the_python_syntax() -> None:
    ((key, message),) = check_assertion({"type": "regex", "value": r"(?<year>\d{4})"})
    assert key == "value"
    assert "Python writes a named group as (?P<name>...)" in message
    assert check_assertion({"type": "regex", "value": r"(?<=a)b(?<!c)"}) == []


def test_schema_valid_says_after_json_repair_with_an_inline_schema() -> None:
    schema = {"type": "object", "required": ["a"]}
    v = check(A("schema-valid", options={"schema": schema}), '{"a": 1,', spec=make_spec())
    assert v.passed and v.reason == "valid against the schema (after JSON repair)"


def test_an_option_key_that_is_not_text_is_an_unknown_option() -> None:
    # found by the spec fuzzer: `{type: close-to, 5: null}` raised KeyError in the checks
    problems = check_assertion({"type": "close-to", "value": 1, 5: None})
    assert [m for _, m in problems] == [
        "unknown option '5' for close-to; close-to takes: relative, tolerance"
    ]
