"""CassetteKey: the cassettes stage's own address, with the layout committed cassettes use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.cassettes import CassetteKey, Recorder, cassette_path
from tests.cassettes.conftest import make_item

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("key", "path"),
    [
        pytest.param(
            CassetteKey("qa", "c1", "openai:gpt-4o"), "qa/c1/openai/gpt-4o.yaml", id="plain"
        ),
        pytest.param(
            CassetteKey("qa", "c1", "local:llama3.1:8b", 3),
            "qa/c1/local/llama3.1%3A8b.attempt-3.yaml",
            id="attempt-and-colon",
        ),
        pytest.param(
            CassetteKey("qa", "c1", "openai:gpt-4o", variant="terse"),
            "qa/c1/openai/gpt-4o.variant-terse.yaml",
            id="variant-kept-apart",
        ),
    ],
)
def test_key_paths(key: CassetteKey, path: str) -> None:
    assert key.path(Path("root")).relative_to("root").as_posix() == path


def test_an_item_and_its_key_name_the_same_file() -> None:
    item = make_item("c7", spec="qa", model="anthropic:claude", attempt=2)
    recorder = Recorder(Path("root"), "none")
    assert recorder.cassette_path(item) == recorder.cassette_path(item.cassette_key)
    assert recorder.cassette_path(item) == cassette_path(
        Path("root"), "qa", "c7", "anthropic:claude", 2
    )
    assert item.cassette_key.id == item.id


def test_every_committed_cassette_has_the_path_its_key_gives() -> None:
    root = REPO / "cassettes"
    files = sorted(root.rglob("*.yaml"))
    assert files, "the example suite's cassettes are committed"
    for file in files:
        spec, case, provider, name = file.relative_to(root).parts
        stem = name.removesuffix(".yaml")
        model, _, attempt = stem.partition(".attempt-")
        key = CassetteKey(spec, case, f"{provider}:{model}", int(attempt or 1))
        # safe_name is the identity on these names, so the key rebuilds the path exactly
        assert key.path(root) == file


@pytest.mark.parametrize(
    "module",
    [
        "harness.cassettes.key",
        "harness.cassettes.recorder",
        "harness.cassettes.transport",
        "harness.cassettes.item_cassette",
    ],
)
def test_cassette_modules_do_not_import_the_runner(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.startswith('harness.runner')))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "[]"
