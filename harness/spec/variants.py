"""Prompt variants: ``prompts:`` runs every case on every prompt x model.

``prompts:`` is a list or a mapping of name -> prompt; each entry is what ``prompt:`` takes
(a string, ``system``/``user``, ``messages``) or ``{file: prompts/v2.j2}``. Every variant has
a stable name: the mapping key, the entry's ``name:``, the file's stem, else ``prompt-N``
(its 1-based place in the list). The name goes into item ids, cassette paths, the store's
``prompt_name`` column, ``--prompts`` and reports. A spec with a single ``prompt:`` has no
variants and runs, stores and replays exactly as before.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.spec.models import FileRef, PromptFile, SpecFile, VariantFile
from harness.spec.yaml_loader import PathKey

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def variant_name(entry: VariantFile, index: int, key: str | None) -> str:
    """The stable name of a variant (see the module docstring)."""
    if key is not None:
        return key
    if entry.name:
        return entry.name
    single = entry.user if entry.messages is None and entry.system is None else None
    if isinstance(single, FileRef):
        stem = _SAFE.sub("-", Path(single.file).stem).strip("-.")
        if stem:
            return stem
    return f"prompt-{index + 1}"


def prompt_entries(parsed: SpecFile) -> list[tuple[str | None, PromptFile, PathKey]]:
    """The spec's prompts as (variant name or None, prompt, where it is written)."""
    if parsed.prompts is None:
        return [(None, parsed.prompt, ("prompt",))] if parsed.prompt is not None else []
    if isinstance(parsed.prompts, dict):
        return [
            (variant_name(entry, i, str(key)), entry, ("prompts", key))
            for i, (key, entry) in enumerate(parsed.prompts.items())
        ]
    return [
        (variant_name(entry, i, None), entry, ("prompts", i))
        for i, entry in enumerate(parsed.prompts)
    ]


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def name_problems(
    entries: list[tuple[str | None, PromptFile, PathKey]],
) -> list[tuple[PathKey, str]]:
    """A problem for each variant name that is not safe in ids and paths, or that an
    earlier variant already has."""
    seen: set[str] = set()
    out: list[tuple[PathKey, str]] = []
    for name, _, where in entries:
        if name is None:
            continue
        if not _NAME.fullmatch(name):
            out.append(
                (
                    where,
                    f"prompt variant name {name!r} may only hold letters, digits, '_', '.' "
                    "and '-' (it names cassette folders and test ids)",
                )
            )
        elif name in seen:
            out.append(
                (where, f"prompt variant name {name!r} is used twice: give each a unique 'name'")
            )
        seen.add(name)
    return out
