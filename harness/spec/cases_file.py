"""Cases from JSONL or CSV files, with the line and column of every value they hold.

JSONL rows keep the column of every key and value (so a problem points at the offending
key); CSV rows keep the column where each cell starts.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from harness.spec.csv_rows import csv_problem, short_row_problem
from harness.spec.yaml_loader import PathKey, Pos


@dataclass(frozen=True, slots=True)
class RawCase:
    """A case as read from a file, before validation; ``line`` is 1-based.

    ``values`` and ``keys`` hold the position of each value and mapping key by its path
    in ``data`` (as :class:`~harness.spec.yaml_loader.LoadedYAML` does for YAML).
    """

    data: dict[str, Any]
    line: int
    values: dict[PathKey, Pos] = field(default_factory=dict)
    keys: dict[PathKey, Pos] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CasesFileProblem:
    """A problem in a cases file at a line."""

    line: int
    col: int
    message: str


def read_cases_file(path: Path) -> tuple[list[RawCase], list[CasesFileProblem]]:
    """Read every case of a ``.jsonl`` or ``.csv`` file; never raises on bad content.

    JSONL rows are objects with ``id``, ``vars`` and ``expect`` (a row without ``vars``
    has its other keys taken as vars). CSV columns are vars; the optional ``id``
    column names the case and an ``expected`` column becomes an ``equals``
    expectation, or ``<type>:<value>`` such as ``contains:Paris``. In both, an
    ``expected_<field>`` column or key checks that field of the structured output:
    ``expected_label`` = ``billing`` is ``{type: equals, field: label, value: billing}``.
    """
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):  # read as a stream: one line in memory at a time
        try:
            with path.open("rb") as f:
                return _read_jsonl(_text_lines(f))
        except OSError as exc:
            return [], [CasesFileProblem(1, 1, f"cannot read cases file: {exc.strerror}")]
        except _Unreadable as exc:
            return [], [exc.problem]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [CasesFileProblem(1, 1, f"cannot read cases file: {exc.strerror}")]
    if b"\x00" in raw:
        return [], [CasesFileProblem(1, 1, "cases file is binary, not text")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [CasesFileProblem(1, 1, f"cases file is not UTF-8 ({exc.reason})")]
    if suffix == ".csv":
        return _read_csv(text)
    return [], [
        CasesFileProblem(1, 1, f"unsupported cases file type {suffix!r}: use .jsonl or .csv")
    ]


class _Unreadable(Exception):
    def __init__(self, problem: CasesFileProblem) -> None:
        self.problem = problem


def _text_lines(f: BinaryIO) -> Iterator[str]:
    """The file's lines as text; binary content or bad UTF-8 raise ``_Unreadable``."""
    for number, raw in enumerate(f, start=1):
        if b"\x00" in raw:
            raise _Unreadable(CasesFileProblem(1, 1, "cases file is binary, not text"))
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            reason = f"cases file is not UTF-8 ({exc.reason})"
            raise _Unreadable(CasesFileProblem(number, exc.start + 1, reason)) from None
        yield line.rstrip("\r\n")


def _read_jsonl(lines: Iterable[str]) -> tuple[list[RawCase], list[CasesFileProblem]]:
    cases: list[RawCase] = []
    problems: list[CasesFileProblem] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(CasesFileProblem(number, exc.colno, f"invalid JSON: {exc.msg}"))
            continue
        except RecursionError:
            problems.append(CasesFileProblem(number, 1, "JSON nested too deeply: flatten it"))
            continue
        if not isinstance(row, dict):
            problems.append(CasesFileProblem(number, 1, "each line must be a JSON object"))
            continue
        values, keys = json_positions(line, number)
        shorthand = [expectation_of(k, row.pop(k)) for k in list(row) if is_expected_key(k)]
        if "vars" not in row:
            known = {k: row.pop(k) for k in _ROW_KEYS if k in row}
            row = {**known, "vars": row}
            values, keys = _under_vars(values), _under_vars(keys)
            values.setdefault(("vars",), Pos(number, 1))
        shorthand = [e for e in shorthand if e is not None]
        if shorthand:
            expect = row.get("expect")
            row["expect"] = [*expect, *shorthand] if isinstance(expect, list) else shorthand
        cases.append(RawCase(row, number, values, keys))
    if not cases and not problems:
        problems.append(CasesFileProblem(1, 1, "cases file holds no cases"))
    return cases, problems


def _read_csv(text: str) -> tuple[list[RawCase], list[CasesFileProblem]]:
    # strict: an unterminated quote is an error, not the rest of the file in one cell
    reader = csv.DictReader(io.StringIO(text), strict=True)
    cases: list[RawCase] = []
    problems: list[CasesFileProblem] = []
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        return [], [CasesFileProblem(*csv_problem(text, 1, exc))]
    if not header:
        return [], [CasesFileProblem(1, 1, "CSV file has no header row")]
    lines = text.splitlines(keepends=True)
    header = list(header)
    last = reader.line_num
    try:
        for row in reader:
            number = reader.line_num
            first = last + 1
            while first < number and not lines[first - 1].strip():
                first += 1  # blank lines before the row: the reader skipped them
            last = number
            cells = _cell_starts(lines, first, number)
            if None in row:
                extra = cells[len(header)] if len(cells) > len(header) else Pos(number, 1)
                problems.append(
                    CasesFileProblem(extra.line, extra.col, "row has more cells than the header")
                )
                continue
            short = short_row_problem(row, header, first)
            if short is not None:
                problems.append(CasesFileProblem(*short))
                continue
            data: dict[str, Any] = {}
            variables = {
                k: v for k, v in row.items() if k not in ("id", "tags") and not is_expected_key(k)
            }
            data["vars"] = variables
            if row.get("id"):
                data["id"] = row["id"]
            if row.get("tags"):
                data["tags"] = [t.strip() for t in row["tags"].split(",") if t.strip()]
            expect = [expectation_of(k, v) for k, v in row.items() if is_expected_key(k)]
            if any(expect):
                data["expect"] = [e for e in expect if e is not None]
            cases.append(RawCase(data, first, *_csv_positions(header, cells, first, row)))
    except csv.Error as exc:
        problems.append(CasesFileProblem(*csv_problem(text, last + 1, exc)))
    if not cases and not problems:
        problems.append(CasesFileProblem(1, 1, "cases file holds no cases"))
    return cases, problems


