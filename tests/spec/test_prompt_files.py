"""Prompt templates in files, and {% include %} / {% import %} kept inside the project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.config import load_config
from harness.errors import SpecError
from harness.runner.items import Item
from harness.runner.requests import render_messages
from harness.spec.load import load_spec


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def rendered(path: Path, config_path: Path | None = None) -> list[tuple[str, str]]:
    config = load_config(config_path) if config_path else None
    spec = load_spec(path, config)
    return [(m.role, m.text) for m in render_messages(Item(spec, spec.cases[0], "echo"))]


def problems(path: Path, config_path: Path | None = None) -> list[str]:
    config = load_config(config_path) if config_path else None
    with pytest.raises(SpecError) as info:
        load_spec(path, config)
    return [f"{p.line}:{p.col}: {p.where}: {p.message}" for p in info.value.problems]


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        pytest.param("prompt: {file: p/user.j2}", [("user", "Hi Ann\n")], id="prompt-file"),
        pytest.param(
            "prompt: {system: {file: p/system.md}, user: 'Q: {{ who }}'}",
            [("system", "Be brief.\n"), ("user", "Q: Ann")],
            id="system-file",
        ),
        pytest.param(
            "prompt: {messages: [{role: user, content: {file: p/user.j2}}]}",
            [("user", "Hi Ann\n")],
            id="message-file",
        ),
    ],
)
def test_templates_from_files(tmp_path: Path, prompt: str, expected: list[tuple[str, str]]) -> None:
    write(
        tmp_path,
        {
            "p/user.j2": "Hi {{ who }}\n",
            "p/system.md": "Be brief.\n",
            "s.yaml": f"{prompt}\ncases: [{{id: a, vars: {{who: Ann}}}}]\n",
        },
    )
    assert rendered(tmp_path / "s.yaml") == expected


def test_include_and_import_from_the_spec_folder_and_the_project_root(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "harness.yaml": "{}\n",
            "shared/macros.j2": "{% macro bullet(x) %}- {{ x }}{% endmacro %}",
            "specs/parts/header.j2": "Answer briefly.",
            "specs/s.yaml": "prompt: |-\n  {% include 'parts/header.j2' %}\n"
            "  {% import 'shared/macros.j2' as m %}{{ m.bullet(who) }}\n"
            "cases: [{id: a, vars: {who: Ann}}]\n",
        },
    )
    assert rendered(tmp_path / "specs" / "s.yaml", tmp_path / "harness.yaml") == [
        ("user", "Answer briefly.\n- Ann")
    ]


def test_a_changed_prompt_file_changes_the_spec_hash(tmp_path: Path) -> None:
    write(tmp_path, {"u.j2": "one", "s.yaml": "prompt: {file: u.j2}\ncases: [{id: a}]\n"})
    before = load_spec(tmp_path / "s.yaml").content_hash
    (tmp_path / "u.j2").write_text("two")
    assert load_spec(tmp_path / "s.yaml").content_hash != before


def test_files_outside_the_project_are_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write(
        tmp_path,
        {
            "secret.txt": "top secret",
            "project/harness.yaml": "{}\n",
            "project/s.yaml": "prompt: {file: ../secret.txt}\ncases: [{id: a}]\n",
            "project/inc.yaml": "prompt: \"{% include '../secret.txt' %}\"\ncases: [{id: a}]\n",
        },
    )
    os.symlink(tmp_path / "secret.txt", project / "link.txt")
    write(project, {"link.yaml": "prompt: \"{% include 'link.txt' %}\"\ncases: [{id: a}]\n"})
    config = project / "harness.yaml"
    got = problems(project / "s.yaml", config)
    assert len(got) == 1 and got[0].startswith("1:9: prompt.user.file: '../secret.txt' is outside")
    (inc,) = problems(project / "inc.yaml", config)
    assert (
        inc.startswith("1:9: prompt.user: rendering failed for case 'a'") and "../secret.txt" in inc
    )
    (link,) = problems(project / "link.yaml", config)
    assert "it leads outside the project" in link and "top secret" not in link


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"s.yaml": "prompt: {file: nope.j2}\ncases: [{id: a}]\n"},
            "1:9: prompt.user.file: prompt file 'nope.j2' not found",
            id="missing",
        ),
        pytest.param(
            {
                "bad.j2": "line one\n{% if %}\n",
                "s.yaml": "prompt: {file: bad.j2}\ncases: [{id: a}]\n",
            },
            "1:9: prompt.user.file: template syntax error on line 2 of bad.j2:",
            id="syntax-error-names-the-file-line",
        ),
        pytest.param(
            {"s.yaml": "prompt: {file: ''}\ncases: [{id: a}]\n"},
            "1:16: prompt.file: string should have at least 1 character",
            id="empty-name",
        ),
    ],
)
def test_bad_prompt_files_are_spec_errors(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    write(tmp_path, files)
    got = problems(tmp_path / "s.yaml")
    assert any(line.startswith(expected) for line in got), got
