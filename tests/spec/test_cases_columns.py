"""Cases files report real columns: JSONL at the offending key, CSV at the offending cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import SpecError
from harness.spec.cases_file import read_cases_file
from harness.spec.load import load_spec
from harness.spec.yaml_loader import Pos

SPEC = "name: s\nmodels: [openai:m]\nprompt: 'q {{ q }}'\ncases_file: {file}\n"


def _problems(tmp_path: Path, name: str, text: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    (tmp_path / name).write_text(text)
    (tmp_path / "s.yaml").write_text(SPEC.format(file=name))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as info:
        load_spec(Path("s.yaml"))
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            '{"id": "a", "vars": {"q": 1}, "expect": [{"type": "containz", "value": "x"}]}\n',
            "c.jsonl:1:51: expect.0.type: unknown assertion type 'containz'",  # at "containz"
            id="jsonl-assertion-type-at-its-value",
        ),
        pytest.param(
            '{"id": "a", "vars": {"q": 1}, "repeet": 2}\n',
            "c.jsonl:1:31: repeet: unknown key 'repeet' (did you mean 'repeat'?)",
            id="jsonl-unknown-key-at-the-key",
        ),
        pytest.param(
            '\n  {"id": "a",   "q": 1, "expect": [{"type": "equals", "valu": 2}]}\n',
            "c.jsonl:2:55: expect.0.valu: unknown option 'valu' for equals",
            id="jsonl-no-vars-row-keeps-columns",
        ),
    ],
)
def test_jsonl_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    problems = _problems(tmp_path, "c.jsonl", text, monkeypatch)
    assert any(p.startswith(expected) for p in problems), problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "id,q,expected\na,1,regex:(\n",
            "c.csv:2:5: expect.0.value:",
            id="csv-bad-expected-cell",
        ),
        pytest.param(
            'id,q,expected\n"a, b",1,x,extra\n',
            "c.csv:2:12: row has more cells than the header",
            id="csv-extra-cell-after-quoted-comma",
        ),
        pytest.param(
            'id,q,expected\n\n"multi\nline",1,"regex:("\n',
            "c.csv:4:9: expect.0.value:",
            id="csv-cell-on-a-continuation-line",
        ),
    ],
)
def test_csv_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    problems = _problems(tmp_path, "c.csv", text, monkeypatch)
    assert any(p.startswith(expected) for p in problems), problems


def test_positions_of_a_csv_row(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("id,q,tags\nx,hello,a\n")
    [case], problems = read_cases_file(tmp_path / "c.csv")
    assert problems == []
    assert case.values[("vars", "q")] == Pos(2, 3)
    assert case.values[("tags",)] == Pos(2, 9)
