"""``harness_assert``: the spec assertion library for Python tests."""

from __future__ import annotations

import pytest

from harness.drivers.base import Response
from harness.errors import ConfigError
from harness.spec.types import Assertion
from harness.testing.asserts import check, to_assertion


def test_passing_assertions_return_the_verdict() -> None:
    verdict = check("Paris is the capital", [{"type": "contains", "value": "Paris"}])
    assert verdict.passed and verdict.score == 1.0


def test_failure_lists_each_failing_reason() -> None:
    with pytest.raises(AssertionError) as info:
        check(
            Response(text='{"name": "Jon"}'),
            [
                {"type": "equals", "field": "name", "value": "John"},
                {"type": "not-contains", "value": "Paris"},
            ],
            schema={"type": "object"},
        )
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("  ✗ equals name: ") and "John" in lines[1]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({"type": "containz", "value": "x"}, "did you mean 'contains'", id="typo"),
        pytest.param({"type": "contains"}, "contains needs 'value'", id="no-value"),
        pytest.param({"value": "x"}, "needs 'type'", id="no-type"),
    ],
)
def test_malformed_assertions_are_config_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        to_assertion(data)


def test_negation_and_options_are_kept() -> None:
    a = to_assertion({"type": "not-regex", "value": "x+", "ignore_case": True, "weight": 2})
    assert a == Assertion(
        type="regex", value="x+", weight=2.0, negate=True, options={"ignore_case": True}
    )


async def test_works_inside_a_running_event_loop() -> None:
    assert check("ok", [{"type": "equals", "value": "ok"}]).passed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({"type": "contains", "value": "x", "weight": -1}, "weight", id="weight"),
        pytest.param(
            {"type": "contains", "value": "x", "normalize": ["lowr"]}, "normalize", id="normalize"
        ),
    ],
)
def test_an_assertion_is_checked_as_a_spec_checks_it(data: dict[str, object], message: str) -> None:
    # the spec's file model checks weight and normalize; the Python API goes the same path
    with pytest.raises(ConfigError, match=message):
        to_assertion(data)
