"""Item 9: a short CSV row and an unterminated quote are problems at their line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import SpecError
from harness.spec.cases_file import read_cases_file
from harness.spec.load import load_spec


def _read(tmp_path: Path, text: str) -> tuple[list[dict[str, object]], list[tuple[int, int, str]]]:
    path = tmp_path / "cases.csv"
    path.write_text(text)
    cases, problems = read_cases_file(path)
    return [c.data for c in cases], [(p.line, p.col, p.message) for p in problems]


def test_a_short_row_names_its_line_and_missing_column(tmp_path: Path) -> None:
    cases, problems = _read(tmp_path, "id,city,country\na,Paris,France\nb,Rome\nc,Oslo,Norway\n")
    assert [c["id"] for c in cases] == ["a", "c"]
    ((line, col, message),) = problems
    assert (line, col) == (3, 3)
    assert "'country'" in message and "2 cells but the header has 3" in message


def test_an_unterminated_quote_is_a_problem_at_its_line(tmp_path: Path) -> None:
    text = 'id,q\na,"fine"\nb,"never closed\nc,lost\nd,also lost\n'
    cases, problems = _read(tmp_path, text)
    assert [c["id"] for c in cases] == ["a"]
    ((line, col, message),) = problems
    assert (line, col) == (3, 3)
    assert "unterminated quote" in message


def test_quoted_cells_over_several_lines_still_read(tmp_path: Path) -> None:
    cases, problems = _read(tmp_path, 'id,q\na,"two\nlines"\nb,"say ""hi"""\n')
    assert problems == []
    assert [c["vars"] for c in cases] == [{"q": "two\nlines"}, {"q": 'say "hi"'}]


def test_the_spec_reports_the_short_row_instead_of_rendering_none(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_text("id,city,country\nb,Rome\n")
    spec = tmp_path / "s.yaml"
    spec.write_text("prompt: '{{ city }} is in {{ country }}'\ncases_file: cases.csv\n")
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    assert any(
        p.path.endswith("cases.csv") and (p.line, p.col) == (2, 3) for p in caught.value.problems
    ), caught.value
