"""A spec's cases-file cases are checked as a stream and re-read when iterated, never all
held; to every caller they are still the spec's sequence of cases."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from harness.errors import SpecError
from harness.spec import case_stream
from harness.spec.case_stream import SpecCases
from harness.spec.load import load_spec

SPEC = """\
name: lazy
models: [echo]
prompt: 'Q: {{ q }}'
schema: {type: object, properties: {n: {type: integer}}}
expect: [{type: contains, value: '{{ q }}'}]
cases:
  - {id: inline, vars: {q: x}}
cases_file: rows.csv
"""


@pytest.fixture
def spec_path(tmp_path: Path) -> Path:
    (tmp_path / "rows.csv").write_text("id,q,expected_n\na,one,1\nb,two,2\nc,three,\n")
    path = tmp_path / "s.yaml"
    path.write_text(SPEC)
    return path


@pytest.fixture
def reread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cases files re-read on every pass, as a spec past the holding limit does."""
    monkeypatch.setattr(case_stream, "HOLD_AT_MOST", 0)


@pytest.mark.usefixtures("reread")
def test_file_cases_are_a_lazy_sequence_equal_to_the_cases(spec_path: Path) -> None:
    spec = load_spec(spec_path)
    assert isinstance(spec.cases, SpecCases)
    assert len(spec.cases) == 4
    cases = tuple(spec.cases)
    assert [c.id for c in cases] == ["inline", "a", "b", "c"]
    assert tuple(spec.cases) == cases  # iterated again: read again, the same cases
    assert spec.cases == cases and spec.cases == list(cases)
    assert (
        spec.cases[2] == cases[2] and spec.cases[-1] == cases[-1] and spec.cases[1:3] == cases[1:3]
    )
    with pytest.raises(IndexError):
        spec.cases[4]
    # what the check made of each row holds on every reading: templates rendered, values typed
    a = cases[1]
    assert a.line == 2 and a.source.endswith("rows.csv")
    assert [(x.type, x.value, x.field) for x in a.expect] == [
        ("contains", "one", None),
        ("equals", 1, "n"),
    ]


def test_a_spec_with_inline_cases_only_keeps_a_tuple(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("prompt: hi\nmodels: [echo]\ncases: [{id: a}, {id: b}]\n")
    assert load_spec(path).cases == tuple(load_spec(path).cases)
    assert isinstance(load_spec(path).cases, tuple)


def test_a_cases_file_changed_after_loading_is_an_error_not_unchecked_rows(
    spec_path: Path,
) -> None:
    spec = load_spec(spec_path)
    rows = spec_path.parent / "rows.csv"
    rows.write_text("id,q,expected_n\na,one,not-a-number-row-added\nz,{{ nope }},\n")
    stat = rows.stat()
    os.utime(rows, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    with pytest.raises(SpecError, match="changed since the spec was loaded"):
        list(spec.cases)


def test_a_small_spec_holds_its_cases_after_the_first_full_reading(spec_path: Path) -> None:
    spec = load_spec(spec_path)
    first = tuple(spec.cases)
    (spec_path.parent / "rows.csv").unlink()  # not read again
    assert tuple(spec.cases) == first
    assert tuple(spec.cases)[1] is first[1]


@pytest.mark.usefixtures("reread")
def test_a_spec_past_the_limit_reads_its_file_on_every_pass(spec_path: Path) -> None:
    spec = load_spec(spec_path)
    first = tuple(spec.cases)
    assert tuple(spec.cases) == first and tuple(spec.cases)[1] is not first[1]
    (spec_path.parent / "rows.csv").unlink()  # read again: gone
    with pytest.raises(SpecError, match="changed since the spec was loaded"):
        tuple(spec.cases)


def test_the_cases_pickle_as_the_cases_themselves(spec_path: Path) -> None:
    spec = load_spec(spec_path)
    again = pickle.loads(pickle.dumps(spec))
    assert again.cases == tuple(spec.cases) and isinstance(again.cases, tuple)


def test_problems_of_rows_are_still_all_reported_with_positions(tmp_path: Path) -> None:
    (tmp_path / "rows.jsonl").write_text(
        '{"id": "a", "vars": {"q": 1}}\n'
        '{"id": "a", "vars": {"q": 2}}\n'
        '{"id": "b", "vars": {"q": 3}, "expect": [{"type": "containz", "value": 1}]}\n'
    )
    path = tmp_path / "s.yaml"
    path.write_text("prompt: '{{ q }} {{ r }}'\nmodels: [echo]\ncases_file: rows.jsonl\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    shown = [(p.line, p.col, p.message) for p in caught.value.problems]
    assert any(line == 2 and "duplicate case id 'a'" in m for line, _, m in shown), shown
    row = (tmp_path / "rows.jsonl").read_text().splitlines()[2]
    at = row.index('"containz"') + 1  # the column of the offending value
    assert any((line, col) == (3, at) and "containz" in m for line, col, m in shown), shown
    assert any("template variable 'r' is not defined" in p.message for p in caught.value.problems)
    assert any("3 of 3 cases" in p.message for p in caught.value.problems)


@pytest.mark.usefixtures("reread")
def test_the_cases_read_the_same_after_the_working_directory_changes(
    spec_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(spec_path.parent)
    spec = load_spec(Path("s.yaml"))  # relative, as the command line gives it
    before = tuple(spec.cases)
    assert before[1].source == "rows.csv"
    monkeypatch.chdir(spec_path.parent.parent)
    assert tuple(spec.cases) == before
