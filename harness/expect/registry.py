"""The assertion types by name, loaded from the ``harness.assertions`` entry points.

Built-in and third-party types come through the same entry-point group, each loaded on
first use (a broken plugin fails with an error naming its package, and only where it is
used). :func:`check_assertion` validates one assertion as written in a spec against its
type's declaration (:class:`~harness.expect.declare.AssertionType`).
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterator, Mapping
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import NoneType, UnionType
from typing import Any

from pydantic import ValidationError

from harness.errors import PluginError
from harness.expect.declare import AssertionType, OptionError

ENTRY_POINT_GROUP = "harness.assertions"
COMMON_KEYS = frozenset(
    {"type", "value", "field", "weight", "threshold", "normalize", "metric", "transform", "turn"}
)

# promptfoo's names that mean something here: a pointer beats a list of every type
PROMPTFOO_NAMES: dict[str, str] = {
    "contains-json": "'is-json' (it already finds JSON inside chatter and code fences)",
    "word-count": "'length' with 'unit: words'",
    "latency": "'max-latency-ms'",
    "cost": "'max-cost-usd'",
    "javascript": "'python' (a function of yours, 'checks.py:function')",
    "icontains-any": "'contains-any' with 'ignore_case: true'",
    "icontains-all": "'contains-all' with 'ignore_case: true'",
    "llm-rubric": "'judge' (a rubric and a judge model)",
    "model-graded-closedqa": "'judge' (a rubric and a judge model)",
    "model-graded-factuality": "'factuality'",
    "context-faithfulness": "'faithfulness'",
    "starts-with-any": "'regex' with an alternation, e.g. '^(?:Yes|No)'",
    "perplexity": "nothing yet: no type reads logprobs besides 'g-eval'",
    "similar-embedding": "'semantic-similar'",
}


class _Registry(Mapping[str, AssertionType]):
    """Assertion types by name; each entry point is loaded on first use and kept."""

    def __init__(self) -> None:
        self._points: dict[str, EntryPoint] | None = None
        self._loaded: dict[str, AssertionType] = {}

    def _entry_points(self) -> dict[str, EntryPoint]:
        if self._points is None:
            points: dict[str, EntryPoint] = {}
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                points.setdefault(ep.name, ep)  # the first on the path wins, as for imports
            if "contains" not in points:
                # the built-ins come from harness's own metadata: an install older than them
                raise PluginError(
                    "no built-in assertion types are registered: harness's installed metadata "
                    "predates the 'harness.assertions' entry points; reinstall it "
                    "(pip install -e . in a checkout, or make .venv/.installed)"
                )
            self._points = points
        return self._points

    def reload(self) -> None:
        """Look at the installed entry points again (after installing a plugin in-process)."""
        self._points = None
        self._loaded.clear()

    def __getitem__(self, name: str) -> AssertionType:
        try:
            return self._loaded[name]
        except KeyError:
            pass
        ep = self._entry_points()[name]  # KeyError for an unknown name, as a Mapping does
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plugin must not break the others
            package = ep.dist.name if ep.dist is not None else ep.value.partition(":")[0]
            raise PluginError(
                f"assertion type {name!r} from package {package!r} failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(obj, AssertionType):
            raise PluginError(
                f"entry point {name!r} = {ep.value!r} in group {ENTRY_POINT_GROUP!r} is "
                f"{type(obj).__name__}, not a harness.expect.declare.AssertionType"
            )
        if obj.name != name:
            raise PluginError(
                f"entry point {name!r} = {ep.value!r} declares the type {obj.name!r}; "
                "the entry point's name must be the type's name"
            )
        self._loaded[name] = obj
        return obj

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._entry_points()

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entry_points()))

    def __len__(self) -> int:
        return len(self._entry_points())


TYPES = _Registry()
"""Every installed assertion type by name (a read-only mapping, loaded lazily)."""


def split_negation(type_name: str) -> tuple[str, bool]:
    """``not-contains`` -> (``contains``, True)."""
    if type_name.startswith("not-") and type_name[4:] in TYPES:
        return type_name[4:], True
    return type_name, False


def is_known_type(type_name: str) -> bool:
    """True for a registered type, with or without the ``not-`` prefix."""
    return split_negation(type_name)[0] in TYPES


def suggest_type(type_name: str) -> str | None:
    """The closest registered type name, for 'did you mean' hints."""
    base = type_name[4:] if type_name.startswith("not-") else type_name
    hits = difflib.get_close_matches(base, list(TYPES), n=1, cutoff=0.6)
    if not hits:
        return None
    return f"not-{hits[0]}" if type_name.startswith("not-") else hits[0]


def unknown_type_message(type_name: str) -> str:
    """Why a type name is unknown, with the one pointer that helps most."""
    base = type_name[4:] if type_name.startswith("not-") else type_name
    pointer = PROMPTFOO_NAMES.get(base)
    if pointer is not None:
        return f"unknown assertion type {type_name!r}: promptfoo's {base!r} is {pointer} here"
    hint = suggest_type(type_name)
    if hint:
        return f"unknown assertion type {type_name!r} (did you mean {hint!r}?)"
    return f"unknown assertion type {type_name!r}; known types: {', '.join(TYPES)}"


Problem = tuple[str | None, str]


def check_assertion(
    data: Mapping[str, Any],
    *,
    base_dir: Path | str | None = None,
    depth: int = 0,
    refs: tuple[str, ...] = (),
) -> list[Problem]:
    """Problems with one assertion's type and options as (key or None, message) pairs.

    An unknown type gets only that problem: its other keys mean nothing yet.

    Args:
        data: the assertion as written.
        base_dir: the spec's folder, for options that name files (``$ref``).
        depth: how deep inside assertion sets this one is.
        refs: the ``$ref`` chain that led here (a cycle is an error, not a hang).
    """
    type_name = data.get("type")
    if not isinstance(type_name, str):
        return []  # the shape check reports a missing or non-text type
    base, _ = split_negation(type_name)
    if base not in TYPES:
        return [("type", unknown_type_message(type_name))]
    try:
        info = TYPES[base]
    except PluginError as exc:
        return [("type", str(exc))]
    problems = _common_problems(info, type_name, data)
    context = {"type": type_name, "base_dir": base_dir, "depth": depth, "refs": refs}
    problems.extend(_option_problems(info, type_name, data, context))
    return problems


def _common_problems(info: AssertionType, type_name: str, data: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    field_path = data.get("field")
    if field_path is not None:
        if info.looks_at_call:
            problems.append(("field", f"{type_name} looks at the model call, not a field"))
        elif isinstance(field_path, str):
            problem = _path_problem(field_path)
            if problem:
                problems.append(("field", problem))
    elif info.needs_field:
        problems.append((None, f"{type_name} needs 'field'"))
    metric = data.get("metric")
    if metric is not None and not (isinstance(metric, str) and metric.strip()):
        problems.append(("metric", f"'metric' names a metric: a non-empty text, got {metric!r}"))
    threshold = data.get("threshold")
    own_threshold = "threshold" in info.keys
    if isinstance(threshold, int | float) and not own_threshold and threshold > 1:
        problems.append(("threshold", "input should be less than or equal to 1"))
    return problems


def _option_problems(
    info: AssertionType, type_name: str, data: Mapping[str, Any], context: dict[str, Any]
) -> list[Problem]:
    fields = info.keys
    given = {k: v for k, v in data.items() if k not in COMMON_KEYS}
    for key in ("value", "threshold"):
        if key in fields and data.get(key) is not None:
            given[key] = data[key]
    try:
        info.options.model_validate(given, context=context)
    except ValidationError as exc:
        return _translate(exc, info, type_name, given)
    return []


def _translate(
    exc: ValidationError, info: AssertionType, type_name: str, given: Mapping[str, Any]
) -> list[Problem]:
    """pydantic's errors as spec problems, one per key, in words a spec author knows."""
    by_key: dict[str | None, list[Mapping[str, Any]]] = {}
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        key = str(loc[0]) if loc else None
        by_key.setdefault(key, []).append(error)
    problems: list[Problem] = []
    for key, errors in by_key.items():
        kinds = {e["type"] for e in errors}
        if key is None or "value_error" in kinds:  # the type's own checks: their own words
            problems.extend((_key_of(e, key), _message(e)) for e in errors)
            continue
        if all(len(e["loc"]) > 1 and e["type"] != "missing" for e in errors) and not any(
            isinstance(e["loc"][1], str) and e["loc"][1] in _UNION_TAGS for e in errors
        ):  # inside a list or mapping: say where, as pydantic does
            first = errors[0]
            where = ".".join(str(p) for p in first["loc"][1:])
            got = f" (got {first['input']!r})" if "literal" in first["type"] else ""
            problems.append((key, f"{key!r}: item {where}: {str(first['msg']).lower()}{got}"))
        elif kinds & {"extra_forbidden", "invalid_key"} or key not in info.keys:
            # a key that is no option of the type: a misspelling, or not even text (`5:`)
            problems.append((key, _unknown_option(info, type_name, key)))
        elif "missing" in kinds:
            problems.append((None, f"{type_name} needs {key!r}"))
        elif "finite_number" in kinds:
            problems.append((key, f"{key!r} must be a finite number"))
        elif "literal_error" in kinds:
            want = _want(info.keys[key].annotation)
            problems.append((key, f"{key} must be {want}, got {given.get(key)!r}"))
        else:
            problems.append((key, _wrong_type(info, type_name, key, given.get(key), errors)))
    return problems


