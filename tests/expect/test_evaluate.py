"""Case verdicts: negation, weights, thresholds, errors, and the empty case."""

from __future__ import annotations

import pytest

from harness.expect.evaluate import combine
from harness.expect.registry import TYPES
from harness.expect.types import Verdict
from harness.spec.types import Assertion
from tests.expect.helpers import run

A = Assertion


def test_every_registered_type_has_an_evaluator() -> None:
    assert all(callable(TYPES[name].evaluate) for name in TYPES)
    assert {n for n in TYPES if TYPES[n].is_async} >= {"judge", "classify", "python"}


async def test_a_case_without_expectations_passes() -> None:
    case = await run(text="anything")
    assert (case.passed, case.score, case.reason, case.verdicts) == (
        True,
        1.0,
        "no expectations",
        (),
    )


async def test_all_must_pass_without_a_threshold() -> None:
    case = await run(A("contains", "a"), A("contains", "z"), text="abc")
    assert not case.passed and case.score == 0.5
    assert case.reason.startswith("1 of 2 failed: contains; expected to contain 'z'")


async def test_all_passing() -> None:
    case = await run(A("contains", "a"), A("contains", "b"), text="abc")
    assert (case.passed, case.score, case.reason) == (True, 1.0, "all 2 passed")


@pytest.mark.parametrize(
    ("weights", "threshold", "passed", "score"),
    [
        pytest.param((3, 1), 0.7, True, 0.75, id="weighted-reaches"),
        pytest.param((1, 3), 0.7, False, 0.25, id="weighted-short"),
        pytest.param((1, 1), 0.5, True, 0.5, id="equal-at-threshold"),
        pytest.param((1, 0), None, True, 1.0, id="weight-0-does-not-count"),
        pytest.param((0, 0), None, True, 1.0, id="all-weight-0"),
    ],
)
async def test_weights_and_thresholds(
    weights: tuple[float, float], threshold: float | None, passed: bool, score: float
) -> None:
    hit, miss = A("contains", "a", weight=weights[0]), A("contains", "z", weight=weights[1])
    case = await run(hit, miss, text="abc", threshold=threshold)
    assert (case.passed, case.score) == (passed, score), case.reason
    assert [v.weight for v in case.verdicts] == list(weights)


async def test_threshold_reason_names_the_failures() -> None:
    case = await run(A("contains", "a", weight=3), A("contains", "z"), text="abc", threshold=0.5)
    assert case.reason == "score 0.75 >= threshold 0.50; failed: contains"


async def test_an_error_fails_the_case_even_above_the_threshold() -> None:
    case = await run(
        A("contains", "a", weight=10), A("schema-valid"), text="abc", threshold=0.1
    )  # no schema anywhere: an error
    assert not case.passed and case.score == pytest.approx(10 / 11)
    assert "could not be evaluated" in case.reason


@pytest.mark.parametrize(
    ("assertion", "text", "passed", "score", "reason"),
    [
        pytest.param(
            A("contains", "z", negate=True),
            "abc",
            True,
            1.0,
            "not-contains passed because contains failed: expected to contain 'z'",
            id="flip-to-pass",
        ),
        pytest.param(
            A("contains", "a", negate=True),
            "abc",
            False,
            0.0,
            "not-contains failed because contains passed: found 'a' at position 0",
            id="flip-to-fail",
        ),
        pytest.param(
            A("similar", "abcd", negate=True),
            "abcx",
            True,
            0.25,
            "not-similar passed because similar failed",
            id="flip-score",
        ),
        pytest.param(
            A("equals", "x", field="missing", negate=True),
            '{"a": 1}',
            False,
            0.0,
            "not-equals failed, not flipped: field 'missing': no key 'missing' at $; keys there: 'a'",
            id="missing-field-not-flipped",
        ),
        pytest.param(
            A("field-present", field="missing", negate=True),
            '{"a": 1}',
            True,
            1.0,
            "not-field-present passed",
            id="not-field-present",
        ),
    ],
)
async def test_negation(
    assertion: Assertion, text: str, passed: bool, score: float, reason: str
) -> None:
    v = (await run(assertion, text=text)).verdicts[0]
    assert v.passed is passed and v.score == pytest.approx(score), v.reason
    assert v.reason.startswith(reason), v.reason
    assert v.assertion == assertion.label


async def test_verdicts_carry_label_field_and_weight() -> None:
    v = (await run(A("equals", 1, field="/a", weight=2.5), text='{"a": 1}')).verdicts[0]
    assert (v.assertion, v.field, v.weight, v.passed) == ("equals", "/a", 2.5, True)


async def test_unknown_type_is_an_error_verdict() -> None:
    v = (await run(A("containz", "a"), text="abc")).verdicts[0]
    assert not v.passed and v.error is not None and "unknown assertion type" in v.error


async def test_a_bug_in_an_assertion_becomes_an_error_verdict() -> None:
    bad = A("regex", 12)  # the validator rejects this; evaluation must still not crash
    v = (await run(bad, text="abc")).verdicts[0]
    assert v.error is not None and "internal error in regex" in v.error


def test_combine_keeps_verdict_order() -> None:
    verdicts = tuple(Verdict(f"t{i}", True, 1.0, "ok") for i in range(3))
    assert combine(verdicts, None).verdicts == verdicts
