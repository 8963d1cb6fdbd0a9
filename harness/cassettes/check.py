"""Cassette findings, and which cassette files no item uses.

What a check found is described here; replaying items against their cassettes is the
runner's job (:mod:`harness.runner.cassette_check`): the cassettes package imports nothing
from the runner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from harness.cassettes.key import CassetteKey
from harness.cassettes.paths import SUFFIX, safe_name
from harness.cassettes.recorder import Keyed

Status = Literal["stale", "missing", "error", "unused"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One cassette that needs attention; ``item_id`` is empty for unused ones."""

    status: Status
    path: Path
    item_id: str = ""
    detail: str = ""


@dataclass(slots=True)
class CheckReport:
    """Everything ``harness cassettes check`` found."""

    checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    def of(self, status: Status) -> list[Finding]:
        """The findings with one status."""
        return [f for f in self.findings if f.status == status]

    @property
    def ok(self) -> bool:
        """True when no cassette is stale, missing, unreadable or unused."""
        return not self.findings


def item_path(root: Path, item: CassetteKey | Keyed) -> Path:
    """The cassette of an item (or of a cassette key) under ``root``."""
    key = item if isinstance(item, CassetteKey) else item.cassette_key
    return key.path(root)


def unused_cassettes(
    root: Path, expected: Iterable[Path], *, spec_names: Iterable[str] | None = None
) -> list[Path]:
    """Cassette files under ``root`` that no expected item uses.

    Args:
        root: the cassettes folder.
        expected: the cassette paths of every item that may run.
        spec_names: look only in these specs' folders (None: the whole root).
    """
    if not root.is_dir():
        return []
    wanted = {p.resolve() for p in expected}
    names = [root] if spec_names is None else [root / safe_name(n) for n in spec_names]
    found = {f.resolve() for d in names if d.is_dir() for f in d.rglob(f"*{SUFFIX}")}
    return sorted(found - wanted)


def prune(paths: Iterable[Path], root: Path) -> list[Path]:
    """Delete cassette files and the folders they leave empty (never ``root`` itself)."""
    removed: list[Path] = []
    top = root.resolve()
    for path in paths:
        path.unlink(missing_ok=True)
        removed.append(path)
        folder = path.resolve().parent
        while folder != top and top in folder.parents and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    return removed
