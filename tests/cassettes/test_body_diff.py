"""The first difference between a recorded request body and the one sent now."""

from __future__ import annotations

import json

import pytest

from harness.cassettes.body_diff import body_difference

BASE = {
    "model": "m",
    "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
    "temperature": 0,
}


def _with(**changes: object) -> bytes:
    return json.dumps({**BASE, **changes}).encode()


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        pytest.param(_with(temperature=0.2), "temperature: 0 -> 0.2", id="number"),
        pytest.param(
            _with(messages=[BASE["messages"][0], {"role": "user", "content": "Hello"}]),  # type: ignore[index]
            "messages[1].content: 'Hi' -> 'Hello'",
            id="nested-text",
        ),
        pytest.param(_with(max_tokens=20), "max_tokens: (absent) -> 20", id="added"),
        pytest.param(
            _with(messages=BASE["messages"][:1]),  # type: ignore[index]
            'messages[1]: {"role": "user", "content": "Hi"} -> (absent)',
            id="removed-item",
        ),
    ],
)
def test_the_first_difference_is_named_by_path_and_values(sent: bytes, expected: str) -> None:
    assert body_difference(_with(), sent) == expected


def test_equal_bodies_have_no_difference_whatever_the_key_order() -> None:
    reordered = json.dumps(dict(reversed(list(BASE.items())))).encode()
    assert body_difference(_with(), reordered) is None


def test_long_texts_show_the_part_that_changed() -> None:
    old = "x" * 500 + "the capital of France" + "y" * 500
    new = "x" * 500 + "the capital of Spain" + "y" * 500
    shown = str(body_difference(json.dumps({"p": old}), json.dumps({"p": new})))
    assert "France" in shown and "Spain" in shown
    assert len(shown) < 200


def test_a_body_that_is_not_json_is_compared_as_text() -> None:
    shown = str(body_difference(_with(), b"not json"))
    assert shown.startswith('(the whole body): {"model": "m"')
    assert shown.endswith("-> 'not json'")
