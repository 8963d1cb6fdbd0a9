"""Load and validate spec files: every problem of a file, with its line, in one pass."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel

from harness.config import ProjectConfig
from harness.drivers.registry import ECHO, known_providers
from harness.errors import ConfigError, SpecError, SpecProblem
from harness.expect.registry import check_assertion, split_negation
from harness.spec.case_templates import Place, check_case_templates
from harness.spec.cases_file import read_cases_file
from harness.spec.defaults import inherit
from harness.spec.field_paths import check_field_paths
from harness.spec.imports import ImportRefError, import_ref
from harness.spec.models import AssertionFile, CaseFile, SpecFile
from harness.spec.parts import model_part_problems
from harness.spec.problems import dotted, validate_file_model
from harness.spec.prompts import message_sources
from harness.spec.python_refs import may_execute, ref_problem
from harness.spec.refs import resolve_refs
from harness.spec.templating import template_variables
from harness.spec.types import (
    Assertion,
    Case,
    MessageTemplate,
    PromptTemplate,
    PromptVariant,
    Spec,
    ToolDef,
)
from harness.spec.variants import name_problems, prompt_entries
from harness.spec.yaml_loader import LoadedYAML, PathKey, Pos, load_yaml
from harness.transforms.apply import sources_of, transform_problems
from harness.yaml_guard import spec_size_problem

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass(slots=True)
class _Collector:
    """Problems of one spec file (and its cases files), in the order found."""

    path: str
    loaded: LoadedYAML
    problems: list[SpecProblem] = field(default_factory=list)

    def at(self, where: PathKey, message: str, *, key: bool = False) -> None:
        pos = self.loaded.pos(where, key=key)
        self.problems.append(SpecProblem(self.path, pos.line, pos.col, message, dotted(where)))


def shown_path(path: Path) -> str:
    """A path as printed in messages: relative to the working directory when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


SPEC_MARKERS = frozenset({"prompt", "cases", "cases_file", "expect", "models", "params", "schema"})


def looks_like_spec(data: Any) -> bool:
    """True for YAML meant as a spec: a mapping with any of the spec's main keys."""
    return isinstance(data, dict) and bool(SPEC_MARKERS & set(data))


def load_spec(path: Path, config: ProjectConfig | None = None) -> Spec:
    """Load one spec file, its cases files and its imports, and validate all of it.

    Raises:
        SpecError: with every problem found, each as ``path:line:col: where: message``.
    """
    shown = shown_path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError([SpecProblem(shown, 1, 1, f"cannot read spec: {exc.strerror}")]) from None
    if not raw.strip():
        raise SpecError(
            [SpecProblem(shown, 1, 1, "file is empty: a spec needs at least 'prompt' and 'cases'")]
        )
    if b"\x00" in raw:
        raise SpecError([SpecProblem(shown, 1, 1, "file is binary, not a YAML spec")])
    too_big = spec_size_problem(len(raw))
    if too_big:
        raise SpecError([SpecProblem(shown, 1, 1, too_big)])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(
            [SpecProblem(shown, 1, 1, f"file is not UTF-8 text ({exc.reason})")]
        ) from None
    loaded = load_yaml(text)
    c = _Collector(shown, loaded)
    for pos, message in loaded.problems:
        c.problems.append(SpecProblem(shown, pos.line, pos.col, message))
    if c.problems:
        raise SpecError(c.problems)
    if not isinstance(loaded.data, dict):
        kind = type(loaded.data).__name__ if loaded.data is not None else "empty"
        raise SpecError([SpecProblem(shown, 1, 1, f"a spec must be a mapping of keys, got {kind}")])

    parsed, problems = validate_file_model(SpecFile, loaded, shown)
    if "prompt" not in loaded.data and "prompts" not in loaded.data:
        c.problems.append(SpecProblem(shown, 1, 1, "missing required key 'prompt'"))
    c.problems.extend(problems)
    for where, message in transform_problems(loaded.data, path.parent):
        c.at(where, message)
    _check_assertions(c, loaded.data.get("expect"), ("expect",), path.parent)
    cases_data = loaded.data.get("cases")
    if isinstance(cases_data, list):
        for i, case in enumerate(cases_data):
            if isinstance(case, dict):
                _check_assertions(c, case.get("expect"), ("cases", i, "expect"), path.parent)
    if parsed is None:
        raise SpecError(_sorted(c.problems))
    parsed, origins = inherit(parsed, config)  # harness.yaml defaults:
    spec = _build(parsed, path, raw, c, config)
    if c.problems:
        raise SpecError(_sorted(c.problems))
    assert spec is not None
    spec = dataclasses.replace(spec, origins=origins) if origins else spec
    return _with_warnings(spec, loaded, shown)