def _key_of(error: Mapping[str, Any], key: str | None) -> str | None:
    raised = (error.get("ctx") or {}).get("error")
    return raised.key if isinstance(raised, OptionError) else key


# pydantic names a union's member in the error's location ('value', 'int'): not a place
_UNION_TAGS = frozenset({"str", "int", "float", "bool", "list", "dict", "none", "literal"})


def _message(error: Mapping[str, Any]) -> str:
    return str(error["msg"]).removeprefix("Value error, ")


def _unknown_option(info: AssertionType, type_name: str, key: str) -> str:
    allowed = info.option_names
    close = difflib.get_close_matches(str(key), allowed, n=1)
    more = f" (did you mean {close[0]!r}?)" if close else ""
    listed = f"; {info.name} takes: {', '.join(allowed)}" if allowed and not close else ""
    if not allowed:
        common = ", ".join(sorted(COMMON_KEYS - {"type"}))
        listed = f"; {info.name} takes no options besides {common}"
    return f"unknown option {key!r} for {type_name}{more}{listed}"


def _wrong_type(
    info: AssertionType, type_name: str, key: str, value: Any, errors: list[Mapping[str, Any]]
) -> str:
    field = info.keys[key]
    want = _want(field.annotation)
    if key == "value":
        return f"{type_name} needs 'value' to be {want}, got {type(value).__name__}"
    return f"{key!r} must be {want}, got {type(value).__name__}"


