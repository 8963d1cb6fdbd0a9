"""Format types: SQL, XML, HTML and YAML, whole or inside chatter."""

from __future__ import annotations

import pytest

from harness.expect.registry import check_assertion
from harness.spec.types import Assertion
from tests.expect.helpers import assert_verdict, check

A = Assertion
USERS = {"tables": ["users", "orders"]}


@pytest.mark.parametrize(
    ("assertion", "text", "passed", "reason"),
    [
        pytest.param(
            A("is-sql"), "SELECT id FROM users WHERE age > 3", True, "valid SQL", id="sql"
        ),
        pytest.param(
            A("is-sql"),
            "SELECT * FROM users WHERE",
            False,
            "does not parse as SQL at line 1, column 25",
            id="sql-cut-off",
        ),
        pytest.param(A("is-sql"), "hello world", False, "is not a SQL statement", id="words"),
        pytest.param(A("is-sql"), "Sure! SELECT 1", False, "does not parse as SQL", id="chatter"),
        pytest.param(
            A("is-sql", options=USERS),
            "SELECT * FROM users JOIN payments ON users.id = payments.user_id",
            False,
            "uses table(s) payments outside the allowed users, orders",
            id="tables",
        ),
        pytest.param(
            A("is-sql", options=USERS),
            "WITH recent AS (SELECT * FROM orders) SELECT * FROM recent",
            True,
            "valid SQL",
            id="cte-is-not-a-table",
        ),
        pytest.param(
            A("is-sql", options={"dialect": "postgres"}),
            "SELECT data->>'name' FROM users",
            True,
            "valid SQL",
            id="dialect",
        ),
        pytest.param(
            A("contains-sql"),
            "Here you go:\n```sql\nSELECT name FROM users;\n```\nEnjoy.",
            True,
            "holds valid SQL: 'SELECT name FROM users;'",
            id="contains-sql",
        ),
        pytest.param(
            A("contains-sql"), "I cannot write that query.", False, "no valid SQL found", id="none"
        ),
        pytest.param(
            A("is-xml", options={"elements": ["analysis.summary"]}),
            "<analysis><summary>ok</summary></analysis>",
            True,
            "well-formed XML",
            id="xml",
        ),
        pytest.param(
            A("is-xml"), "<a><b></a>", False, "is not well-formed XML (mismatched tag", id="bad-xml"
        ),
        pytest.param(
            A("is-xml", options={"elements": ["analysis.verdict"]}),
            "<analysis><summary>ok</summary></analysis>",
            False,
            "has no element 'analysis.verdict' (root is <analysis>)",
            id="missing-element",
        ),
        pytest.param(
            A("contains-xml"),
            "Result: <r><v>1</v></r> as asked.",
            True,
            "holds XML: '<r><v>1</v></r>'",
            id="contains-xml",
        ),
        pytest.param(
            A("is-xml"),
            '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
            '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
            '<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">'
            "]><x>&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;</x>",
            False,
            "is not well-formed XML",
            id="billion-laughs-refused",
        ),
        pytest.param(
            A("is-html"), "<div><p>Hi<br>there</div>", True, "HTML with 3 element(s)", id="html"
        ),
        pytest.param(
            A("is-html"), "Here: <b>bold</b>", False, "does not start and end with a tag", id="chat"
        ),
        pytest.param(A("is-html"), "<foo>x</foo>", False, "holds no HTML element", id="not-html"),
        pytest.param(
            A("is-html"), "<div>x</span></div>", False, "closes </span> it never opened", id="stray"
        ),
        pytest.param(
            A("contains-html"),
            "Use <b>bold</b> here.",
            True,
            "holds 1 HTML element(s): b",
            id="contains-html",
        ),
        pytest.param(
            A("is-yaml"), "a: 1\nb: [x, y]\n", True, "YAML dict with 2 item(s)", id="yaml"
        ),
        pytest.param(
            A("is-yaml"),
            "a: 1\n b: 2\n  - c",
            False,
            "the output is not YAML at line",
            id="bad-yaml",
        ),
        pytest.param(
            A("is-yaml"), "just words", False, "holding str, not a mapping or list", id="scalar"
        ),
    ],
)
def test_format_verdicts(assertion: Assertion, text: str, passed: bool, reason: str) -> None:
    assert_verdict(check(assertion, text), passed, reason)


def test_an_unknown_sql_dialect_is_a_spec_problem() -> None:
    ((key, message),) = check_assertion({"type": "is-sql", "dialect": "postgress"})
    assert key == "dialect" and "unknown SQL dialect 'postgress'" in message


def test_yaml_nested_too_deep_fails_cleanly() -> None:
    v = check(A("is-yaml"), "[" * 5000 + "]" * 5000)
    assert not v.passed and v.error is None


def test_sql_nested_too_deep_fails_cleanly() -> None:
    v = check(A("is-sql"), "SELECT " + "(" * 3000 + "1" + ")" * 3000)
    assert not v.passed and v.error is None and "nested too deep" in v.reason
