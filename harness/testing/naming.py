"""Names the plugin gives things: spec-file patterns, item names, marker names."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

_NOT_IDENT = re.compile(r"\W+")


@lru_cache(maxsize=64)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob as a regex on POSIX paths: ``**/`` spans folders, ``*`` and ``?`` do not."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def matches_specs(path: Path, rootpath: Path, patterns: Sequence[str]) -> bool:
    """Whether ``path`` matches one of the spec patterns, relative to pytest's rootdir.

    A pattern without a folder (``*.yaml``) matches the file name anywhere.

    Example:
        >>> matches_specs(Path("/p/specs/a/b.yaml"), Path("/p"), ["specs/**/*.yaml"])
        True
    """
    try:
        rel = path.resolve().relative_to(rootpath.resolve()).as_posix()
    except ValueError:
        rel = path.as_posix()
    for pattern in patterns:
        target = rel if "/" in pattern else path.name
        if _glob_regex(pattern).match(target):
            return True
    return False


def item_name(case_id: str, model: str, attempt: int = 1, prompt: str | None = None) -> str:
    """The pytest name of one case on one model: ``john[openai:gpt-4o-mini]``, with a
    prompt variant ``john[terse@openai:gpt-4o-mini]``.

    Attempts after the first (``--repeat`` or a case's ``repeat:``) get
    ``-attempt<k>`` inside the brackets, so the first attempt keeps its id and
    ``-k attempt2`` selects every second attempt.

    Example:
        >>> item_name("john", "openai:gpt-4o-mini", 2)
        'john[openai:gpt-4o-mini-attempt2]'
        >>> item_name("john", "openai:gpt-4o-mini", prompt="terse")
        'john[terse@openai:gpt-4o-mini]'
    """
    suffix = f"-attempt{attempt}" if attempt > 1 else ""
    variant = f"{prompt}@" if prompt is not None else ""
    return f"{case_id}[{variant}{model}{suffix}]"


def marker_name(tag: str) -> str:
    """A spec tag as a pytest marker name (a Python identifier, lower-case).

    Example:
        >>> marker_name("Smoke Test"), marker_name("2024-q1")
        ('smoke_test', 't_2024_q1')
    """
    name = _NOT_IDENT.sub("_", tag.strip().lower()).strip("_")
    if not name:
        return "tag"
    if name[0].isdigit():
        name = f"t_{name}"
    return name
