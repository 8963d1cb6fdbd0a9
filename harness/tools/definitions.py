"""A spec's tools: inline ``tools:``, a shared ``tools_file:``, and tools defined in Python.

::

    tools_file: tools.yaml            # `tools: [...]` in its own file, relative to the spec
    tools:
      - name: lookup                  # a tool written out, with a result
        parameters: {type: object, properties: {city: {type: string}}}
        result: [{when: {city: Paris}, then: "18 C"}]
      - python: tools.py:add          # name, description and parameters from the signature;
                                      # the function is also the result unless `result:` is set
      - python: tools.py:Order        # a pydantic model: its JSON Schema is the parameters
        result: {template: "ordered {{ args.item }}"}

``harness validate`` reads the files a ``python:`` tool names and runs none of them: the
tool is then known by name only, its parameters come when a run imports it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import SpecProblem
from harness.spec.imports import ImportRefError, import_ref
from harness.spec.models import SpecFile, ToolFile
from harness.spec.problems import dotted, validate_file_model
from harness.spec.python_refs import may_execute, ref_problem
from harness.spec.types import ToolDef
from harness.spec.yaml_loader import LoadedYAML, PathKey, load_yaml
from harness.tools.checks import tool_choice_problem
from harness.tools.results import PythonResult, ResultDef, parse_result
from harness.yaml_guard import spec_size_problem

__all__ = ["ToolsFile", "spec_tools", "tool_from_python"]

_NO_PARAMETERS: Mapping[str, Any] = {"type": "object", "properties": {}}


class ToolsFile(BaseModel):
    """A ``tools_file:``: a mapping with one key, ``tools``, as a spec writes it."""

    model_config = ConfigDict(extra="forbid")
    tools: list[ToolFile] = Field(default_factory=list)


class Collects(Protocol):
    """Where the loader gathers problems (its collector)."""

    path: str
    loaded: LoadedYAML
    problems: list[SpecProblem]

    def at(self, where: PathKey, message: str, *, key: bool = False) -> None: ...


def spec_tools(
    parsed: SpecFile, c: Collects, base_dir: Path, digest: Any = None
) -> tuple[ToolDef, ...]:
    """Every tool of a spec: ``tools_file:``'s first, then ``tools:``; problems (and those
    of ``params.tool_choice``) go to ``c``. The tools file's bytes go into ``digest`` (the
    spec's content hash), as a cases file's do."""
    out: list[ToolDef] = []
    where_of: dict[str, str] = {}
    if parsed.tools_file is not None:
        for tool, place in _file_tools(parsed.tools_file, c, base_dir, digest):
            _add(out, where_of, tool, place, c, ("tools_file",))
    for i, entry in enumerate(parsed.tools):

        def at(where: PathKey, message: str, i: int = i) -> None:
            c.at(("tools", i, *where), message)

        made = _tool(entry, base_dir, at)
        if made is not None:
            pos = c.loaded.pos(("tools", i))
            _add(out, where_of, made, f"{c.path}:{pos.line}", c, ("tools", i))
    problem = tool_choice_problem(parsed.params.tool_choice, out)
    if problem:
        c.at(("params", "tool_choice"), problem)
    return tuple(out)


def _add(
    out: list[ToolDef],
    where_of: dict[str, str],
    tool: ToolDef,
    place: str,
    c: Collects,
    where: PathKey,
) -> None:
    if tool.name in where_of:
        c.at(where, f"duplicate tool name {tool.name!r} (first at {where_of[tool.name]})")
        return
    where_of[tool.name] = place
    out.append(tool)


def _file_tools(name: str, c: Collects, base_dir: Path, digest: Any) -> list[tuple[ToolDef, str]]:
    file = base_dir / name
    if not file.is_file():
        c.at(("tools_file",), f"tools file {name!r} not found (paths are relative to the spec)")
        return []
    shown = _shown(file)
    try:
        raw = file.read_bytes()
        too_big = spec_size_problem(len(raw))
        text = raw.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        c.problems.append(SpecProblem(shown, 1, 1, f"cannot read tools file: {exc}"))
        return []
    if too_big:
        c.problems.append(SpecProblem(shown, 1, 1, too_big))
        return []
    if digest is not None:
        digest.update(raw)
    loaded = load_yaml(text)
    if loaded.problems:
        c.problems.extend(SpecProblem(shown, p.line, p.col, m) for p, m in loaded.problems)
        return []
    if not isinstance(loaded.data, dict):
        c.problems.append(
            SpecProblem(shown, 1, 1, "a tools file is a mapping with 'tools:', a list of tools")
        )
        return []
    entries = loaded.data.get("tools")
    if set(loaded.data) != {"tools"} or not isinstance(entries, list):
        _, problems = validate_file_model(ToolsFile, loaded, shown)
        c.problems.extend(problems or [SpecProblem(shown, 1, 1, "'tools:' must be a list")])
        return []
    out: list[tuple[ToolDef, str]] = []
    for i in range(len(entries)):  # each tool on its own: every problem of the file at once
        entry, problems = validate_file_model(ToolFile, loaded, shown, prefix=("tools", i))
        c.problems.extend(problems)
        if entry is None:
            continue

        def at(where: PathKey, message: str, i: int = i) -> None:
            full = ("tools", i, *where)
            pos = loaded.pos(full)
            c.problems.append(SpecProblem(shown, pos.line, pos.col, message, dotted(full)))

        tool = _tool(entry, file.parent, at)
        if tool is not None:
            out.append((tool, f"{shown}:{loaded.pos(('tools', i)).line}"))
    return out


def _shown(file: Path) -> str:
    try:
        return str(file.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(file)


def _tool(entry: ToolFile, base_dir: Path, at: Callable[[PathKey, str], None]) -> ToolDef | None:
    result, problems = parse_result(entry.result, base_dir)
    for where, message in problems:
        at(("result", *where), message)
    if problems:
        return None
    if entry.python is None:
        assert entry.name is not None  # validated: a tool without python has a name
        return ToolDef(
            entry.name,
            entry.description or "",
            entry.parameters if entry.parameters is not None else dict(_NO_PARAMETERS),
            result,
            entry.on_error,
        )
    made = tool_from_python(entry.python, base_dir, name=entry.name, result=result)
    if isinstance(made, str):
        at(("python",), made)
        return None
    if entry.description is not None or entry.parameters is not None or entry.on_error != "send":
        return ToolDef(
            made.name,
            entry.description if entry.description is not None else made.description,
            entry.parameters if entry.parameters is not None else made.parameters,
            made.result,
            entry.on_error,
        )
    return made


def tool_from_python(
    ref: str, base_dir: Path, *, name: str | None = None, result: ResultDef | None = None
) -> ToolDef | str:
    """A tool from a function's signature or a pydantic model (or why it cannot be made).

    A function's parameters (all but ``vars``) become the JSON Schema ``parameters``, its
    docstring the description, and the function the result unless ``result`` is given. A
    pydantic model gives its JSON Schema and docstring, and needs a ``result``.
    Inside :func:`~harness.spec.python_refs.no_code_execution` (validate) nothing is
    imported: the tool has its name and no parameters yet.
    """
    attr = ref.rpartition(":")[2]
    tool_name = name or attr
    if not may_execute():
        problem = ref_problem(ref, base_dir)
        if problem:
            return f"python tool: {problem}"
        runs = result or PythonResult(ref, str(base_dir.resolve()))
        return ToolDef(tool_name, "", dict(_NO_PARAMETERS), runs)
    try:
        obj = import_ref(ref, base_dir=base_dir)
    except ImportRefError as exc:
        return f"python tool: {exc}"
    description = inspect.getdoc(obj) or ""
    if isinstance(obj, type) and issubclass(obj, BaseModel):
        if result is None:
            return (
                f"python tool {ref!r} is a pydantic model: it gives the parameters, so the tool "
                "needs 'result:' too"
            )
        schema = obj.model_json_schema()
        schema.pop("title", None)
        if obj.__doc__ is None:  # pydantic's own docstring is no tool description
            description = ""
        schema.pop("description", None)
        return ToolDef(tool_name, description, schema, result)
    if not callable(obj):
        return f"python tool {ref!r} is neither a function nor a pydantic model"
    try:
        schema = signature_schema(obj)
    except (TypeError, ValueError) as exc:
        return f"python tool {ref!r}: cannot read its signature: {exc}"
    return ToolDef(
        tool_name,
        description.split("\n\n")[0].strip(),
        schema,
        result or PythonResult(ref, str(base_dir.resolve())),
    )


def signature_schema(fn: Callable[..., Any]) -> dict[str, Any]:
    """JSON Schema of a function's parameters (``vars`` and ``*args``/``**kwargs`` left out).

    Raises:
        TypeError, ValueError: the signature cannot be read or an annotation has no schema.
    """
    from pydantic import create_model

    fields: dict[str, Any] = {}
    try:  # eval_str: a module with `from __future__ import annotations` has text annotations
        signature = inspect.signature(fn, eval_str=True)
    except NameError as exc:
        raise ValueError(str(exc)) from None
    for param in signature.parameters.values():
        if param.name == "vars" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        annotation = Any if param.annotation is inspect.Parameter.empty else param.annotation
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (annotation, default)
    model = create_model(f"{getattr(fn, '__name__', 'tool')}_arguments", **fields)
    try:
        schema = model.model_json_schema()
    except Exception as exc:  # pydantic's schema errors vary by annotation
        raise ValueError(str(exc)) from None
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        if isinstance(prop, dict):
            prop.pop("title", None)
    return schema