def _with_warnings(spec: Spec, loaded: LoadedYAML, shown: str) -> Spec:
    """Attach what validate should mention but that does not stop a run."""
    if not loaded.warnings:
        return spec
    found = tuple(SpecProblem(shown, p.line, p.col, m) for p, m in loaded.warnings)
    return dataclasses.replace(spec, warnings=spec.warnings + found)


def _default_models(config: ProjectConfig | None) -> list[str]:
    return list(config.defaults.models) if config is not None else []


def _project_root(config: ProjectConfig | None, base_dir: Path) -> Path:
    """What prompt files and includes must stay inside: harness.yaml's folder, else the
    working directory when the spec is below it, else the spec's own folder."""
    if config is not None and config.path is not None:
        return config.root.resolve()
    cwd = Path.cwd().resolve()
    return cwd if base_dir.resolve().is_relative_to(cwd) else base_dir.resolve()


def _sorted(problems: list[SpecProblem]) -> list[SpecProblem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.path, p.line, p.col))


def _check_assertions(
    c: _Collector, items: Any, where: PathKey, base_dir: Path, *, ref_dir: Path | None = None
) -> None:
    if not isinstance(items, list):
        return
    for j, item in enumerate(items):
        if isinstance(item, dict):
            problems = check_assertion(item, base_dir=ref_dir or base_dir)
            for key, message in problems:
                target = (*where, j, key) if key else (*where, j)
                c.at(target, message, key=key is not None and key != "type" and key != "value")
            imported = None if problems else _python_import_problem(item, base_dir)
            if imported:
                c.at((*where, j, "value"), imported)


def _assertion(a: AssertionFile, inherited_normalize: tuple[str, ...]) -> Assertion:
    base, negate = split_negation(a.type)
    extra = dict(a.model_extra or {})
    normalize = tuple(a.normalize) if a.normalize is not None else inherited_normalize
    return Assertion(
        type=base,
        value=a.value,
        field=a.field,
        weight=a.weight,
        threshold=a.threshold,
        negate=negate,
        normalize=normalize,
        options=extra,
        transform=sources_of(a.transform),
    )


