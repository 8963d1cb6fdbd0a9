"""Transform types: one declaration each, found by name like drivers and assertions.

A transform turns a model's answer into the text an assertion checks. A spec names one as
a string: ``strip-think``, ``extract-code:python``, ``regex:Answer: (\\w+)``, a Jinja
expression over ``output`` (anything holding ``{{``), or ``python:module:function``; a
mapping ``{python: module:function}`` means the same as ``python:module:function``.

Built-in types are declared with :func:`transform_type` in :mod:`harness.transforms.builtin`;
third parties register theirs under the ``harness.transforms`` entry-point group (the entry
point loads a :class:`TransformType`), the same path the built-ins take.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Literal

from harness.errors import PluginError

ENTRY_POINT_GROUP = "harness.transforms"
TextFn = Callable[[str], str]
Builder = Callable[[str | None, Path], TextFn]
"""``build(arg, base_dir) -> fn``; raises ``TransformError`` when ``arg`` is unusable."""


class TransformError(Exception):
    """A transform could not be built (bad argument) or could not turn this answer."""


@dataclass(frozen=True, slots=True)
class TransformType:
    """A kind of transform: its name, what its argument is, how to build it, a one-line doc.

    ``arg`` says whether ``name:ARG`` is ``none`` (no argument), ``optional`` or ``required``.
    """

    name: str
    summary: str
    build: Builder
    arg: Literal["none", "optional", "required"] = "none"
    example: str = ""


_BUILTIN: dict[str, TransformType] = {}
JINJA = "jinja"  # the type of a ``{{ ... }}`` expression


def transform_type(
    name: str, summary: str, *, arg: Literal["none", "optional", "required"] = "none", example: str
) -> Callable[[Builder], Builder]:
    """Declare a built-in transform type: the decorated function builds it."""

    def register(build: Builder) -> Builder:
        _BUILTIN[name] = TransformType(name, summary, build, arg, example)
        return build

    return register


@cache
def transform_types() -> dict[str, TransformType]:
    """Every transform type by name: built-ins, then ``harness.transforms`` plugins.

    Raises:
        PluginError: a plugin failed to load or is not a ``TransformType`` (names its package).
    """
    importlib.import_module("harness.transforms.builtin")
    types = dict(_BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            declared = ep.load()
        except Exception as exc:  # a broken plugin must name itself, not break the others
            package = ep.dist.name if ep.dist else ep.value
            raise PluginError(
                f"transform plugin {ep.name!r} from package {package!r} failed to load: {exc}"
            ) from exc
        if not isinstance(declared, TransformType):
            raise PluginError(f"entry point {ep.value!r} is not a harness TransformType")
        types.setdefault(declared.name, declared)
    return types


def docs_table() -> str:
    """The Markdown table of transform types in docs/spec-format.md (a test keeps it equal)."""
    rows = ["| transform | what the assertions then see |", "| --- | --- |"]
    for t in transform_types().values():
        example = t.example.replace("|", "\\|")
        rows.append(f"| `{example}` | {t.summary} |")
    return "\n".join(rows)


def split_transform(source: str) -> tuple[str, str | None]:
    """``"regex:a(b)"`` -> ``("regex", "a(b)")``; a Jinja expression -> ``("jinja", source)``."""
    if "{{" in source:
        return JINJA, source
    name, sep, arg = source.partition(":")
    return name.strip(), (arg if sep else None)


def as_sources(value: Any) -> tuple[str, ...] | str:
    """A spec's ``transform:`` value as transform strings, in order, or a problem message.

    Accepts a string, a ``{name: arg}`` mapping, or a list of those.
    """
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, str) and item.strip():
            out.append(item)
        elif isinstance(item, dict) and len(item) == 1:
            ((name, arg),) = item.items()
            if not isinstance(arg, str):
                return f"transform {name!r} takes a string argument, got {type(arg).__name__}"
            out.append(f"{name}:{arg}")
        else:
            return (
                "a transform is a name such as 'strip-think', 'regex:PATTERN', "
                "'{{ output | ... }}' or {python: module:function}, or a list of those"
            )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Transform:
    """A built transform: its source as written and the function it runs."""

    source: str
    fn: TextFn

    def __call__(self, text: str) -> str:
        return self.fn(text)


def build_transform(source: str, base_dir: Path) -> Transform:
    """Build one transform from its source.

    Raises:
        TransformError: unknown type (with a suggestion), a missing or unexpected argument,
            or an argument the type refuses (a bad regex, an import that fails).
    """
    name, arg = split_transform(source)
    types = transform_types()
    kind = types.get(name)
    if kind is None:
        close = difflib.get_close_matches(name, types, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        known = ", ".join(sorted(t for t in types if t != JINJA))
        raise TransformError(
            f"unknown transform {name!r}{hint}; known: {known}, or '{{{{ output | ... }}}}'"
        )
    if kind.arg == "required" and not arg:
        raise TransformError(f"transform {name!r} needs an argument: {kind.example}")
    if kind.arg == "none" and arg is not None:
        raise TransformError(f"transform {name!r} takes no argument; write just {name!r}")
    return Transform(source, kind.build(arg, base_dir))


@cache
def _cached(sources: tuple[str, ...], base_dir: Path) -> tuple[Transform, ...]:
    return tuple(build_transform(s, base_dir) for s in sources)


def build_transforms(sources: tuple[str, ...], base_dir: Path) -> tuple[Transform, ...]:
    """Build a chain of transforms once per (sources, folder); see :func:`build_transform`."""
    return _cached(sources, base_dir)


def apply_transforms(transforms: tuple[Transform, ...], text: str) -> str:
    """Run the chain on ``text``.

    Raises:
        TransformError: a step could not turn this text (names the step).
    """
    for t in transforms:
        try:
            text = t(text)
        except TransformError as exc:
            raise TransformError(f"transform {t.source!r}: {exc}") from None
        except Exception as exc:  # a user's python transform or filter raised
            kind = type(exc).__name__
            raise TransformError(f"transform {t.source!r} raised {kind}: {exc}") from None
        if not isinstance(text, str):
            raise TransformError(f"transform {t.source!r} returned {type(text).__name__}, not text")
    return text
