"""Turn pydantic validation errors into ``path:line:col: where: message`` problems.

Every validation error of a user file is rewritten here, once, so all of them read
the same and point at the key the user has to change.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from harness.errors import SpecProblem
from harness.spec.yaml_loader import LoadedYAML, PathKey

M = TypeVar("M", bound=BaseModel)


def shown_path(path: Path) -> str:
    """A path as printed in messages: relative to the working directory when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def dotted(path: PathKey) -> str:
    """``("cases", 1, "vars")`` -> ``cases.1.vars``."""
    return ".".join(str(p) for p in path)


def _clean_loc(data: Any, loc: tuple[Any, ...]) -> tuple[PathKey, Any | None]:
    """Walk ``loc`` through the data, dropping pydantic's union/validator tags.

    Returns the path that exists in the data and, if the last element does not
    exist (a missing key), that element.
    """
    path: list[str | int] = []
    current = data
    for i, element in enumerate(loc):
        in_dict = isinstance(current, dict) and element in current
        in_list = (
            isinstance(current, list) and isinstance(element, int) and 0 <= element < len(current)
        )
        if in_dict or in_list:
            path.append(element)
            current = current[element]
        elif i == len(loc) - 1 and isinstance(element, str):
            return tuple(path), element
        elif (
            isinstance(current, dict)
            and isinstance(element, str)
            and element.rstrip("_") in current
        ):
            path.append(element.rstrip("_"))
            current = current[element.rstrip("_")]
    return tuple(path), None


def _model_at(root: type[BaseModel], path: PathKey) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at ``path`` (for key suggestions)."""
    annotation: Any = root
    for element in path:
        unwrapped = _unwrap(annotation, False)
        if get_origin(unwrapped) is dict:  # a mapping of user-chosen names, e.g. providers
            annotation = get_args(unwrapped)[1]
            continue
        annotation = _unwrap(annotation, isinstance(element, int))
        if annotation is None:
            return None
        if isinstance(element, int):  # an item of a list: its model, no field to look up
            continue
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = next(
                (f for n, f in annotation.model_fields.items() if (f.alias or n) == element),
                None,
            )
            if field is None:
                return None
            annotation = field.annotation
    final = _unwrap(annotation, False)
    return final if isinstance(final, type) and issubclass(final, BaseModel) else None


def _unwrap(annotation: Any, want_item: bool) -> Any:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        for arm in get_args(annotation):
            got = _unwrap(arm, want_item)
            if got is not None and got is not type(None):
                return got
        return None
    if want_item and origin is list:
        return get_args(annotation)[0]
    if want_item:
        return None
    if origin is typing.Annotated:
        return _unwrap(get_args(annotation)[0], want_item)
    return annotation


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


def _message(error: Any, model: type[BaseModel] | None, missing: Any | None) -> str:
    kind = error["type"]
    if kind == "missing":
        return f"missing required key {missing!r}"
    if kind == "extra_forbidden":
        allowed = _keys_of(model) if model else []
        hint = difflib.get_close_matches(str(missing), allowed, n=1, cutoff=0.6)
        if hint:
            return f"unknown key {missing!r} (did you mean {hint[0]!r}?)"
        listed = f"; allowed keys: {', '.join(allowed)}" if allowed else ""
        return f"unknown key {missing!r}{listed}"
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    message = re.sub(r" or instance of \w+", "", message)
    if kind.endswith("_type") or kind in ("literal_error", "string_pattern_mismatch"):
        got = error.get("input")
        shown = repr(got) if not isinstance(got, dict | list) else type(got).__name__
        return f"{message[0].lower()}{message[1:]} (got {shown})"
    return message[0].lower() + message[1:] if message else kind


def validate_file_model(
    model: type[M], loaded: LoadedYAML, path: str, *, prefix: PathKey = ()
) -> tuple[M | None, list[SpecProblem]]:
    """Validate ``loaded.data`` (or the part of it at ``prefix``) with ``model``."""
    data = loaded.data
    for element in prefix:
        data = data[element]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems: list[SpecProblem] = []
        seen: set[tuple[int, int, str]] = set()
        for error in exc.errors():
            sub, missing = _clean_loc(data, tuple(error["loc"]))
            full = (*prefix, *sub)
            is_key = error["type"] == "extra_forbidden"
            if is_key and missing is None and sub:
                missing, sub = sub[-1], sub[:-1]
                full = (*prefix, *sub)
            pos = (
                loaded.pos((*full, missing), key=True)
                if is_key and isinstance(missing, str | int)
                else loaded.pos(full)
            )
            owner = _model_at(model, sub)
            where_path = (*full, missing) if missing is not None and is_key else full
            problem = SpecProblem(
                path, pos.line, pos.col, _message(error, owner, missing), dotted(where_path)
            )
            marker = (problem.line, problem.col, problem.message)
            if marker not in seen:
                seen.add(marker)
                problems.append(problem)
        return None, problems
