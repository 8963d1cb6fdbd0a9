"""``$ref`` from a spec's schema to other files, resolved at load time with positions kept.

``{$ref: "fields.yaml#/person"}`` (a field library) or ``{$ref: "other_spec.yaml#/schema"}``
(another spec's schema) is replaced by the part of that file the JSON pointer names, with
its own ``$ref``s resolved in turn (relative to its own folder; ``#/...`` inside it points
into that file). Refs beside other keys become ``allOf: [<target>]`` plus those keys.
References inside the spec's own schema (``#/$defs/...``) and URLs are left to JSON Schema.

Every inlined part remembers where it came from, so a problem inside it (an invalid
schema) is reported at ``fields.yaml:LINE:COL`` rather than at the ``$ref``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import SpecProblem
from harness.spec.problems import dotted
from harness.spec.yaml_loader import LoadedYAML, PathKey, Pos, load_yaml

_MAX_DEPTH = 32  # refs through refs: deeper than any real library, bounds a runaway chain


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an inlined part of a schema came from: a file, its positions, a path in it."""

    file: str
    loaded: LoadedYAML
    base: PathKey

    def pos(self, rest: PathKey) -> Pos:
        """The position of ``rest`` below this part, in its own file."""
        return self.loaded.pos((*self.base, *rest))


@dataclass(slots=True)
class Resolved:
    """A schema with its file refs inlined, the origin of every inlined part (by the data
    path it now sits at), and the problems found, each at its own file's position."""

    value: Any
    origins: dict[PathKey, Origin] = field(default_factory=dict)
    problems: list[SpecProblem] = field(default_factory=list)

    def locate(self, path: PathKey) -> tuple[Origin | None, PathKey]:
        """The origin holding ``path`` (None: the spec itself) and the path within it."""
        for n in range(len(path), 0, -1):
            origin = self.origins.get(path[:n])
            if origin is not None:
                return origin, path[n:]
        return None, path


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _walk_pointer(data: Any, pointer: str) -> tuple[Any, PathKey] | str:
    """The value a JSON pointer names and its data path, or why there is none."""
    if pointer in ("", "/"):
        return data, ()
    if not pointer.startswith("/"):
        return f"the part after '#' must be a JSON pointer such as '/person', got {pointer!r}"
    current, path = data, list[str | int]()
    for raw in pointer[1:].split("/"):
        token = _unescape(raw)
        if isinstance(current, dict) and token in current:
            current = current[token]
            path.append(token)
        elif isinstance(current, list) and token.isdigit() and int(token) < len(current):
            current = current[int(token)]
            path.append(int(token))
        else:
            return f"{pointer!r} names nothing: no {token!r} there"
    return current, tuple(path)


class _Resolver:
    def __init__(self, spec: Origin, out: Resolved) -> None:
        self.spec = spec
        self.out = out
        self.files: dict[Path, LoadedYAML | None] = {}

    def problem(self, origin: Origin | None, where: PathKey, message: str) -> None:
        """A problem at ``where`` below ``origin`` (None: an absolute path in the spec)."""
        at = origin or self.spec
        pos = at.pos(where)
        self.out.problems.append(
            SpecProblem(at.file, pos.line, pos.col, message, dotted((*at.base, *where)))
        )

    def _load(self, file: Path, origin: Origin | None, where: PathKey) -> LoadedYAML | None:
        key = file.resolve()
        if key in self.files:
            return self.files[key]
        loaded: LoadedYAML | None = None
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            self.problem(origin, where, f"cannot read {file.name}: {reason}")
        else:
            loaded = load_yaml(text)
            if loaded.problems:
                for pos, message in loaded.problems:
                    self.out.problems.append(SpecProblem(_shown(file), pos.line, pos.col, message))
                loaded = None
        self.files[key] = loaded
        return loaded

    def resolve(
        self,
        value: Any,
        at: PathKey,
        origin: Origin | None,
        base_dir: Path,
        doc: tuple[Path, LoadedYAML] | None,
        stack: tuple[str, ...],
    ) -> Any:
        """``value`` (found at ``at`` in the result, ``origin`` in its file) with refs inlined."""
        if isinstance(value, list):
            return [
                self.resolve(v, (*at, i), _child(origin, i), base_dir, doc, stack)
                for i, v in enumerate(value)
            ]
        if not isinstance(value, dict):
            return value
        ref = value.get("$ref")
        local = isinstance(ref, str) and ref.startswith("#") and doc is None
        if isinstance(ref, str) and not local and "://" not in ref:
            target = self._follow(ref, value, at, origin, base_dir, doc, stack)
            return value if target is None else target
        return {
            k: self.resolve(v, (*at, k), _child(origin, k), base_dir, doc, stack)
            for k, v in value.items()
        }

    def _follow(
        self,
        ref: str,
        holder: dict[str, Any],
        at: PathKey,
        origin: Origin | None,
        base_dir: Path,
        doc: tuple[Path, LoadedYAML] | None,
        stack: tuple[str, ...],
    ) -> Any:
        where: PathKey = (*at, "$ref") if origin is None else ("$ref",)
        file_part, _, pointer = ref.partition("#")
        if file_part:
            file = base_dir / file_part
            if not file.is_file():
                self.problem(
                    origin,
                    where,
                    f"$ref {ref!r}: {_shown(file)} not found "
                    "(paths are relative to the file holding the $ref)",
                )
                return None
            loaded = self._load(file, origin, where)
            if loaded is None:
                return None
        elif doc is not None:
            file, loaded = doc
        else:
            return None
        key = f"{file.resolve()}#{pointer}"
        if key in stack or len(stack) >= _MAX_DEPTH:
            chain = " -> ".join([*(s.rsplit("/", 1)[-1] for s in stack), ref])
            self.problem(origin, where, f"$ref {ref!r} is circular: {chain}")
            return None
        found = _walk_pointer(loaded.data, pointer)
        if isinstance(found, str):
            self.problem(origin, where, f"$ref {ref!r}: {found} in {_shown(file)}")
            return None
        target, target_path = found
        target_origin = Origin(_shown(file), loaded, target_path)
        siblings = {k: v for k, v in holder.items() if k != "$ref"}
        inner_at = (*at, "allOf", 0) if siblings else at
        self.out.origins[inner_at] = target_origin
        inlined = self.resolve(
            target, inner_at, target_origin, file.parent, (file, loaded), (*stack, key)
        )
        if not siblings:
            return inlined
        rest = {
            k: self.resolve(v, (*at, k), _child(origin, k), base_dir, doc, stack)
            for k, v in siblings.items()
        }
        return {"allOf": [inlined], **rest}


def _child(origin: Origin | None, key: str | int) -> Origin | None:
    return None if origin is None else Origin(origin.file, origin.loaded, (*origin.base, key))


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def resolve_refs(
    schema: Any, base_dir: Path, spec_file: str, spec: LoadedYAML, *, at: PathKey = ("schema",)
) -> Resolved:
    """Inline every file ``$ref`` of a spec's schema (found at ``at`` in ``spec``)."""
    out = Resolved(None)
    resolver = _Resolver(Origin(spec_file, spec, ()), out)
    out.value = resolver.resolve(schema, at, None, base_dir, None, ())
    return out