def _build(
    parsed: SpecFile, path: Path, raw: bytes, c: _Collector, config: ProjectConfig | None
) -> Spec | None:
    base_dir = path.parent
    digest = hashlib.sha256(raw)
    normalize = tuple(parsed.normalize or ())
    spec_expect = tuple(_assertion(a, normalize) for a in parsed.expect)

    # prompt templates (inline, or in files inside the project)
    root = _project_root(config, base_dir)
    entries = prompt_entries(parsed)  # one prompt, or the variants of `prompts:`
    for where, message in name_problems(entries):
        c.at(where, message)
    variants: list[tuple[str | None, tuple[tuple[str, MessageTemplate], ...]]] = []
    sources: list[tuple[PathKey, str]] = []
    from_file: dict[PathKey, str] = {}
    for variant, prompt, at in entries:
        found = message_sources(prompt, at, base_dir, root, c.at, digest)
        variants.append((variant, tuple((m.role, m.source) for m in found)))
        sources += [t for m in found for t in m.templates()]
        from_file.update({m.where: m.file for m in found if m.file})
    templates_ok = True
    for where, source in sources:
        try:
            template_variables(source)
        except jinja2.TemplateSyntaxError as exc:
            templates_ok = False
            in_file = f" of {from_file[where]}" if where in from_file else ""
            c.at(
                where,
                f"template syntax error on line {exc.lineno}{in_file}: {exc.message}"
                if in_file
                else f"template syntax error on template line {exc.lineno}: {exc.message}",
            )
    templates = [
        (variant, PromptTemplate(messages, base_dir=str(base_dir.resolve()), root=str(root)))
        for variant, messages in variants
    ]
    template = templates[0][1] if templates else PromptTemplate(())

    # schema
    schema: Mapping[str, Any] | None = None
    schema_source: str | None = None
    if parsed.schema_ is not None:
        schema, schema_source = _schema(parsed.schema_, base_dir, c)

    # models
    if parsed.models:
        names = set(known_providers(config))
        for i, model_id in enumerate(parsed.models):
            provider, sep, model = model_id.partition(":")
            if model_id == ECHO:
                continue
            if not sep or not provider or not model:
                c.at(
                    ("models", i),
                    f"model id {model_id!r} must be 'provider:model', e.g. 'openai:gpt-4o-mini'",
                )
            elif provider not in names:
                c.at(
                    ("models", i),
                    f"unknown provider {provider!r} in {model_id!r}: declare it under 'providers:' "
                    f"in harness.yaml, or use one of {', '.join(sorted(names))}",
                )
    if parsed.judge is not None and ":" not in parsed.judge:
        c.at(("judge",), f"judge model {parsed.judge!r} must be 'provider:model'")
    if parsed.embedder is not None and ":" not in parsed.embedder:
        c.at(("embedder",), f"embedder {parsed.embedder!r} must be 'provider:model'")

    for where, message in model_part_problems(
        sources, parsed.models or _default_models(config), config
    ):
        c.at(where, message)

    # cases: inline, then from files
    cases: list[Case] = []
    where_of: dict[int, tuple[str, int, int, str]] = {}  # id(case) -> (file, line, col, where)
    for i, case_file in enumerate(parsed.cases):
        pos = c.loaded.pos(("cases", i))
        case = _case(case_file, i, spec_expect, normalize, parsed, c.path, pos.line)
        cases.append(case)
        where_of[id(case)] = (c.path, pos.line, pos.col, f"cases.{i}")
    files = (
        [parsed.cases_file] if isinstance(parsed.cases_file, str) else list(parsed.cases_file or [])
    )
    for k, name in enumerate(files):
        file_where: PathKey = (
            ("cases_file",) if isinstance(parsed.cases_file, str) else ("cases_file", k)
        )
        for case in _file_cases(
            base_dir / name, file_where, spec_expect, normalize, parsed, c, digest
        ):
            cases.append(case)
            where_of[id(case)] = (case.source, case.line, 1, f"case {case.id!r}")
    if not cases and not c.problems:
        c.at(
            ("cases",) if "cases" in c.loaded.data else (),
            "spec has no cases: add 'cases:' or 'cases_file:'",
        )

    # duplicate ids
    seen: dict[str, Case] = {}
    for case in cases:
        if case.id in seen:
            first = seen[case.id]
            src, line, col, where_ = _locate(c, where_of[id(case)], "id")
            c.problems.append(
                SpecProblem(
                    src,
                    line,
                    col,
                    f"duplicate case id {case.id!r} (first at {first.source}:{first.line}): "
                    "case ids must be unique",
                    where_,
                )
            )
        else:
            seen[case.id] = case

    # templates (prompts, assertion values) against every case; renders assertion values
    if templates_ok:
        rendered, template_problems = check_case_templates(
            cases,
            parsed.vars,
            sources,
            spec_expect,
            functools.partial(_place, c, where_of),
            template_root=(template.base_dir, template.root),
        )
        where_of.update(
            {id(new): where_of[id(old)] for new, old in zip(rendered, cases, strict=True)}
        )
        cases = rendered
        c.problems.extend(template_problems)
    if schema is not None and not c.problems:
        cases, field_problems = check_field_paths(
            schema, cases, spec_expect, functools.partial(_place, c, where_of)
        )
        c.problems.extend(field_problems)

    if c.problems:
        return None
    return Spec(
        name=parsed.name or path.stem,
        path=c.path,
        prompt=template,
        prompts=tuple(PromptVariant(n, t) for n, t in templates if n is not None),
        cases=tuple(cases),
        description=parsed.description,
        models=tuple(parsed.models),
        params={k: v for k, v in parsed.params.model_dump().items() if v is not None},
        schema=schema,
        schema_source=schema_source,
        tools=tuple(ToolDef(t.name, t.description, t.parameters) for t in parsed.tools),
        tags=tuple(parsed.tags),
        threshold=parsed.threshold,
        max_cost=parsed.max_cost,
        batch=parsed.batch,
        judge=parsed.judge,
        content_hash=digest.hexdigest()[:16],
        vars=dict(parsed.vars),
        embedder=parsed.embedder,
    )


