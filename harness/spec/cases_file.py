"""Cases from JSONL or CSV files, with the line and column of every value they hold.

JSONL rows keep the column of every key and value (so a problem points at the offending
key); CSV rows keep the column where each cell starts. Both are read as streams: one row
in memory at a time, each row at most ``limits.cases_max_row_bytes``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from harness import limits
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
    fatal: bool = False
    """The file cannot be read as cases at all (its other problems and rows are moot)."""


def read_cases_file(path: Path) -> tuple[list[RawCase], list[CasesFileProblem]]:
    """Read every case of a ``.jsonl`` or ``.csv`` file; never raises on bad content.

    JSONL rows are objects with ``id``, ``vars`` and ``expect`` (a row without ``vars``
    has its other keys taken as vars). CSV columns are vars; the optional ``id``
    column names the case and an ``expected`` column becomes an ``equals``
    expectation, or ``<type>:<value>`` such as ``contains:Paris``. In both, an
    ``expected_<field>`` column or key checks that field of the structured output:
    ``expected_label`` = ``billing`` is ``{type: equals, field: label, value: billing}``.
    """
    cases: list[RawCase] = []
    problems: list[CasesFileProblem] = []
    for found in iter_cases_file(path):
        if isinstance(found, RawCase):
            cases.append(found)
        elif found.fatal:
            return [], [found]
        else:
            problems.append(found)
    return cases, problems


def iter_cases_file(
    path: Path, *, digest: Any | None = None, positions: bool = True
) -> Iterator[RawCase | CasesFileProblem]:
    """The cases and problems of a cases file, in file order, read as a stream: one row
    in memory at a time, a row longer than ``limits.cases_max_row_bytes`` a problem.

    A ``fatal`` problem (unreadable, binary, not UTF-8) ends the stream: the file is not
    read as cases. ``digest`` (a hashlib object) is fed every byte read. Without
    ``positions`` a JSONL row carries only its line (for a file already validated).
    """
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".ndjson", ".csv"):
        yield CasesFileProblem(
            1, 1, f"unsupported cases file type {suffix!r}: use .jsonl or .csv", fatal=True
        )
        return
    try:
        with path.open("rb") as f:
            lines = _text_lines(f, limits.current().cases_max_row_bytes, digest)
            yield from _read_csv(lines) if suffix == ".csv" else _read_jsonl(lines, positions)
    except OSError as exc:
        yield CasesFileProblem(1, 1, f"cannot read cases file: {exc.strerror}", fatal=True)
    except _Unreadable as exc:
        yield exc.problem


class _Unreadable(Exception):
    def __init__(self, problem: CasesFileProblem) -> None:
        self.problem = problem


@dataclass(frozen=True, slots=True)
class _TooLong:
    """A line over the row limit, skipped: its number and size in bytes."""

    line: int
    size: int

    def problem(self) -> CasesFileProblem:
        limit = limits.current().cases_max_row_bytes
        return CasesFileProblem(
            self.line,
            1,
            f"row is {self.size:,} bytes, over the {limit:,}-byte limit for one row "
            "(limits.cases_max_row_bytes in harness.yaml): split it, or keep large values "
            "in files the row names",
        )


def _text_lines(f: BinaryIO, max_bytes: int, digest: Any | None) -> Iterator[str | _TooLong]:
    """The file's lines as text, line ends kept; a line over ``max_bytes`` is read past
    in chunks (never held whole) and given as :class:`_TooLong`. Binary content or bad
    UTF-8 raise ``_Unreadable``."""
    number = 0
    while raw := f.readline(max_bytes + 1):
        number += 1
        if digest is not None:
            digest.update(raw)
        if len(raw) > max_bytes:
            size = len(raw)
            while not raw.endswith(b"\n") and (raw := f.readline(1 << 16)):
                size += len(raw)
                if digest is not None:
                    digest.update(raw)
            yield _TooLong(number, size)
            continue
        if b"\x00" in raw:
            raise _Unreadable(CasesFileProblem(1, 1, "cases file is binary, not text", fatal=True))
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            reason = f"cases file is not UTF-8 ({exc.reason})"
            raise _Unreadable(CasesFileProblem(number, exc.start + 1, reason, fatal=True)) from None
        yield line


def _read_jsonl(
    lines: Iterable[str | _TooLong], positions: bool = True
) -> Iterator[RawCase | CasesFileProblem]:
    found = 0
    for number, text in enumerate(lines, start=1):
        if isinstance(text, _TooLong):
            found += 1
            yield text.problem()
            continue
        line = text.rstrip("\r\n")
        if not line.strip():
            continue
        found += 1
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield CasesFileProblem(number, exc.colno, f"invalid JSON: {exc.msg}")
            continue
        except RecursionError:
            yield CasesFileProblem(number, 1, "JSON nested too deeply: flatten it")
            continue
        if not isinstance(row, dict):
            yield CasesFileProblem(number, 1, "each line must be a JSON object")
            continue
        values, keys = json_positions(line, number) if positions else ({}, {})
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
        yield RawCase(row, number, values, keys)
    if not found:
        yield CasesFileProblem(1, 1, "cases file holds no cases")


class _Record:
    """The physical lines the CSV reader has taken since the last record, by number."""

    def __init__(self, lines: Iterable[str | _TooLong]) -> None:
        self._lines = iter(lines)
        self.taken: list[tuple[int, str]] = []
        self.number = 0
        self.too_long: _TooLong | None = None

    def __iter__(self) -> Iterator[str]:
        for line in self._lines:
            self.number += 1
            if isinstance(line, _TooLong):
                self.too_long = line
                return  # the reader sees the end: quoting cannot be followed past it
            self.taken.append((self.number, line))
            yield line

    def take(self) -> list[tuple[int, str]]:
        """The lines of the record just read (blank lines before it dropped)."""
        taken, self.taken = self.taken, []
        while len(taken) > 1 and not taken[0][1].strip():
            taken.pop(0)
        return taken


def _read_csv(lines: Iterable[str | _TooLong]) -> Iterator[RawCase | CasesFileProblem]:
    record = _Record(lines)
    # strict: an unterminated quote is an error, not the rest of the file in one cell
    reader = csv.DictReader(record, strict=True)
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        yield CasesFileProblem(*csv_problem(record.take(), exc))
        return
    if record.too_long is not None and not header:
        yield record.too_long.problem()
        return
    if not header:
        yield CasesFileProblem(1, 1, "CSV file has no header row")
        return
    record.take()
    header = list(header)
    found = 0
    try:
        for row in reader:
            found += 1
            taken = record.take()
            first = taken[0][0]
            cells = _cell_starts(taken)
            if None in row:
                extra = cells[len(header)] if len(cells) > len(header) else Pos(first, 1)
                yield CasesFileProblem(extra.line, extra.col, "row has more cells than the header")
                continue
            short = short_row_problem(row, header, first)
            if short is not None:
                yield CasesFileProblem(*short)
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
            yield RawCase(data, first, *_csv_positions(header, cells, first, row))
    except csv.Error as exc:
        found += 1
        yield CasesFileProblem(*csv_problem(record.take(), exc))
    if record.too_long is not None:
        found += 1
        yield record.too_long.problem()
    if not found:
        yield CasesFileProblem(1, 1, "cases file holds no cases")


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


def _cell_starts(lines: list[tuple[int, str]]) -> list[Pos]:
    """Where each cell of the CSV record on these (number, text) lines starts."""
    starts: list[Pos] = []
    quoted = False
    pending = True
    for number, text in lines:
        for col, char in enumerate(text, start=1):
            if pending:
                starts.append(Pos(number, col))
                pending = False
            if char == '"':
                quoted = not quoted  # a doubled quote flips twice
            elif char == "," and not quoted:
                pending = True
    if pending:
        last, end = lines[-1] if lines else (1, "")
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
