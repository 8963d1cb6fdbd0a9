"""Cassettes travel with the work: no filesystem is shared between the head and workers.

Replaying, the head packs each chunk's cassettes (:func:`pack`) and the worker unpacks
them into a folder of its own (:func:`unpack`); recording, the worker collects the files it
wrote (:class:`Harvest`: cassettes and the blobs beside them) and the head writes them
into the project's cassettes folder (:func:`write_back`) before it stores the records
that point at them. Paths travel relative to the cassettes folder, checked on arrival.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from harness.cassettes.blobs import BLOB_DIR
from harness.cassettes.key import CassetteKey
from harness.errors import CassetteError

Files = dict[str, bytes]
"""Relative POSIX path under the cassettes folder -> the file's bytes."""

SHIPPED_MODES = ("none", "once", "new_episodes")
"""Record modes that read existing cassettes (``all`` rewrites them, ``off`` has none)."""


def pack(root: Path, keys: Iterable[CassetteKey], mode: str) -> Files:
    """The existing cassettes of ``keys`` under ``root``, ready to ship with their items."""
    if mode not in SHIPPED_MODES:
        return {}
    files: Files = {}
    for key in keys:
        path = key.path(root)
        try:
            files[path.relative_to(root).as_posix()] = path.read_bytes()
        except FileNotFoundError:
            continue  # not recorded yet: replay says so for this item, recording makes it
        except OSError as exc:
            raise CassetteError(f"cannot read cassette {path} to ship it: {exc}") from exc
    return files


def _inside(root: Path, relative: str) -> Path:
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
        raise CassetteError(f"refusing a shipped cassette path outside the folder: {relative!r}")
    return root.joinpath(*parts)


def unpack(root: Path, files: Mapping[str, bytes]) -> None:
    """Write shipped files under ``root`` (a worker's own cassettes folder)."""
    for relative, data in files.items():
        path = _inside(root, relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def write_back(root: Path, files: Mapping[str, bytes]) -> None:
    """Write files recorded on a worker into the project's cassettes folder, each whole."""
    for relative, data in files.items():
        path = _inside(root, relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise CassetteError(f"cannot write cassette {path} from a worker: {exc}") from exc


class Harvest:
    """What a worker recorded since it last looked: cassettes written and new blobs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._blobs_sent: set[Path] = set()

    def take(self, written: list[Path]) -> Files:
        """The files behind ``written`` (emptied) and any blob not shipped before."""
        files: Files = {}
        blob_dirs: set[Path] = set()
        while written:
            path = written.pop()
            try:
                files[path.relative_to(self.root).as_posix()] = path.read_bytes()
            except FileNotFoundError:
                continue
            spec_dir = path.relative_to(self.root).parts[0]
            blob_dirs.add(self.root / spec_dir / BLOB_DIR)
        for folder in blob_dirs:
            if not folder.is_dir():
                continue
            for blob in folder.iterdir():
                if blob.is_file() and blob not in self._blobs_sent:
                    self._blobs_sent.add(blob)
                    files[blob.relative_to(self.root).as_posix()] = blob.read_bytes()
        return files
