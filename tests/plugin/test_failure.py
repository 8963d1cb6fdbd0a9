"""Failure output: model, prompt, output, reasons and diffs; no harness internals."""

from __future__ import annotations

import pytest

from harness.runner.items import Item
from harness.spec.types import Assertion, Case, PromptTemplate, Spec
from harness.store.records import ERROR, FAILED, ResultRecord
from harness.testing.failure import expectation_diff, format_failure, trim

pytest_plugins = ["pytester"]


def test_failing_item_shows_model_prompt_output_and_reason(project: pytest.Pytester) -> None:
    result = project.runpytest("-k", "jane")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(
        [
            "greet › jane on fake:echo-1: failed (score 0.00)",
            "spec: specs/greet.yaml:11",
            "prompt:",
            "    Say hello to Jane",
            "output:",
            "    echo: Say hello to Jane",
            "failed expectations:",
            "  ✗ equals: expected 'hello Jane', got 'echo: Say hello to Jane'*",
        ]
    )
    out = result.stdout.str()
    for internal in ("Traceback", "harness/", "executor", "SpecFailure", "site-packages"):
        assert internal not in out


def test_provider_error_shows_as_the_items_error(project: pytest.Pytester) -> None:
    (project.path / "harness.yaml").write_text(
        "providers:\n  fake:\n    type: openai\n    base_url: http://127.0.0.1:9/v1\n"
        "    max_retries: 0\n    timeout: 2\ndefaults: {record_mode: 'off'}\n"
    )
    result = project.runpytest("-k", "john")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(["greet › john on fake:echo-1: error", "error:", "    Connection*"])
    assert "Traceback" not in result.stdout.str()


def _item(*expect: Assertion) -> Item:
    case = Case(id="c1", vars={}, expect=expect, source="specs/s.yaml", line=7)
    spec = Spec(
        name="s", path="specs/s.yaml", prompt=PromptTemplate((("user", "hi"),)), cases=(case,)
    )
    return Item(spec, case, "fake:m", 2)


def _record(**kwargs: object) -> ResultRecord:
    base: dict[str, object] = dict(
        run_id="r", item_id="i", spec="s", case_id="c1", model="fake:m", attempt=2, status=FAILED
    )
    return ResultRecord(**{**base, **kwargs})  # type: ignore[arg-type]


def test_format_names_attempt_and_error() -> None:
    text = format_failure(
        _item(), _record(status=ERROR, prompt="hi", error_type="RateLimitError", error="429")
    )
    assert text.splitlines() == [
        "s › c1 on fake:m (attempt 2): error",
        "spec: specs/s.yaml:7",
        "prompt:",
        "    hi",
        "error:",
        "    RateLimitError: 429",
    ]


def test_error_kinds_read_as_written() -> None:
    record = _record(status=ERROR, error_type="ConnectionError_", error="connection refused")
    assert (
        format_failure(_item(), record).splitlines()[-1]
        == "    ConnectionError: connection refused"
    )


def test_multiline_equals_gets_a_diff() -> None:
    a = Assertion(type="equals", value={"name": "John", "age": 42}, field="person")
    record = _record(
        output="{}",
        parsed_output={"person": {"name": "Jon", "age": 42}},
        verdicts=[{"assertion": "equals", "passed": False, "reason": "differs", "field": "person"}],
    )
    text = format_failure(_item(a), record)
    assert "  ✗ equals person: differs" in text
    assert '-  "name": "John"' in text and '+  "name": "Jon"' in text


@pytest.mark.parametrize(
    ("assertion", "record"),
    [
        pytest.param(
            Assertion(type="contains", value="a\nb"), _record(output="x\ny"), id="not-equality"
        ),
        pytest.param(
            Assertion(type="equals", value="a\nb", negate=True),
            _record(output="x\ny"),
            id="negated",
        ),
        pytest.param(Assertion(type="equals", value="ab"), _record(output="xy"), id="one-line"),
        pytest.param(
            Assertion(type="equals", value="a\nb", field="f"), _record(output="{}"), id="no-parsed"
        ),
    ],
)
def test_no_diff_where_it_does_not_help(assertion: Assertion, record: ResultRecord) -> None:
    assert expectation_diff(assertion, record) is None


def test_trim_says_what_was_cut() -> None:
    assert trim("abcdef", 4) == "abcd\n… (2 more characters)"
    assert trim("abc", 4) == "abc"
