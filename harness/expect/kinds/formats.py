"""Format types: is-sql, is-xml, is-html, is-yaml, and the contains- forms.

``is-`` asks the whole text (stripped) to be the format; ``contains-`` finds it in a
fenced code block (```` ```sql ````, ```` ```xml ````, ```` ```html ````) or inside
chatter. SQL is parsed with sqlglot (the ``sql`` extra), XML with the standard library's
expat (entity-expansion limits on), HTML with the standard library's tolerant parser,
YAML with PyYAML's safe loader.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

import yaml
from pydantic import field_validator

from harness.expect.common import Context, EvalError, Outcome, as_text, show
from harness.expect.declare import AssertionType, Options
from harness.spec.types import Assertion

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
_MAX_CANDIDATES = 32  # bounds the scan of a long text full of '<'


def _fenced(text: str, langs: tuple[str, ...]) -> list[str]:
    return [m.group(2).strip() for m in _FENCE.finditer(text) if m.group(1).lower() in langs]


# --- SQL


def sqlglot_module() -> Any:
    """sqlglot, or an error that prints the install line."""
    try:
        import sqlglot
    except ImportError:
        raise EvalError(
            "is-sql and contains-sql need sqlglot: pip install 'harness[sql]'"
        ) from None
    return sqlglot


class SqlOptions(Options):
    """The SQL dialect to parse (sqlglot's names), and the tables the query may use."""

    dialect: str | None = None
    tables: list[str] | None = None

    @field_validator("dialect")
    @classmethod
    def _known(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                sqlglot = sqlglot_module()
            except EvalError as exc:
                raise ValueError(str(exc)) from None
            try:
                found = sqlglot.Dialect.get(v)
            except ValueError:
                found = None
            if found is None:
                raise ValueError(
                    f"unknown SQL dialect {v!r}; sqlglot knows e.g. postgres, mysql, "
                    "sqlite, bigquery, duckdb, snowflake"
                )
        return v


def sql_problem(text: str, dialect: str | None, tables: list[str] | None) -> str | None:
    """Why ``text`` is not SQL in ``dialect`` using only ``tables``, or None."""
    sqlglot = sqlglot_module()
    from sqlglot import exp

    if not text.strip():
        return "the text is empty"
    try:
        statements = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    except RecursionError:
        return "is nested too deep to parse as SQL"
    except sqlglot.errors.ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first else ""
        return f"does not parse as SQL{where}: {first.get('description', exc)}"
    kinds = (
        exp.Query,
        exp.DML,
        exp.DDL,
        exp.Create,
        exp.Drop,
        exp.Alter,
        exp.Insert,
        exp.Update,
        exp.Delete,
        exp.Merge,
        exp.Command,
        exp.Transaction,
        exp.Commit,
        exp.Rollback,
        exp.Use,
        exp.Set,
        exp.Describe,
        exp.Pragma,
    )
    not_sql = [s for s in statements if not isinstance(s, kinds)]
    if not statements or not_sql:
        return "is not a SQL statement" + (f": {show(not_sql[0].sql(), 40)}" if not_sql else "")
    if tables is not None:
        allowed = {t.casefold() for t in tables}
        ctes = {c.alias_or_name.casefold() for s in statements for c in s.find_all(exp.CTE)}
        used = {t.name for s in statements for t in s.find_all(exp.Table)}
        bad = sorted(t for t in used if t.casefold() not in allowed | ctes)
        if bad:
            return f"uses table(s) {', '.join(bad)} outside the allowed {', '.join(tables)}"
    return None


def is_sql(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The whole text parses as SQL statements (in ``dialect``; only ``tables`` if given)."""
    text = as_text(subject).strip()
    problem = sql_problem(text, a.options.get("dialect"), a.options.get("tables"))
    if problem is None:
        return Outcome.check(True, f"valid SQL: {show(text, 60)}")
    return Outcome.check(False, f"the output {problem}; got {show(text)}")


def contains_sql(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """A ```` ```sql ```` block (or the whole text) parses as SQL."""
    text = as_text(subject)
    blocks = _fenced(text, ("sql", "postgresql", "mysql", "sqlite")) or [text.strip()]
    problem = None
    for block in blocks:
        problem = sql_problem(block, a.options.get("dialect"), a.options.get("tables"))
        if problem is None:
            return Outcome.check(True, f"holds valid SQL: {show(block, 60)}")
    return Outcome.check(False, f"no valid SQL found: the best candidate {problem}")


# --- XML


class XmlOptions(Options):
    """Elements that must be present, as dotted paths from the root (``analysis.summary``)."""

    elements: list[str] | None = None


def _xml_problem(text: str, elements: list[str] | None) -> str | None:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        return f"is not well-formed XML ({exc})"
    for path in elements or []:
        head, _, rest = path.partition(".")
        if root.tag != head or (rest and root.find(rest.replace(".", "/")) is None):
            return f"has no element {path!r} (root is <{root.tag}>)"
    return None


def is_xml(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The whole text is one well-formed XML document (with the ``elements`` asked for)."""
    text = as_text(subject).strip()
    problem = _xml_problem(text, a.options.get("elements"))
    if problem is None:
        return Outcome.check(True, f"well-formed XML: {show(text, 60)}")
    return Outcome.check(False, f"the output {problem}; got {show(text)}")


_XML_START = re.compile(r"<([A-Za-z_][\w.:-]*)[\s/>]")


def xml_candidates(text: str) -> list[str]:
    """Fenced XML blocks, then each span from ``<name`` to the last ``</name>``."""
    found = _fenced(text, ("xml",))
    for m in list(_XML_START.finditer(text))[:_MAX_CANDIDATES]:
        end = text.rfind(f"</{m.group(1)}>")
        if end > m.start():
            found.append(text[m.start() : end + len(m.group(1)) + 3])
    return found


def contains_xml(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """Some part of the text is well-formed XML (with the ``elements`` asked for)."""
    text = as_text(subject)
    problem = "has no XML element"
    for candidate in xml_candidates(text):
        problem = _xml_problem(candidate, a.options.get("elements")) or ""
        if not problem:
            return Outcome.check(True, f"holds XML: {show(candidate, 60)}")
    return Outcome.check(False, f"no well-formed XML found: the best candidate {problem}")


# --- HTML

HTML_ELEMENTS = frozenset(
    [
        "a",
        "abbr",
        "address",
        "article",
        "aside",
        "audio",
        "b",
        "blockquote",
        "body",
        "br",
        "button",
        "canvas",
        "caption",
        "code",
        "col",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "em",
        "fieldset",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "head",
        "header",
        "hr",
        "html",
        "i",
        "iframe",
        "img",
        "input",
        "label",
        "legend",
        "li",
        "link",
        "main",
        "meta",
        "nav",
        "ol",
        "option",
        "p",
        "pre",
        "section",
        "select",
        "small",
        "source",
        "span",
        "strong",
        "style",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "textarea",
        "tfoot",
        "th",
        "thead",
        "title",
        "tr",
        "u",
        "ul",
        "video",
    ]
)
VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.known: list[str] = []
        self.stray: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HTML_ELEMENTS:
            self.known.append(tag)
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            while self.open and self.open.pop() != tag:
                pass  # an unclosed <p> or <li> inside is fine in HTML
        elif tag not in VOID:
            self.stray.append(tag)


def _html_tags(text: str) -> _Tags:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return parser


def is_html(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The whole text is HTML: it starts and ends with a tag, holds HTML elements, and
    closes no tag it did not open."""
    text = as_text(subject).strip()
    if not (text.startswith("<") and text.endswith(">")):
        return Outcome.check(
            False, f"the output does not start and end with a tag; got {show(text)}"
        )
    tags = _html_tags(text)
    if not tags.known:
        return Outcome.check(False, f"the output holds no HTML element; got {show(text)}")
    if tags.stray:
        return Outcome.check(False, f"the output closes </{tags.stray[0]}> it never opened")
    listed = ", ".join(dict.fromkeys(tags.known[:6]))
    return Outcome.check(True, f"HTML with {len(tags.known)} element(s): {listed}")


def contains_html(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The text holds HTML elements (in a fenced block or inline)."""
    text = as_text(subject)
    tags = _html_tags("\n".join(_fenced(text, ("html",))) or text)
    if tags.known:
        listed = ", ".join(dict.fromkeys(tags.known[:6]))
        return Outcome.check(True, f"holds {len(tags.known)} HTML element(s): {listed}")
    return Outcome.check(False, f"no HTML element found in {show(text)}")


# --- YAML


def is_yaml(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The whole text is YAML holding a mapping or a list (a lone word is not data)."""
    text = as_text(subject)
    try:
        data = yaml.safe_load(text)
    except RecursionError:
        return Outcome.check(False, "the output is YAML nested too deep to read")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return Outcome.check(False, f"the output is not YAML{where}: {problem}")
    if not isinstance(data, dict | list):
        kind = "nothing" if data is None else type(data).__name__
        return Outcome.check(False, f"the output is YAML holding {kind}, not a mapping or list")
    return Outcome.check(True, f"YAML {type(data).__name__} with {len(data)} item(s)")


def _format(name: str, summary: str, fn: Any, options: type[Options] = Options) -> AssertionType:
    return AssertionType(name, summary, fn, options, section="formats")


IS_SQL = _format(
    "is-sql", "the output is SQL (sqlglot; dialect, allowed tables)", is_sql, SqlOptions
)
CONTAINS_SQL = _format(
    "contains-sql", "a ```sql block (or the output) is SQL", contains_sql, SqlOptions
)
IS_XML = _format("is-xml", "the output is well-formed XML (required elements)", is_xml, XmlOptions)
CONTAINS_XML = _format("contains-xml", "the output holds well-formed XML", contains_xml, XmlOptions)
IS_HTML = _format("is-html", "the output is an HTML document or fragment", is_html)
CONTAINS_HTML = _format("contains-html", "the output holds HTML elements", contains_html)
IS_YAML = _format("is-yaml", "the output is YAML holding a mapping or a list", is_yaml)
