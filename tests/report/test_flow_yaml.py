"""The report's one-line YAML of an expectation is exactly what PyYAML writes."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.report.flow_yaml import flow_yaml


def _pyyaml(item: dict[str, Any]) -> str:
    text = yaml.safe_dump(
        item, default_flow_style=True, sort_keys=False, allow_unicode=True, width=1_000_000
    )
    return text.strip()


_TEXT = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="abcXYZ_09 ./-:#,'\"[]{}&*!|>%@`", max_size=30),
    st.sampled_from(["yes", "No", "null", "~", "true", "False", "on", "OFF", "item 7", "a b"]),
)
_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    _TEXT,
)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=3)),
    max_leaves=8,
)


@pytest.mark.parametrize(
    "item",
    [
        pytest.param({"type": "contains", "value": "item 7"}, id="plain-text"),
        pytest.param({"type": "equals", "field": "total", "value": 1e17}, id="float-exponent"),
        pytest.param({"type": "not-contains", "value": "x", "normalize": ["lower"]}, id="list"),
        pytest.param({"type": "contains", "value": "yes"}, id="bool-word-quoted"),
        pytest.param({"type": "contains", "value": "a: b"}, id="colon-quoted"),
        pytest.param({"type": "contains", "value": "naïve"}, id="unicode"),
        pytest.param({"type": "is-json", "value": {"a": [1, None, True]}}, id="nested"),
        pytest.param({"type": "contains", "value": "x" * 500}, id="long"),
    ],
)
def test_examples_read_as_pyyaml_writes_them(item: dict[str, Any]) -> None:
    assert flow_yaml(item) == _pyyaml(item)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_TEXT, _VALUE, min_size=1, max_size=5))
def test_any_expectation_reads_as_pyyaml_writes_it(item: dict[str, Any]) -> None:
    assert flow_yaml(item) == _pyyaml(item)
