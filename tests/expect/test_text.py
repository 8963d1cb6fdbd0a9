"""Text assertions: passing, failing and edge inputs, with the reasons people read."""

from __future__ import annotations

from typing import Any

import pytest

from harness.expect.text import normalize
from harness.spec.types import Assertion
from tests.expect.helpers import assert_verdict, check

A = Assertion


@pytest.mark.parametrize(
    ("assertion", "text", "passed", "reason"),
    [
        pytest.param(A("equals", "Paris"), "Paris", True, "equals 'Paris'", id="equals-pass"),
        pytest.param(
            A("equals", "Paris"),
            "paris",
            False,
            "first difference at position 0 ('Paris' vs 'paris')",
            id="equals-case-differs",
        ),
        pytest.param(
            A("equals", "Paris"),
            "Paris.",
            False,
            "got has 1 more characters from position 5: '.'",
            id="equals-longer",
        ),
        pytest.param(
            A("equals", "Paris"), " Paris\n", False, "position 0", id="equals-no-silent-strip"
        ),
        pytest.param(
            A("equals", "Paris", normalize=("strip", "lower")),
            "  PARIS \n",
            True,
            "equals",
            id="equals-normalized",
        ),
        pytest.param(A("equals", 42), "42", True, "equals 42", id="equals-number-value-on-text"),
        pytest.param(A("contains", "Paris"), "It is Paris.", True, "at position 6", id="contains"),
        pytest.param(
            A("contains", "paris"),
            "It is Paris.",
            False,
            "expected to contain 'paris'",
            id="contains-case",
        ),
        pytest.param(A("contains", 4), "2+2=4", True, "'4'", id="contains-number"),
        pytest.param(
            A("icontains", "PARIS"), "It is Paris.", True, "ignoring case", id="icontains"
        ),
        pytest.param(A("icontains", "Lyon"), "It is Paris.", False, "'Lyon'", id="icontains-fail"),
        pytest.param(
            A("contains-any", ["Lyon", "Paris"]), "It is Paris.", True, "'Paris'", id="any-pass"
        ),
        pytest.param(
            A("contains-any", ["Lyon", "Nice"]), "It is Paris.", False, "none found", id="any-fail"
        ),
        pytest.param(
            A("contains-any", ["PARIS"], options={"ignore_case": True}),
            "It is Paris.",
            True,
            "'PARIS'",
            id="any-ignore-case",
        ),
        pytest.param(
            A("contains-all", ["It", "Paris"]), "It is Paris.", True, "all 2", id="all-pass"
        ),
        pytest.param(A("starts-with", "It"), "It is Paris.", True, "starts with", id="starts"),
        pytest.param(
            A("starts-with", "Paris"),
            "It is Paris.",
            False,
            "expected to start with",
            id="starts-fail",
        ),
        pytest.param(A("ends-with", "Paris."), "It is Paris.", True, "ends with", id="ends"),
        pytest.param(
            A("ends-with", "Lyon"), "It is Paris.", False, "expected to end with", id="ends-fail"
        ),
        pytest.param(
            A("regex", r"\d{3}-\d{4}"), "call 555-1234 now", True, "'555-1234'", id="regex"
        ),
        pytest.param(A("regex", r"^\d+$"), "call 555", False, "expected a match", id="regex-fail"),
        pytest.param(
            A("regex", r"\d+", options={"fullmatch": True}),
            "12a",
            False,
            "(whole text)",
            id="regex-fullmatch-fail",
        ),
        pytest.param(
            A("regex", "paris", options={"ignore_case": True}),
            "PARIS",
            True,
            "matches",
            id="regex-icase",
        ),
        pytest.param(A("one-of", ["yes", "no"]), "no", True, "one of the 2", id="one-of"),
        pytest.param(
            A("one-of", ["yes", "no"]), "maybe", False, "expected one of", id="one-of-fail"
        ),
        pytest.param(
            A("one-of", ["yes", "no"], normalize=("strip", "lower", "remove-punctuation")),
            " No. ",
            True,
            "one of",
            id="one-of-normalized",
        ),
        pytest.param(
            A("length", options={"max": 5}),
            "123456",
            False,
            "length 6 chars, expected at most 5",
            id="length-max",
        ),
        pytest.param(
            A("length", options={"min": 2, "unit": "words"}),
            "one",
            False,
            "length 1 words, expected at least 2 words",
            id="length-words-min",
        ),
        pytest.param(
            A("length", options={"min": 1, "max": 3, "unit": "words"}),
            "one two three",
            True,
            "within [1, 3]",
            id="length-words-ok",
        ),
        pytest.param(
            A("similar", "colour"), "color", True, "similarity 0.83 >= 0.80", id="similar"
        ),
        pytest.param(A("similar", "Paris"), "London", False, "< 0.80", id="similar-fail"),
        pytest.param(
            A("similar", "colour", threshold=0.9), "color", False, "< 0.90", id="similar-threshold"
        ),
        pytest.param(A("equals", "x"), "", False, "got ''", id="empty-output"),
    ],
)
def test_text_assertions(assertion: Assertion, text: str, passed: bool, reason: str) -> None:
    assert_verdict(check(assertion, text), passed, reason)


