"""``-k`` expressions."""

from __future__ import annotations

import pytest

from harness.errors import ConfigError
from harness.runner.select import compile_filter

KEY = "extract::john::openai:gpt-4o-mini"


@pytest.mark.parametrize(
    ("expression", "tags", "selected"),
    [
        pytest.param("john", (), True, id="substring-of-case"),
        pytest.param("OPENAI:", (), True, id="case-insensitive"),
        pytest.param("gemini", (), False, id="no-match"),
        pytest.param("smoke", ("smoke",), True, id="tag"),
        pytest.param("extract and not gemini", (), True, id="and-not"),
        pytest.param("gemini or jane", (), False, id="or-neither"),
        pytest.param("(gemini or john) and smoke", ("smoke",), True, id="parentheses"),
        pytest.param("not (john or smoke)", (), False, id="not-group"),
    ],
)
def test_filter_expressions(expression: str, tags: tuple[str, ...], selected: bool) -> None:
    assert compile_filter(expression)(KEY, tags) is selected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        pytest.param("", "needs an expression", id="empty"),
        pytest.param("(john", "missing '\\)'|ends too early", id="unclosed"),
        pytest.param("john and", "ends too early", id="dangling-and"),
        pytest.param("john jane", "unexpected 'jane'", id="two-words"),
        pytest.param("or john", "unexpected 'or'", id="leading-or"),
    ],
)
def test_malformed_filters_are_config_errors(expression: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        compile_filter(expression)
