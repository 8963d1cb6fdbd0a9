"""Message parts in specs: images, files and audio from paths, URLs and data URIs."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.drivers.base import AudioPart, FilePart, ImagePart, TextPart
from harness.errors import PartError, SpecError
from harness.runner.items import Item
from harness.runner.requests import render_messages
from harness.spec.load import load_spec

PNG = b"\x89PNG\r\n\x1a\nfake"


def project(tmp_path: Path, spec: str) -> Path:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "cat.png").write_bytes(PNG)
    (tmp_path / "doc.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "hi.wav").write_bytes(b"RIFFxxxxWAVE")
    (tmp_path / "s.yaml").write_text(spec)
    return tmp_path / "s.yaml"


SPEC = """\
models: [echo]
prompt:
  user:
    - {text: "Look at {{ id }}:"}
    - {image: "images/{{ id }}.png"}
    - {file: doc.pdf}
    - {audio: hi.wav}
    - {image: "https://example.com/{{ id }}.jpg?size=2"}
    - {image: "data:image/gif;base64,R0lGOD=="}
cases: [{id: cat, vars: {id: cat}}]
"""


def test_parts_render_to_driver_parts(tmp_path: Path) -> None:
    spec = load_spec(project(tmp_path, SPEC))
    (message,) = render_messages(Item(spec, spec.cases[0], "echo"))
    assert message.content == (
        TextPart("Look at cat:"),
        ImagePart(data=base64.b64encode(PNG).decode(), media_type="image/png"),
        FilePart(
            data=base64.b64encode(b"%PDF-1.4").decode(),
            media_type="application/pdf",
            name="doc.pdf",
        ),
        AudioPart(data=base64.b64encode(b"RIFFxxxxWAVE").decode(), media_type="audio/x-wav"),
        ImagePart(url="https://example.com/cat.jpg?size=2", media_type="image/jpeg"),
        ImagePart(data="R0lGOD==", media_type="image/gif"),
    )


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        pytest.param(
            "{image: 'images/{{ id }}.jpg'}", "image 'images/cat.jpg' not found", id="missing"
        ),
        pytest.param("{image: ../outside.png}", "is outside the project", id="outside"),
        pytest.param(
            "{file: 'https://x/a.pdf'}", "file parts take a path or a data: URI", id="file-url"
        ),
    ],
)
def test_bad_parts_are_named_per_case(tmp_path: Path, part: str, expected: str) -> None:
    (tmp_path / "outside.png").write_bytes(PNG)
    root = tmp_path / "project"
    root.mkdir()
    path = project(
        root, f"prompt:\n  user: [{{text: hi}}, {part}]\ncases: [{{id: cat, vars: {{id: cat}}}}]\n"
    )
    with pytest.raises(SpecError) as info:
        load_spec(path)
    (problem,) = info.value.problems
    assert problem.where.startswith("prompt.user.1.") and problem.line == 2
    assert problem.message.startswith("rendering failed for case 'cat' at ")
    assert expected in problem.message


def test_a_part_is_exactly_one_kind(tmp_path: Path) -> None:
    path = project(tmp_path, "prompt:\n  user: [{text: a, image: b.png}]\ncases: [{id: a}]\n")
    with pytest.raises(SpecError, match="a part is exactly one of"):
        load_spec(path)


def test_validate_names_models_that_cannot_take_a_part(tmp_path: Path) -> None:
    path = project(
        tmp_path,
        "models: [echo, 'ollama:llava', 'local:smollm2-135m']\nprompt:\n  user:\n"
        "    - {image: images/cat.png}\n    - {file: doc.pdf}\ncases: [{id: a}]\n",
    )
    with pytest.raises(SpecError) as info:
        load_spec(path)
    got = [f"{p.line}:{p.col}: {p.where}: {p.message}" for p in info.value.problems]
    assert got == [
        "4:15: prompt.user.0.image: image parts cannot go to local:smollm2-135m: their drivers "
        "take text only; drop the model or the part",
        "5:14: prompt.user.1.file: file parts cannot go to ollama:llava, local:smollm2-135m: "
        "their drivers take image, text only; drop the model or the part",
    ]


def test_a_run_on_a_model_that_cannot_take_images_is_an_item_error(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    project(tmp_path, "prompt:\n  user: [{text: hi}, {image: images/cat.png}]\ncases: [{id: a}]\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli,
        [
            "run",
            "s.yaml",
            "--models",
            "echo,local:smollm2-135m",
            "--record-mode",
            "none",
            "--out",
            "out",
        ],
    )
    assert result.exit_code == 1, result.output
    rows = {
        r["model"]: r
        for r in json.loads((tmp_path / "out" / "results.json").read_text())["results"]
    }
    assert rows["echo"]["status"] == "passed"
    assert rows["echo"]["output"] == "hi[image: image/png]"
    assert rows["local:smollm2-135m"]["status"] == "error"
    assert (
        rows["local:smollm2-135m"]["error"]
        == "local:smollm2-135m: this model cannot take image parts"
    )


def test_part_files_are_read_at_render_time(tmp_path: Path) -> None:
    spec = load_spec(
        project(tmp_path, "prompt:\n  user: [{image: images/cat.png}]\ncases: [{id: a}]\n")
    )
    (tmp_path / "images" / "cat.png").unlink()
    with pytest.raises(PartError, match="not found"):
        render_messages(Item(spec, spec.cases[0], "echo"))
