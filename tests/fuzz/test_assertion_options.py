"""Every registered assertion type's validation survives any options: problems, never a crash."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.expect.registry import TYPES, check_assertion

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = sorted(TYPES)
KEYS = sorted(
    {k for name in NAMES for k in TYPES[name].keys}
    | {"value", "field", "threshold", "weight", "metric", "normalize", "assert", "$ref", "zz"}
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-5, 10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["(?<y>x)", "(", "sets.yaml#a", "sets.yaml#loop", "openai:m", "postgres"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
assertion = st.builds(
    lambda name, negate, options: {"type": f"not-{name}" if negate else name, **options},
    st.sampled_from(NAMES),
    st.booleans(),
    st.dictionaries(st.sampled_from(KEYS), values, max_size=4),
)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    """A spec folder holding a shared sets file, with a $ref cycle in it."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "sets.yaml").write_text(
            "a:\n  - type: contains\n    value: x\n"
            "loop:\n  - type: assert-set\n    $ref: sets.yaml#loop\n",
            encoding="utf-8",
        )
        yield Path(tmp)


@FUZZ
@given(
    data=assertion
    | st.builds(lambda m: {"type": "assert-set", "assert": m}, st.lists(assertion, max_size=3))
)
def test_validation_reports_problems_and_never_raises(folder: Path, data: dict[str, Any]) -> None:
    problems = check_assertion(data, base_dir=folder)
    assert isinstance(problems, list)
    for key, message in problems:
        assert key is None or isinstance(key, str)
        assert isinstance(message, str) and message and "\n" not in message
