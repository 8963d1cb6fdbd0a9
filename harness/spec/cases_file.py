"""Cases from JSONL or CSV files, with the line each case came from."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from harness.spec.csv_rows import csv_problem, short_row_problem


@dataclass(frozen=True, slots=True)
class RawCase:
    """A case as read from a file, before validation; ``line`` is 1-based."""

    data: dict[str, Any]
    line: int


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
    expectation, or ``<type>:<value>`` such as ``contains:Paris``.
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
        if "vars" not in row:
            known = {k: row.pop(k) for k in ("id", "expect", "tags", "description") if k in row}
            row = {**known, "vars": row}
        cases.append(RawCase(row, number))
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
    started = reader.line_num + 1  # the line the next row starts on
    try:
        for row in reader:
            number, started = started, reader.line_num + 1
            if None in row:
                problems.append(CasesFileProblem(number, 1, "row has more cells than the header"))
                continue
            short = short_row_problem(row, list(header), number)
            if short is not None:
                problems.append(CasesFileProblem(*short))
                continue
            data: dict[str, Any] = {}
            variables = {k: v for k, v in row.items() if k not in ("id", "expected", "tags")}
            data["vars"] = variables
            if row.get("id"):
                data["id"] = row["id"]
            if row.get("tags"):
                data["tags"] = [t.strip() for t in row["tags"].split(",") if t.strip()]
            if row.get("expected"):
                data["expect"] = [_expected_cell(row["expected"])]
            cases.append(RawCase(data, number))
    except csv.Error as exc:
        problems.append(CasesFileProblem(*csv_problem(text, started, exc)))
    if not cases and not problems:
        problems.append(CasesFileProblem(1, 1, "cases file holds no cases"))
    return cases, problems


def _expected_cell(cell: str) -> dict[str, Any]:
    from harness.expect.registry import is_known_type

    head, sep, rest = cell.partition(":")
    if sep and is_known_type(head.strip()):
        return {"type": head.strip(), "value": rest.strip()}
    return {"type": "equals", "value": cell}
