"""Item 4 (cases files): JSONL and CSV are read row by row; problems keep their line."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import limits
from harness.spec.cases_file import RawCase, iter_cases_file, read_cases_file
from harness.spec.load import load_spec


def test_bad_utf8_is_a_problem_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b'{"id": "a", "q": 1}\n{"id": "b", "q": 2}\n{"id": "c", "q": "\xff"}\n')
    cases, problems = read_cases_file(path)
    assert cases == []  # one unreadable line: the file is not read as cases
    assert [(p.line, p.col) for p in problems] == [(3, 19)]
    assert "not UTF-8" in problems[0].message


def test_a_line_separator_inside_a_string_is_not_a_new_line(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"id": "a", "q": "one\u2028two"}\r\n{"id": "b", "q": 2}\n', encoding="utf-8")
    cases, problems = read_cases_file(path)
    assert problems == []
    assert [(c.data["id"], c.line) for c in cases] == [("a", 1), ("b", 2)]
    assert cases[0].data["vars"]["q"] == "one\u2028two"


def test_a_bom_and_a_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": "a", "q": 1}\n')
    cases, problems = read_cases_file(path)
    assert problems == [] and cases[0].data["id"] == "a"
    path.write_bytes(b'{"id": "a"}\n\x00\x01\n')
    cases, problems = read_cases_file(path)
    assert cases == [] and problems[0].message == "cases file is binary, not text"


@pytest.fixture
def small_rows() -> Iterator[None]:
    before = limits.current()
    limits.configure(dataclasses.replace(before, cases_max_row_bytes=1000))
    yield
    limits.configure(before)


@pytest.mark.parametrize(
    "suffix", [pytest.param(".jsonl", id="jsonl"), pytest.param(".csv", id="csv")]
)
def test_a_row_over_the_limit_is_a_problem_at_its_line(
    tmp_path: Path, suffix: str, small_rows: None
) -> None:
    path = tmp_path / f"cases{suffix}"
    big = "x" * 5000
    if suffix == ".jsonl":
        path.write_text(
            f'{{"id": "a", "q": 1}}\n{{"id": "b", "q": "{big}"}}\n{{"id": "c", "q": 3}}\n'
        )
    else:
        path.write_text(f"id,q\na,1\nb,{big}\n")
    cases, problems = read_cases_file(path)
    ((line, col, message),) = [(p.line, p.col, p.message) for p in problems]
    assert (line, col) == (2 if suffix == ".jsonl" else 3, 1)
    assert "5,0" in message and "limits.cases_max_row_bytes" in message
    # the rows around it still read (JSONL); CSV stops, its quoting cannot be followed past it
    assert [c.data["id"] for c in cases] == (["a", "c"] if suffix == ".jsonl" else ["a"])


def test_the_reader_holds_one_row_at_a_time(tmp_path: Path) -> None:
    # a stream: the first row comes out before the file's end is read
    path = tmp_path / "cases.csv"
    path.write_text("id,q\n" + "".join(f"r{i},{i}\n" for i in range(1000)))
    rows = iter_cases_file(path)
    first = next(rows)
    assert isinstance(first, RawCase) and first.data["id"] == "r0" and first.line == 2
    assert sum(1 for _ in rows) == 999


def test_a_spec_hash_still_covers_its_cases_file(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_text("id,q\na,1\n")
    spec = tmp_path / "s.yaml"
    spec.write_text("prompt: '{{ q }}'\nmodels: [echo]\ncases_file: cases.csv\n")
    before = load_spec(spec).content_hash
    (tmp_path / "cases.csv").write_text("id,q\na,2\n")
    assert load_spec(spec).content_hash != before