EXPECTED = "expected"
EXPECTED_FIELD = "expected_"


def is_expected_key(key: object) -> bool:
    """``expected`` or ``expected_<field>``: a column or key that is an expectation."""
    return isinstance(key, str) and (
        key == EXPECTED or (key.startswith(EXPECTED_FIELD) and len(key) > len(EXPECTED_FIELD))
    )


def expectation_of(key: str, value: Any) -> dict[str, Any] | None:
    """The assertion an ``expected``/``expected_<field>`` cell stands for (None when empty).

    A text cell may name the assertion as ``<type>:<value>`` (``contains:Paris``); any
    other value (or text) is compared with ``equals``.
    """
    if value is None or value == "":
        return None
    out = _expected_cell(value) if isinstance(value, str) else {"type": "equals", "value": value}
    if key != EXPECTED:
        out["field"] = key.removeprefix(EXPECTED_FIELD)
    return out


def _expected_cell(cell: str) -> dict[str, Any]:
    from harness.expect.registry import is_known_type

    head, sep, rest = cell.partition(":")
    if sep and is_known_type(head.strip()):
        return {"type": head.strip(), "value": rest.strip()}
    return {"type": "equals", "value": cell}


_ROW_KEYS = ("id", "expect", "tags", "description")
_DECODER = json.JSONDecoder()
_scanstring: Any = getattr(json.decoder, "scanstring")  # noqa: B009 (public, not in typeshed)
_SPACE = " \t\r\n"


def json_positions(line: str, number: int) -> tuple[dict[PathKey, Pos], dict[PathKey, Pos]]:
    """The position of every value and key of one valid JSON line, by path.

    Example:
        >>> values, keys = json_positions('{"id": 1, "vars": {"q": "x"}}', 7)
        >>> keys[("vars", "q")], values[("vars", "q")]
        (Pos(line=7, col=20), Pos(line=7, col=25))
    """
    values: dict[PathKey, Pos] = {}
    keys: dict[PathKey, Pos] = {}

    def skip(i: int) -> int:
        while i < len(line) and line[i] in _SPACE:
            i += 1
        return i

    def value(i: int, path: PathKey) -> int:
        i = skip(i)
        values[path] = Pos(number, i + 1)
        opener = line[i]
        if opener in "{[":
            closer = "}" if opener == "{" else "]"
            i = skip(i + 1)
            index = 0
            while line[i] != closer:
                if opener == "{":
                    name, end = _scanstring(line, i + 1)
                    keys[(*path, name)] = Pos(number, i + 1)
                    i = skip(value(skip(end) + 1, (*path, name)))  # skip(end) is at ':'
                else:
                    i = skip(value(i, (*path, index)))
                    index += 1
                if line[i] == ",":
                    i = skip(i + 1)
            return i + 1
        return int(_DECODER.raw_decode(line, i)[1])

    try:
        value(0, ())
    except (IndexError, ValueError, RecursionError):  # positions are a courtesy: keep the row's
        return {(): Pos(number, 1)}, {}
    return values, keys


def _under_vars(table: dict[PathKey, Pos]) -> dict[PathKey, Pos]:
    """Positions of a row without ``vars``: its other keys are the vars."""
    out: dict[PathKey, Pos] = {}
    for path, pos in table.items():
        if path and path[0] not in _ROW_KEYS:
            out[("vars", *path)] = pos
        else:
            out[path] = pos
    return out


def _cell_starts(lines: list[str], first: int, last: int) -> list[Pos]:
    """Where each cell of the CSV record on physical lines ``first..last`` starts."""
    starts: list[Pos] = []
    quoted = False
    pending = True
    for number in range(first, last + 1):
        text = lines[number - 1] if number - 1 < len(lines) else ""
        for col, char in enumerate(text, start=1):
            if pending:
                starts.append(Pos(number, col))
                pending = False
            if char == '"':
                quoted = not quoted  # a doubled quote flips twice
            elif char == "," and not quoted:
                pending = True
    if pending:
        end = lines[last - 1] if 0 < last <= len(lines) else ""
        starts.append(Pos(last, len(end.rstrip("\r\n")) + 1))
    return starts


def _csv_positions(
    header: list[str], cells: list[Pos], line: int, row: dict[str, Any]
) -> tuple[dict[PathKey, Pos], dict[PathKey, Pos]]:
    """A CSV row's positions: each column's value at its cell."""
    values: dict[PathKey, Pos] = {(): Pos(line, 1), ("vars",): Pos(line, 1)}
    index = 0  # the position of an expected cell among the row's non-empty ones
    for name, pos in zip(header, cells, strict=False):
        if is_expected_key(name):
            if not row.get(name):
                continue
            values.setdefault(("expect",), pos)
            for path in (("expect", index), ("expect", index, "type"), ("expect", index, "value")):
                values[path] = pos
            values[("expect", index, "field")] = pos
            index += 1
        elif name in ("id", "tags"):
            values[(name,)] = pos
        else:
            values[("vars", name)] = pos
    return values, dict(values)
