"""docs/expectations.md stays true: every type documented, every YAML example valid."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.expect.doc_table import render_table, replace_table
from harness.expect.registry import TYPES, check_assertion
from harness.spec.load import load_spec

DOC = Path(__file__).resolve().parents[2] / "docs" / "expectations.md"
TEXT = DOC.read_text(encoding="utf-8")
BLOCKS = re.findall(r"```yaml\n(.*?)```", TEXT, re.DOTALL)


def _assertions() -> list[Any]:
    found = []
    for i, block in enumerate(BLOCKS):
        data = yaml.safe_load(block)
        for j, item in enumerate(data.get("expect", [])):
            found.append(pytest.param(item, id=f"block{i}-{j}-{item.get('type')}"))
    return found


@pytest.mark.parametrize("name", sorted(TYPES))
def test_every_type_is_documented_with_an_example(name: str) -> None:
    assert f"| `{name}` |" in TEXT or f"### `{name}`" in TEXT
    assert re.search(rf"type: (not-)?{re.escape(name)}\n", TEXT), f"no YAML example for {name}"


@pytest.mark.parametrize("item", _assertions())
def test_every_example_is_valid(item: dict[str, Any]) -> None:
    assert check_assertion(item) == []


def test_the_first_example_is_a_loadable_spec(tmp_path: Path) -> None:
    path = tmp_path / "capitals.yaml"
    path.write_text(BLOCKS[0], encoding="utf-8")
    spec = load_spec(path)
    assert spec.cases[0].expect[-1].label == "not-icontains"


def test_the_types_table_is_generated_from_the_declarations() -> None:
    assert replace_table(TEXT) == TEXT, (
        "run: python -m harness.expect.doc_table docs/expectations.md"
    )


def test_the_types_table_lists_every_type_once() -> None:
    table = render_table()
    for name in TYPES:
        assert table.count(f"| `{name}` |") == 1, name
