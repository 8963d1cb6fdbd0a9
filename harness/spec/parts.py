"""Image, file and audio parts of a message: from what a spec writes to driver parts.

A part's value is a template over the case's vars that renders to a path relative to the
spec (inside the project), an ``http(s)://`` URL (images only: drivers pass it on), or a
``data:<media type>;base64,...`` URI. Files are read when an item is rendered, so a cases
file can point at a folder of 1,000 images without holding them all in memory.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from harness.drivers.base import AudioPart, FilePart, ImagePart, Part
from harness.errors import ConfigError, PartError, PluginError
from harness.spec.yaml_loader import PathKey

if TYPE_CHECKING:
    from harness.config import ProjectConfig

MAX_PART_BYTES = 20_000_000  # providers cap inline data near this; a larger file is a mistake
_DEFAULT_TYPES = {"image": "image/png", "file": "application/pdf", "audio": "audio/wav"}


def media_type(kind: str, name: str) -> str:
    """The media type of a part from its file name (``image/png`` for ``cat.png``)."""
    guessed, _ = mimetypes.guess_type(name)
    return guessed or _DEFAULT_TYPES[kind]


def locate(kind: str, value: str, base_dir: Path, root: Path) -> Path | None:
    """The file a part's rendered value names, or None for a URL or data URI.

    Raises:
        PartError: the file is missing, outside the project, or too large; or a URL is
            given for a file or audio part.
    """
    value = value.strip()
    if value.startswith("data:"):
        return None
    if value.startswith(("http://", "https://")):
        if kind != "image":
            raise PartError(f"{kind} parts take a path or a data: URI, not a URL ({value})")
        return None
    path = base_dir / value
    if not path.resolve().is_relative_to(root.resolve()):
        raise PartError(f"{kind} {value!r} is outside the project ({root})")
    if not path.is_file():
        raise PartError(f"{kind} {value!r} not found (paths are relative to the spec's folder)")
    size = path.stat().st_size
    if size > MAX_PART_BYTES:
        raise PartError(f"{kind} {value!r} is {size:,} bytes; the limit is {MAX_PART_BYTES:,}")
    return path


@lru_cache(maxsize=64)
def _read(path: str, mtime_ns: int, size: int) -> str:
    """A file's bytes as base64, cached while the file is unchanged (models share images)."""
    return base64.b64encode(Path(path).read_bytes()).decode("ascii")


def _data_uri(kind: str, value: str) -> tuple[str, str]:
    head, sep, data = value.partition(",")
    if not sep or not head.endswith(";base64"):
        raise PartError(f"{kind} data URI must be data:<media type>;base64,<data>")
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise PartError(f"{kind} data URI holds invalid base64") from None
    return head[len("data:") : -len(";base64")] or _DEFAULT_TYPES[kind], data


def to_part(kind: str, value: str, base_dir: Path, root: Path) -> Part:
    """The driver part for a rendered image, file or audio value.

    Raises:
        PartError: see :func:`locate`; or a malformed data URI.
    """
    value = value.strip()
    path = locate(kind, value, base_dir, root)
    if path is None and value.startswith(("http://", "https://")):
        return ImagePart(url=value, media_type=media_type(kind, value.split("?")[0]))
    if path is None:
        mtype, data = _data_uri(kind, value)
        name = ""
    else:
        stat = path.stat()
        data = _read(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        mtype, name = media_type(kind, path.name), path.name
    if kind == "image":
        return ImagePart(data=data, media_type=mtype)
    if kind == "file":
        return FilePart(data=data, media_type=mtype, name=name)
    return AudioPart(data=data, media_type=mtype)


def part_kind_at(where: PathKey) -> str | None:
    """``image``, ``file`` or ``audio`` when ``where`` is such a part of a message's list of
    parts (``prompt.user.1.image``), else None."""
    if len(where) >= 2 and isinstance(where[-2], int) and where[-1] in _DEFAULT_TYPES:
        return str(where[-1])
    return None


def model_part_problems(
    sources: list[tuple[PathKey, str]], models: list[str], config: ProjectConfig | None
) -> list[tuple[PathKey, str]]:
    """A problem at each image/file/audio part that one of ``models`` cannot take, naming
    them (unknown providers are reported elsewhere)."""
    parts = [(where, kind) for where, _ in sources if (kind := part_kind_at(where))]
    if not parts or not models:
        return []
    from harness.drivers.registry import driver_class, parse_model_id, provider_settings

    accepts: dict[str, frozenset[str]] = {}
    for model in models:
        try:
            wire = provider_settings(parse_model_id(model)[0], config).type
            accepts[model] = frozenset(driver_class(wire).accepts)
        except (ConfigError, PluginError):
            continue
    out: list[tuple[PathKey, str]] = []
    for where, kind in parts:
        refused = [m for m, kinds in accepts.items() if kind not in kinds]
        if refused:
            out.append(
                (
                    where,
                    f"{kind} parts cannot go to {', '.join(refused)}: their drivers take "
                    f"{', '.join(sorted(accepts[refused[0]]))} only; drop the model or the part",
                )
            )
    return out
