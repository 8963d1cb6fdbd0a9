"""JSON extraction and repair: fences, chatter, near-JSON, and arbitrary text."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from harness.drivers.base import Response
from harness.expect.evaluate import parse_output
from harness.expect.extract import extract_json

SCHEMA = {"type": "object"}

# JSON values; floats finite so that equality round-trips
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
containers = st.lists(json_values, max_size=4) | st.dictionaries(
    st.text(max_size=8), json_values, max_size=4
)
# chatter a model writes around its JSON: prose without brackets or fences
chatter = st.text(
    alphabet=st.characters(blacklist_characters="{}[]`", blacklist_categories=["Cs"]), max_size=60
)


@given(value=json_values, before=chatter, after=chatter, lang=st.sampled_from(["json", "JSON", ""]))
@settings(max_examples=100, deadline=None)
def test_any_value_in_a_fence_is_recovered_exactly(
    value: Any, before: str, after: str, lang: str
) -> None:
    text = f"{before}\n```{lang}\n{json.dumps(value, indent=1)}\n```\n{after}"
    got = extract_json(text)
    assert got.ok and not got.repaired
    assert got.value == value


@given(value=containers, before=chatter, after=chatter, indent=st.sampled_from([None, 2]))
@example(value={"```": []}, before="", after="0", indent=None)  # a fence inside a string
@settings(max_examples=100, deadline=None)
def test_any_object_or_array_in_chatter_is_recovered_exactly(
    value: Any, before: str, after: str, indent: int | None
) -> None:
    got = extract_json(f"{before} {json.dumps(value, indent=indent)} {after}")
    assert got.ok and not got.repaired
    assert got.value == value


@given(value=json_values)
@settings(max_examples=100, deadline=None)
def test_plain_json_is_taken_as_is(value: Any) -> None:
    got = extract_json(json.dumps(value))
    assert got.ok and not got.repaired and got.value == value


@given(text=st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_never_raises_on_arbitrary_text(text: str) -> None:
    got = extract_json(text)
    assert got.ok or got.error
    if got.repaired:
        assert isinstance(got.value, dict | list)


@given(text=st.text(alphabet='{}[]":,0123456789abc `\n', max_size=200))
@settings(max_examples=200, deadline=None)
def test_never_raises_on_bracket_soup(text: str) -> None:
    extract_json(text)


@given(
    value=st.dictionaries(
        st.text(alphabet="abcdefgh", min_size=1, max_size=5),
        st.integers() | st.text(alphabet="xyz ", max_size=5),
        min_size=1,
        max_size=5,
    ),
    cut=st.sampled_from(["trailing-comma", "truncated"]),
)
@settings(max_examples=100, deadline=None)
def test_near_json_objects_are_repaired(value: dict[str, Any], cut: str) -> None:
    text = json.dumps(value)
    broken = text[:-1] + ",}" if cut == "trailing-comma" else text[:-1]
    got = extract_json("Here you go:\n" + broken)
    assert got.ok and got.repaired
    assert got.value == value


@pytest.mark.parametrize(
    ("text", "value", "repaired"),
    [
        pytest.param('{"a": 1}', {"a": 1}, False, id="plain"),
        pytest.param('```json\n{"a": 1}\n```', {"a": 1}, False, id="fence"),
        pytest.param('```{"a": 1}```', {"a": 1}, False, id="inline-fence"),
        pytest.param('```json\n{"a": 1}', {"a": 1}, False, id="unclosed-fence"),
        pytest.param('See [1]. Answer: {"a": [1, 2, 3]} ok', {"a": [1, 2, 3]}, False, id="longest"),
        pytest.param('{oops} then {"a": 1}', {"a": 1}, False, id="skips-bad-braces"),
        pytest.param(
            '```python\nx = {1: 2}\n```\n```json\n{"a": 1}\n```', {"a": 1}, False, id="second-fence"
        ),
        pytest.param("{'a': 1, b: True}", {"a": 1, "b": True}, True, id="python-ish"),
        pytest.param('Result: {"a": 1, "b": [1, 2', {"a": 1, "b": [1, 2]}, True, id="cut-short"),
        pytest.param('```json\n{"a": 1,}\n```', {"a": 1}, True, id="repair-in-fence"),
        pytest.param("42", 42, False, id="scalar"),
        pytest.param("null", None, False, id="null"),
    ],
)
def test_examples(text: str, value: Any, repaired: bool) -> None:
    got = extract_json(text)
    assert got.ok, got.error
    assert (got.value, got.repaired) == (value, repaired)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("   \n", "empty", id="blank"),
        pytest.param("The answer is no.", "no JSON object or array", id="prose"),
        pytest.param('"unterminated', "no JSON object or array", id="bad-string"),
    ],
)
def test_nothing_usable(text: str, error: str) -> None:
    got = extract_json(text)
    assert not got.ok
    assert got.error is not None and error in got.error


def test_parse_output_without_a_schema_leaves_the_text_alone() -> None:
    out = parse_output('{"a": 1}', None)
    assert out.parsed is None and out.parse_error is None and not out.repaired


def test_parse_output_extracts_and_flags_repair() -> None:
    out = parse_output('```json\n{"a": 1,}\n```', SCHEMA)
    assert out.parsed == {"a": 1} and out.repaired and out.parse_error is None


def test_parse_output_records_the_parse_error() -> None:
    out = parse_output("I don't know.", SCHEMA)
    assert out.parsed is None and out.parse_error is not None and not out.repaired


def test_parse_output_prefers_what_the_driver_parsed() -> None:
    response = Response(text='{"a": 1,}', parsed={"a": 2})
    out = parse_output(response.text, SCHEMA, response=response)
    assert out.parsed == {"a": 2} and not out.repaired and out.response is response
