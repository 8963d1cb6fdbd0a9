"""The built-in transform types, each declared once (see :func:`transform_type`)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from harness.expect.extract import extract_json
from harness.spec.filters import FILTERS
from harness.spec.imports import ImportRefError, import_ref
from harness.transforms.registry import JINJA, TextFn, TransformError, transform_type

_THINK = re.compile(r"<think(?:ing)?>.*?(?:</think(?:ing)?>|\Z)", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+#.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_ENV = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
_ENV.filters.update(FILTERS)


@transform_type(
    "strip-think",
    "drop `<think>...</think>` reasoning blocks (an unclosed one runs to the end)",
    example="strip-think",
)
def _strip_think(arg: str | None, base_dir: Path) -> TextFn:
    return lambda text: _THINK.sub("", text).strip()


@transform_type("last-line", "the last non-empty line, stripped", example="last-line")
def _last_line(arg: str | None, base_dir: Path) -> TextFn:
    def last_line(text: str) -> str:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines[-1] if lines else ""

    return last_line


@transform_type(
    "extract-json",
    "the JSON value in the answer (fences and chatter dropped, near-JSON repaired), as JSON",
    example="extract-json",
)
def _extract_json(arg: str | None, base_dir: Path) -> TextFn:
    def extract(text: str) -> str:
        got = extract_json(text)
        if got.error is not None:
            raise TransformError(got.error)
        return json.dumps(got.value, ensure_ascii=False)

    return extract


@transform_type(
    "extract-code",
    "the first fenced code block (of language `LANG` when given), without the fence",
    arg="optional",
    example="extract-code:python",
)
def _extract_code(arg: str | None, base_dir: Path) -> TextFn:
    lang = (arg or "").strip().lower()

    def extract(text: str) -> str:
        for m in _FENCE.finditer(text):
            if not lang or m.group(1).lower() == lang:
                return m.group(2).rstrip("\n")
        where = f" of language {lang!r}" if lang else ""
        raise TransformError(f"no fenced code block{where} in the answer")

    return extract


@transform_type(
    "regex",
    "the first match of `PATTERN`: its first group when it has one, else the whole match",
    arg="required",
    example=r"regex:Answer:\s*(\w+)",
)
def _regex(arg: str | None, base_dir: Path) -> TextFn:
    try:
        pattern = re.compile(arg or "", re.DOTALL)
    except re.error as exc:
        raise TransformError(f"invalid regular expression {arg!r}: {exc}") from None

    def search(text: str) -> str:
        m = pattern.search(text)
        if m is None:
            raise TransformError(f"no match for {pattern.pattern!r}")
        return (m.group(1) if pattern.groups else m.group(0)) or ""

    return search


@transform_type(
    "python",
    "your function `str -> str` (`module:function`, or `file.py:function` beside the spec)",
    arg="required",
    example="python:transforms.py:final_answer",
)
def _python(arg: str | None, base_dir: Path) -> TextFn:
    try:
        fn = import_ref(arg or "", base_dir=base_dir)
    except ImportRefError as exc:
        raise TransformError(str(exc)) from None
    if not callable(fn):
        raise TransformError(f"{arg!r} is not callable")

    def call(text: str) -> str:
        return _as_text(fn(text))

    return call


@transform_type(
    JINJA,
    "a Jinja expression over the answer `output` (filters below)",
    arg="required",
    example="{{ output | regex_search('Answer: (\\w+)') }}",
)
def _jinja(arg: str | None, base_dir: Path) -> TextFn:
    source = arg or ""
    try:
        template = _ENV.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        if "invalid escape sequence" not in str(exc.message):
            raise TransformError(f"template syntax error: {exc.message}") from None
        # regex_search('Answer: (\w+)'): a regex backslash is meant literally, as in YAML
        try:
            template = _ENV.from_string(source.replace("\\", "\\\\"))
        except jinja2.TemplateSyntaxError as again:
            raise TransformError(f"template syntax error: {again.message}") from None
    return lambda text: template.render(output=text)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        raise TransformError("returned None")
    return json.dumps(value, ensure_ascii=False)