def _case(
    case_file: CaseFile,
    index: int,
    spec_expect: tuple[Assertion, ...],
    normalize: tuple[str, ...],
    parsed: SpecFile,
    source: str,
    line: int,
    default_id: str | None = None,
) -> Case:
    case_id = str(case_file.id) if case_file.id is not None else (default_id or f"case-{index + 1}")
    skip = (
        case_file.skip
        if isinstance(case_file.skip, str)
        else ("skipped in spec" if case_file.skip else None)
    )
    return Case(
        id=case_id,
        vars=dict(case_file.vars),
        expect=spec_expect + tuple(_assertion(a, normalize) for a in case_file.expect),
        description=case_file.description,
        tags=tuple(dict.fromkeys((*parsed.tags, *case_file.tags))),
        threshold=case_file.threshold if case_file.threshold is not None else parsed.threshold,
        repeat=case_file.repeat or parsed.repeat,
        skip=skip,
        source=source,
        line=line,
        transform=sources_of(case_file.transform if case_file.transform else parsed.transform),
    )


def _file_cases(
    file: Path,
    where: PathKey,
    spec_expect: tuple[Assertion, ...],
    normalize: tuple[str, ...],
    parsed: SpecFile,
    c: _Collector,
    digest: Any,
) -> list[Case]:
    if not file.is_file():
        c.at(
            where,
            f"cases file {shown_path(file)} not found (paths are relative to the spec's folder)",
        )
        return []
    shown = shown_path(file)
    raw_cases, file_problems = read_cases_file(file)
    for p in file_problems:
        c.problems.append(SpecProblem(shown, p.line, p.col, p.message))
    digest.update(file.read_bytes())
    out: list[Case] = []
    for n, raw in enumerate(raw_cases, start=1):
        # the row's own positions: a problem points at the offending key or cell
        row = LoadedYAML(raw.data, values=raw.values or {(): Pos(raw.line, 1)}, keys=raw.keys)
        case_file, problems = validate_file_model(CaseFile, row, shown)
        c.problems.extend(problems)
        row_problems = _Collector(shown, row, c.problems)
        # $ref paths are relative to the spec's folder, as when evaluated
        _check_assertions(
            row_problems,
            raw.data.get("expect"),
            ("expect",),
            file.parent,
            ref_dir=Path(c.path).parent,
        )
        for where_, message in transform_problems(raw.data, file.parent):
            row_problems.at(where_, message)
        if case_file is not None:
            out.append(
                _case(
                    case_file,
                    n - 1,
                    spec_expect,
                    normalize,
                    parsed,
                    shown,
                    raw.line,
                    f"{file.stem}-{n}",
                )
            )
    return out


def _schema(
    value: dict[str, Any], base_dir: Path, c: _Collector
) -> tuple[Mapping[str, Any] | None, str | None]:
    if set(value) == {"model"} and isinstance(value["model"], str):
        ref = value["model"]
        if not may_execute():  # validate: locate the model, run nothing
            problem = ref_problem(ref, base_dir)
            if problem:
                c.at(("schema", "model"), problem)
            return None, ref
        try:
            obj = import_ref(ref, base_dir=base_dir)
        except ImportRefError as exc:
            c.at(("schema", "model"), str(exc))
            return None, ref
        if not (isinstance(obj, type) and issubclass(obj, BaseModel)):
            c.at(("schema", "model"), f"{ref!r} is not a pydantic model class")
            return None, ref
        return obj.model_json_schema(), ref
    resolved = resolve_refs(value, base_dir, c.path, c.loaded)  # file $refs, positions kept
    c.problems.extend(resolved.problems)
    value = resolved.value
    import jsonschema  # here: most runs have no schema, and it costs start-up time

    validator = jsonschema.validators.validator_for(value, default=jsonschema.Draft202012Validator)
    for error in validator(validator.META_SCHEMA).iter_errors(value):
        where: PathKey = ("schema", *error.absolute_path)
        if error.context:  # anyOf/oneOf: the closest alternative says more
            error = jsonschema.exceptions.best_match(error.context) or error
        origin, rest = resolved.locate(where)
        if origin is None:
            c.at(where, f"invalid JSON Schema: {error.message}")
        else:
            pos = origin.pos(rest)
            message = f"invalid JSON Schema: {error.message}"
            c.problems.append(
                SpecProblem(origin.file, pos.line, pos.col, message, dotted((*origin.base, *rest)))
            )
    return value, None


