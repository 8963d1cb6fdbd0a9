"""Cassette paths: readable, distinct and valid on Windows, macOS and Linux."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.cassettes.paths import cassette_path, safe_name

_WINDOWS_BAD = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(10)),
    *(f"LPT{i}" for i in range(10)),
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("gpt-4o-mini", "gpt-4o-mini", id="plain-unchanged"),
        pytest.param("llama3.1:8b", "llama3.1%3A8b", id="colon"),
        pytest.param("meta-llama/Llama-3-8B", "meta-llama%2FLlama-3-8B", id="slash"),
        pytest.param("a\\b", "a%5Cb", id="backslash"),
        pytest.param("what? *now*", "what%3F %2Anow%2A", id="wildcards"),
        pytest.param("CON", "_CON", id="reserved"),
        pytest.param("nul.txt", "_nul.txt", id="reserved-with-extension"),
        pytest.param("com1", "_com1", id="reserved-lowercase"),
        pytest.param("case.", "case%2E", id="trailing-dot"),
        pytest.param("case ", "case%20", id="trailing-space"),
        pytest.param("..", "%2E%2E", id="dotdot"),
        pytest.param("", "_", id="empty"),
        pytest.param("100%", "100%25", id="percent"),
        pytest.param("café", "café", id="unicode-kept"),
    ],
)
def test_safe_name(name: str, expected: str) -> None:
    assert safe_name(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("x" * 300, id="long"),
        pytest.param('a:b/c\\d|e<f>g"h?i*j\x01. ', id="everything-bad"),
        pytest.param("LPT9.yaml", id="reserved-yaml"),
    ],
)
def test_safe_names_are_valid_everywhere(name: str) -> None:
    out = safe_name(name)
    assert not _WINDOWS_BAD.search(out)
    assert not out.endswith((".", " "))
    assert out.split(".")[0].upper() not in _RESERVED
    assert 0 < len(out) <= 100


def test_different_names_never_share_a_file() -> None:
    names = ["a:b", "a%3Ab", "a_b", "a/b", "a b", "A:b", "x" * 200, "x" * 201]
    assert len({safe_name(n) for n in names}) == len(names)


@pytest.mark.parametrize(
    ("model", "attempt", "tail"),
    [
        pytest.param("openai:gpt-4o", 1, "openai/gpt-4o.yaml", id="first-attempt"),
        pytest.param("openai:gpt-4o", 2, "openai/gpt-4o.attempt-2.yaml", id="second-attempt"),
        pytest.param("ollama:qwen2:0.5b", 1, "ollama/qwen2%3A0.5b.yaml", id="model-with-colon"),
        pytest.param("bare", 1, "_/bare.yaml", id="no-provider"),
    ],
)
def test_cassette_path(model: str, attempt: int, tail: str) -> None:
    path = cassette_path(Path("root"), "qa: basics", "case/1", model, attempt)
    assert path.as_posix() == f"root/qa%3A basics/case%2F1/{tail}"
