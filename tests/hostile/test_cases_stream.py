"""Item 4 (cases files): JSONL is read line by line; problems keep their line."""

from __future__ import annotations

from pathlib import Path

from harness.spec.cases_file import read_cases_file


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
