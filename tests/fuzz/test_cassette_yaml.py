"""The fast cassette loader reads every YAML document exactly as vcrpy's safe loader does."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vcr.serializers.yamlserializer import _CassetteLoader

from harness.cassettes.storage import YAMLSerializer, _FastLoader

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["0123", "0x1f", "1_000", "yes", "~", "1e3", ".inf", "2001-12-14", "<<"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _both(text: str) -> tuple[Any, Any]:
    """(vcrpy's result, ours), each a value or the exception type raised."""
    out = []
    for loader in (_CassetteLoader, _FastLoader):
        try:
            out.append(yaml.load(text, Loader=loader))
        except yaml.YAMLError as exc:
            out.append(type(exc))
    return out[0], out[1]


@FUZZ
@given(data=values)
def test_cassette_dumps_read_back_the_same(data: Any) -> None:
    text = YAMLSerializer.serialize({"interactions": [data], "version": 1})
    theirs, ours = _both(text)
    assert ours == theirs
    assert YAMLSerializer.deserialize(text) == theirs


@FUZZ
@given(text=st.text(alphabet="ab01:-[]{}&*!<>|'\"#\n ,.~", max_size=80))
def test_any_yaml_text_reads_the_same(text: str) -> None:
    theirs, ours = _both(text)
    assert ours == theirs


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a: &x {k: 1}\nb: *x\n", id="alias"),
        pytest.param("base: &b {k: 1}\nder: {<<: *b, j: 2}\n", id="merge-key"),
        pytest.param("a: 0123\nb: 0o17\nc: 1_000\nd: 0x1f\ne: 190:20:30\n", id="ints"),
        pytest.param("a: !!python/tuple [1, 2]\n", id="python-tuple"),
        pytest.param("a: !!binary aGVsbG8=\n", id="binary"),
        pytest.param("a: &r [*r]\n", id="recursive"),
    ],
)
def test_special_yaml_reads_the_same(text: str) -> None:
    theirs, ours = _both(text)
    assert repr(ours) == repr(theirs)


def test_dangerous_tags_are_still_refused() -> None:
    theirs, ours = _both("a: !!python/object/apply:os.system ['true']\n")
    assert ours is theirs and isinstance(ours, type) and issubclass(ours, yaml.YAMLError)
