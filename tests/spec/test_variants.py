"""``prompts:``: prompt variants with stable names, validated like ``prompt:``."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import SpecError
from harness.spec.load import load_spec


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root / "s.yaml"


def test_a_list_gets_names_from_name_file_or_place(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "prompts/support_v2.j2": "v2 {{ q }}",
            "s.yaml": "prompts:\n  - 'plain {{ q }}'\n  - {name: terse, user: 'terse {{ q }}'}\n"
            "  - {file: prompts/support_v2.j2}\n  - {system: Be kind., user: '{{ q }}'}\n"
            "cases: [{id: a, vars: {q: hi}}]\n",
        },
    )
    spec = load_spec(path)
    assert [v.name for v in spec.prompts] == ["prompt-1", "terse", "support_v2", "prompt-4"]
    assert spec.prompts[2].template.messages == (("user", "v2 {{ q }}"),)
    assert spec.prompts[3].template.messages == (("system", "Be kind."), ("user", "{{ q }}"))
    assert spec.prompt == spec.prompts[0].template


def test_a_mapping_names_its_variants(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "s.yaml": "prompts:\n  short: 'Q {{ q }}'\n  long: 'Question: {{ q }}'\ncases: [{id: a, vars: {q: x}}]\n"
        },
    )
    assert [v.name for v in load_spec(path).prompts] == ["short", "long"]


def test_a_single_prompt_has_no_variants(tmp_path: Path) -> None:
    path = write(tmp_path, {"s.yaml": "prompt: hi\ncases: [{id: a}]\n"})
    assert load_spec(path).prompts == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "prompts: [{name: a, user: x}, {name: a, user: y}]\ncases: [{id: a}]\n",
            "1:31: prompts.1: prompt variant name 'a' is used twice",
            id="duplicate-name",
        ),
        pytest.param(
            "prompts: {'a b': x}\ncases: [{id: a}]\n",
            "1:18: prompts.a b: prompt variant name 'a b' may only hold",
            id="unsafe-name",
        ),
        pytest.param(
            "prompt: x\nprompts: [y]\ncases: [{id: a}]\n",
            "1:1: use either 'prompt' or 'prompts' (variants), not both",
            id="both",
        ),
        pytest.param(
            "prompts:\n  - 'Hi {{ who }}'\n  - 'Yo {{ whom }}'\ncases: [{id: a, vars: {who: x}}]\n",
            "3:5: prompts.1.user: template variable 'whom' is not defined (did you mean 'who'?)",
            id="variable-missing-in-one-variant",
        ),
        pytest.param(
            "prompts: []\ncases: [{id: a}]\n",
            "1:1: 'prompts' must hold at least one prompt",
            id="empty",
        ),
    ],
)
def test_bad_variants(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, {"s.yaml": text})
    with pytest.raises(SpecError) as info:
        load_spec(path)
    got = [
        f"{p.line}:{p.col}: {p.where + ': ' if p.where else ''}{p.message}"
        for p in info.value.problems
    ]
    assert any(line.startswith(expected) for line in got), got
