"""A spec's prompt as message templates: inline text, or templates kept in files.

``prompt: {file: prompts/support.j2}`` (the user template), ``system: {file: system.md}``,
``messages: [{role: user, content: {file: turn1.txt}}]``: paths are relative to the spec's
folder and must stay inside the project (the folder of harness.yaml, else the working
directory). A template file's text is a Jinja template like any inline one, and any
template may ``{% include %}`` or ``{% import %}`` files the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.spec.models import Content, FileRef, PartFile, PromptFile
from harness.spec.types import MessageTemplate, PartTemplate
from harness.spec.yaml_loader import PathKey

MAX_TEMPLATE_BYTES = 1_000_000  # a prompt file larger than this is a mistake, not a prompt
Problem = Callable[[PathKey, str], None]


@dataclass(frozen=True, slots=True)
class MessageSource:
    """One message template: its role, its Jinja source (or its parts), where it was written
    in the spec, and the file it came from (None when inline)."""

    role: str
    source: MessageTemplate
    where: PathKey
    file: str | None = None

    def templates(self) -> list[tuple[PathKey, str]]:
        """Every Jinja source in the message with where it is written: the text, or each
        part's (its text, or the path, URL or data URI it renders to)."""
        if isinstance(self.source, str):
            return [(self.where, self.source)]
        return [(((*self.where, i, p.kind)), p.source) for i, p in enumerate(self.source)]


def inside(path: Path, root: Path) -> bool:
    """Whether ``path`` (links followed) is below ``root``."""
    return path.resolve().is_relative_to(root.resolve())


def read_template_file(
    ref: FileRef, where: PathKey, base_dir: Path, root: Path, problem: Problem, digest: Any
) -> str | None:
    """The text of a template file, or None after reporting why it cannot be used."""
    path = base_dir / ref.file
    at = (*where, "file")
    if not inside(path, root):
        problem(at, f"{ref.file!r} is outside the project ({root}): keep prompt files inside it")
        return None
    if not path.is_file():
        problem(at, f"prompt file {ref.file!r} not found (paths are relative to the spec's folder)")
        return None
    raw = path.read_bytes()
    if len(raw) > MAX_TEMPLATE_BYTES:
        problem(at, f"prompt file {ref.file!r} is {len(raw):,} bytes; the limit is 1 MB")
        return None
    if b"\x00" in raw:
        problem(at, f"prompt file {ref.file!r} is binary, not text")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problem(at, f"prompt file {ref.file!r} is not UTF-8 text ({exc.reason})")
        return None
    digest.update(raw)  # the spec's hash changes when a prompt file does
    return text


def message_sources(
    prompt: PromptFile,
    where: PathKey,
    base_dir: Path,
    root: Path,
    problem: Problem,
    digest: Any,
) -> list[MessageSource]:
    """Every message template of a prompt, in order (files read; unusable ones reported)."""
    if prompt.messages is not None:
        entries: list[tuple[str, Content, PathKey]] = [
            (str(m.role), m.content, (*where, "messages", i, "content"))
            for i, m in enumerate(prompt.messages)
        ]
    else:
        entries = [
            (role, value, (*where, role))
            for role, value in (("system", prompt.system), ("user", prompt.user))
            if value is not None
        ]
    out: list[MessageSource] = []
    for role, value, at in entries:
        if isinstance(value, FileRef):
            text = read_template_file(value, at, base_dir, root, problem, digest)
            if text is not None:
                out.append(MessageSource(role, text, (*at, "file"), value.file))
        elif isinstance(value, list):
            out.append(MessageSource(role, tuple(_part(p) for p in value), at))
        else:
            out.append(MessageSource(role, value, at))
    return out


def _part(part: PartFile) -> PartTemplate:
    kind = part.kind
    source = getattr(part, kind)
    return PartTemplate(kind, source)