def _want(annotation: Any) -> str:
    """A type annotation as a spec author reads it: ``int | float | None`` -> ``int or float``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, UnionType):
        parts = [_want(a) for a in typing.get_args(annotation) if a is not NoneType]
        return " or ".join(parts)
    if origin is list and typing.get_args(annotation)[:1] not in ((), (Any,)):
        return f"list of {_want(typing.get_args(annotation)[0])}"
    if origin is not None:
        return getattr(origin, "__name__", str(origin))
    if annotation is Any:
        return "any"
    return getattr(annotation, "__name__", str(annotation))


def _path_problem(path: str) -> str | None:
    if path.startswith("/") or path in ("", "$"):
        return None
    if any(step == "" for step in path.removeprefix("$.").split(".")):
        return f"field {path!r} has an empty step; write 'a.b.0' or a JSON Pointer '/a/b/0'"
    return None


def option_table() -> list[tuple[str, str, str, str]]:
    """(section, type, summary, options) for every type, in docs order."""
    rows: list[tuple[str, str, str, str]] = []
    for name in TYPES:
        info = TYPES[name]
        rows.append((info.section, name, info.summary, _options_text(info)))
    return rows


def _options_text(info: AssertionType) -> str:
    parts = []
    for key, field in info.keys.items():
        shown = _want(field.annotation).replace(" or ", "|")
        required = field.is_required()
        default = "" if required or field.default is None else f" = {_show_default(field.default)}"
        parts.append(f"`{key}`{'' if required else '?'}: {shown}{default}")
    if info.needs_field:
        parts.insert(0, "`field`: str")
    return ", ".join(parts) or "-"


def _show_default(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return re.sub(r"\s+", " ", repr(value))