def _locate(
    c: _Collector, origin: tuple[str, int, int, str], key: str
) -> tuple[str, int, int, str]:
    """Where to point for ``key`` of a case: the key itself for inline cases, else the row."""
    src, line, col, where = origin
    if src == c.path and where.startswith("cases."):
        path = (*_path_of(where), key)
        pos = c.loaded.pos(path) if path in c.loaded.values else c.loaded.pos(path[:-1])
        return src, pos.line, pos.col, f"{where}.{key}"
    return src, line, col, key


def _place(
    c: _Collector, where_of: dict[int, tuple[str, int, int, str]], case: Case | None, key: PathKey
) -> Place:
    """Where ``key`` was written: in the spec (``case`` None) or inside ``case``."""
    if case is None:
        pos = c.loaded.pos(key)
        return Place(c.path, pos.line, pos.col, dotted(key))
    src, line, col, where = where_of[id(case)]
    if src == c.path and where.startswith("cases."):
        path = (*_path_of(where), *key)
        pos = c.loaded.pos(path)
        return Place(src, pos.line, pos.col, dotted(path))
    return Place(src, line, col, dotted(key))


def _path_of(where: str) -> PathKey:
    """``cases.3`` -> ("cases", 3)."""
    return tuple(int(p) if p.isdigit() else p for p in where.split("."))


def _python_import_problem(item: dict[str, Any], base_dir: Path) -> str | None:
    """Import a ``python`` assertion's function now, so a typo fails at validate time."""
    base, _ = split_negation(str(item.get("type", "")))
    ref = item.get("value")
    if base != "python" or not isinstance(ref, str):
        return None
    problem = ref_problem(ref, base_dir)  # located and read, never run
    return f"python assertion: {problem}" if problem else None


def iter_spec_files(paths: Iterable[Path]) -> tuple[list[Path], list[SpecProblem]]:
    """Spec files below the given paths (in folders: each *.yaml/*.yml that looks like a spec)."""
    files: list[Path] = []
    problems: list[SpecProblem] = []
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.suffix in SPEC_SUFFIXES and f.is_file() and _is_spec_candidate(f):
                    files.append(f)
        elif p.is_file():
            files.append(p)
        else:
            problems.append(SpecProblem(shown_path(p), 1, 1, "no such file or folder"))
    return files, problems


def _is_spec_candidate(path: Path) -> bool:
    if path.name == "harness.yaml":
        return False
    try:
        head = path.read_bytes()[:65536]
    except OSError:
        return True
    # a folder scan skips YAML that plainly is not a spec (CI configs, data);
    # files named on the command line are always checked
    loaded = load_yaml(head.decode("utf-8", "replace")) if b"\x00" not in head else None
    if loaded is None or loaded.problems or loaded.data is None:
        return True
    return (
        looks_like_spec(loaded.data) or not isinstance(loaded.data, dict) or "prompt" in str(head)
    )


def load_specs(
    paths: Iterable[Path], config: ProjectConfig | None = None
) -> tuple[list[Spec], list[SpecProblem]]:
    """Load every spec below ``paths``; returns the good specs and all problems found.

    Also checks that spec names are unique across files.
    """
    files, problems = iter_spec_files(paths)
    specs: list[Spec] = []
    for f in files:
        try:
            specs.append(load_spec(f, config))
        except SpecError as exc:
            problems.extend(exc.problems)
        except ConfigError as exc:
            problems.append(SpecProblem(shown_path(f), 1, 1, str(exc)))
    by_name: dict[str, Spec] = {}
    for spec in specs:
        if spec.name in by_name:
            problems.append(
                SpecProblem(
                    spec.path,
                    1,
                    1,
                    f"duplicate spec name {spec.name!r} (also {by_name[spec.name].path}): "
                    "give each spec a unique 'name'",
                    "name",
                )
            )
        else:
            by_name[spec.name] = spec
    return specs, problems