def test_contains_all_scores_the_share_found() -> None:
    v = check(A("contains-all", ["a", "b", "c", "d"]), "a b")
    assert_verdict(v, False, "missing 2 of 4", "'c'", "'d'")
    assert v.score == 0.5


def test_contains_all_threshold_turns_a_share_into_a_pass() -> None:
    v = check(A("contains-all", ["a", "b", "c", "d"], threshold=0.5), "a b c")
    assert v.passed and v.score == 0.75
    assert "0.75 >= 0.50" in v.reason


def test_similar_score_is_the_similarity() -> None:
    v = check(A("similar", "abcd"), "abcx")
    assert v.score == pytest.approx(0.75)
    assert not v.passed


def test_long_outputs_are_trimmed_in_reasons() -> None:
    v = check(A("contains", "needle"), "hay " * 500)
    assert not v.passed
    assert len(v.reason) < 200
    assert "…" in v.reason


@pytest.mark.parametrize(
    ("value", "parsed", "passed", "reason"),
    [
        pytest.param(42, {"n": 42}, True, "equals 42", id="int"),
        pytest.param(42, {"n": 42.0}, True, "equals 42", id="int-float"),
        pytest.param(42, {"n": "42"}, False, "types differ: number vs string", id="str-not-int"),
        pytest.param(True, {"n": 1}, False, "types differ: boolean vs number", id="bool-not-int"),
        pytest.param({"a": [1, 2]}, {"n": {"a": [1, 2]}}, True, "equals", id="object"),
        pytest.param(None, {"n": None}, True, "equals null", id="null"),
    ],
)
def test_equals_on_a_field_compares_typed_values(
    value: Any, parsed: Any, passed: bool, reason: str
) -> None:
    assert_verdict(check(A("equals", value, field="n"), parsed=parsed), passed, reason)


def test_equals_on_a_field_with_normalize_compares_text() -> None:
    v = check(A("equals", 42, field="n", normalize=("strip",)), parsed={"n": " 42 "})
    assert v.passed, v.reason


def test_contains_on_a_non_text_field_reads_it_as_json() -> None:
    v = check(A("contains", '"x": 1', field="obj"), parsed={"obj": {"x": 1}})
    assert v.passed, v.reason


def test_length_of_an_array_field_counts_items() -> None:
    v = check(A("length", field="items", options={"max": 2}), parsed={"items": [1, 2, 3]})
    assert_verdict(v, False, "length 3 items, expected at most 2")


@pytest.mark.parametrize(
    ("steps", "text", "expected"),
    [
        pytest.param(("strip",), "  a b  ", "a b", id="strip"),
        pytest.param(("lower",), "ÄbC", "äbc", id="lower"),
        pytest.param(("collapse-whitespace",), " a \n\t b ", "a b", id="collapse"),
        pytest.param(
            ("remove-punctuation",), "«Hi», she said… “ok”!", "Hi she said ok", id="punct"
        ),
    ],
)
def test_normalize_steps(steps: tuple[str, ...], text: str, expected: str) -> None:
    assert normalize(text, steps) == expected
