"""Check a JSON value against an official SDK's own request type, strictly.

The SDKs describe requests as TypedDicts (openai, anthropic) or pydantic models
(google-genai, ollama). Validating with pydantic alone lets unknown keys through
(nested TypedDicts ignore extras; ollama's models allow them), and an unknown key is
exactly how a wrong wire format fails (``tool_call_idd``, ``functionResponse.bogus``).
:func:`type_problems` walks the type itself: every key must be one the type declares,
every required key present, every value of the declared type.
"""

from __future__ import annotations

import collections.abc
import types
import typing
from typing import Any

import typing_extensions
from pydantic import BaseModel

_SEQUENCES = {
    list,
    tuple,
    collections.abc.Iterable,
    collections.abc.Sequence,
    typing.Iterable,
    typing.Sequence,
    typing.List,  # noqa: UP006 - the SDKs still spell it so
}
_WRAPPERS = {
    typing.Required,
    typing.NotRequired,
    typing.Annotated,
    typing_extensions.Required,
    typing_extensions.NotRequired,
    typing_extensions.Annotated,
    typing_extensions.ReadOnly,
}
_MAPPINGS = {dict, collections.abc.Mapping, typing.Mapping, typing.Dict}  # noqa: UP006


def type_problems(value: Any, tp: Any, path: str = "$") -> list[str]:
    """Where ``value`` breaks the SDK type ``tp`` (empty when it conforms)."""
    origin = typing_extensions.get_origin(tp)
    args = typing_extensions.get_args(tp)
    if tp is Any or tp is object:
        return []
    if origin in _WRAPPERS:
        return type_problems(value, args[0], path)
    if origin in (typing.Union, types.UnionType):
        best: list[str] | None = None
        for member in args:
            problems = type_problems(value, member, path)
            if not problems:
                return []
            if best is None or len(problems) < len(best):
                best = problems
        return best or [f"{path}: {value!r} fits no member of {tp}"]
    if origin in (typing.Literal, typing_extensions.Literal):
        return [] if value in args else [f"{path}: {value!r} is not one of {args}"]
    if tp is type(None):
        return [] if value is None else [f"{path}: {value!r} is not null"]
    if typing_extensions.is_typeddict(tp):
        return _typed_dict(value, tp, path)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _model(value, tp, path)
    if origin in _SEQUENCES or tp in _SEQUENCES:
        if not isinstance(value, list):
            return [f"{path}: {value!r} is not a list"]
        item = args[0] if args else Any
        return [p for i, v in enumerate(value) for p in type_problems(v, item, f"{path}[{i}]")]
    if origin in _MAPPINGS or tp in _MAPPINGS:
        return [] if isinstance(value, dict) else [f"{path}: {value!r} is not an object"]
    if tp is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: {value!r} is not a number"]
    if tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{path}: {value!r} is not an integer"]
    if tp in (str, bool):
        return [] if isinstance(value, tp) else [f"{path}: {value!r} is not a {tp.__name__}"]
    if isinstance(tp, type) and tp in (bytes, bytearray):
        return [] if isinstance(value, str) else [f"{path}: {value!r} is not base64 text"]
    return []  # other leaf types (enums as strings, files, paths) are left to the SDK


def _typed_dict(value: Any, tp: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: {value!r} is not an object"]
    hints = typing_extensions.get_type_hints(tp, include_extras=True)
    problems = [f"{path}.{k}: not a field of {tp.__name__}" for k in value if k not in hints]
    problems += [
        f"{path}.{k}: required by {tp.__name__}" for k in tp.__required_keys__ if k not in value
    ]
    for key, item in value.items():
        if key in hints:
            problems += type_problems(item, hints[key], f"{path}.{key}")
    return problems


def _model(value: Any, model: type[BaseModel], path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: {value!r} is not an object"]
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        fields[name] = info
        if info.alias:
            fields[info.alias] = info
    problems = [f"{path}.{k}: not a field of {model.__name__}" for k in value if k not in fields]
    for key, item in value.items():
        if key in fields:
            problems += type_problems(item, fields[key].annotation, f"{path}.{key}")
    if not problems:
        try:
            model.model_validate(value)
        except ValueError as exc:
            problems.append(f"{path}: {model.__name__} refuses it: {exc}")
    return problems


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def fields_differ(ours: Any, theirs: Any, path: str = "$", *, shared: bool = True) -> list[str]:
    """Paths where two JSON values differ (keys compared in camelCase: Gemini's JSON
    mapping takes both spellings).

    With ``shared``, only object keys both set are compared; without, a key only one side
    sets with a value (not null, empty list or empty text) is a difference too.
    """
    if isinstance(ours, dict) and isinstance(theirs, dict):
        a = {_camel(k): v for k, v in ours.items()}
        b = {_camel(k): v for k, v in theirs.items()}
        out = [] if shared else _one_sided(a, b, path)
        return out + [
            d
            for k in sorted(a.keys() & b.keys())
            for d in fields_differ(a[k], b[k], f"{path}.{k}", shared=shared)
        ]
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return [f"{path}: {len(ours)} items != {len(theirs)}"]
        return [
            d
            for i, (x, y) in enumerate(zip(ours, theirs, strict=True))
            for d in fields_differ(x, y, f"{path}[{i}]", shared=shared)
        ]
    return [] if ours == theirs else [f"{path}: {ours!r} != {theirs!r}"]


def _one_sided(a: dict[str, Any], b: dict[str, Any], path: str) -> list[str]:
    def set_(d: dict[str, Any]) -> set[str]:
        return {k for k, v in d.items() if v not in (None, [], "")}

    return [f"{path}.{k}: only we send it" for k in sorted(set_(a) - set(b))] + [
        f"{path}.{k}: only the SDK sends it" for k in sorted(set_(b) - set(a))
    ]
