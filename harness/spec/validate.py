"""Validate a parsed spec into file models: every problem of a file, with its position.

The loader's middle step (parse -> **validate** -> build): the YAML, with positions, goes
through the strict file models of :mod:`harness.spec.models`, the checks the models
cannot do alone (assertion types and options, transforms, prompt files and template
syntax, the output schema, model ids) and comes out as a :class:`ValidSpec`, which
:mod:`harness.spec.build` turns into runtime objects without checking anything. Cases
files are validated row by row as they are read (:mod:`harness.spec.case_stream`).
Problems are collected, never raised one by one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from harness.config import ProjectConfig
from harness.drivers.registry import ECHO, known_providers
from harness.errors import SpecProblem
from harness.spec.defaults import inherit
from harness.spec.models import SpecFile
from harness.spec.parts import model_part_problems
from harness.spec.problems import validate_file_model
from harness.spec.prompts import message_sources
from harness.spec.schema_check import schema_of
from harness.spec.templating import template_variables
from harness.spec.types import MessageTemplate, ToolDef
from harness.spec.valid_cases import Collector, ValidCase, check_expect
from harness.spec.variants import name_problems, prompt_entries
from harness.spec.yaml_loader import LoadedYAML, PathKey
from harness.tools.definitions import spec_tools
from harness.transforms.apply import transform_problems

Messages = tuple[tuple[str, MessageTemplate], ...]


@dataclass(slots=True)
class ValidSpec:
    """A spec that passed validation: its file model (harness.yaml defaults filled in) and
    what validation resolved (prompt files read, schema resolved, cases files named)."""

    parsed: SpecFile
    shown: str
    base_dir: Path
    root: Path
    digest: Any
    """The spec's hash so far (hashlib); cases files are added to it as they are read."""
    variants: list[tuple[str | None, Messages]]
    sources: list[tuple[PathKey, str]]
    """Every prompt template as (where it is written, Jinja source)."""
    templates_ok: bool
    cases: list[ValidCase]
    """The inline cases; the rows of cases files are validated as they are read
    (:func:`harness.spec.valid_cases.file_cases`), never all held."""
    files: list[tuple[Path, PathKey]]
    """Each cases file, with where the spec names it."""
    schema: dict[str, Any] | None = None
    schema_source: str | None = None
    origins: dict[str, str] = field(default_factory=dict)
    tools: tuple[ToolDef, ...] = ()
    """``tools_file:``'s and ``tools:``, results read (:mod:`harness.tools.definitions`)."""


def validate_spec(
    path: Path, raw: bytes, loaded: LoadedYAML, shown: str, config: ProjectConfig | None
) -> tuple[ValidSpec | None, Collector]:
    """Validate one parsed spec file and everything it names.

    Returns the valid spec (None when the file model itself failed) and the problems
    found; a spec with problems is still returned when its parts could be validated,
    so the template checks that need built cases can add theirs.
    """
    c = Collector(shown, loaded)
    parsed, problems = validate_file_model(SpecFile, loaded, shown)
    if "prompt" not in loaded.data and "prompts" not in loaded.data:
        c.problems.append(SpecProblem(shown, 1, 1, "missing required key 'prompt'"))
    c.problems.extend(problems)
    for where, message in transform_problems(loaded.data, path.parent):
        c.at(where, message)
    check_expect(c, loaded.data.get("expect"), ("expect",), path.parent)
    cases_data = loaded.data.get("cases")
    if isinstance(cases_data, list):
        for i, case in enumerate(cases_data):
            if isinstance(case, dict):
                check_expect(c, case.get("expect"), ("cases", i, "expect"), path.parent)
    if parsed is None:
        return None, c
    parsed, origins = inherit(parsed, config)  # harness.yaml defaults
    return _validate_parts(parsed, path, raw, c, config, origins), c


def _validate_parts(
    parsed: SpecFile,
    path: Path,
    raw: bytes,
    c: Collector,
    config: ProjectConfig | None,
    origins: dict[str, str],
) -> ValidSpec:
    base_dir = path.parent
    digest = hashlib.sha256(raw)

    # prompt templates (inline, or in files inside the project)
    root = _project_root(config, base_dir)
    entries = prompt_entries(parsed)  # one prompt, or the variants of `prompts:`
    for where, message in name_problems(entries):
        c.at(where, message)
    variants: list[tuple[str | None, Messages]] = []
    sources: list[tuple[PathKey, str]] = []
    from_file: dict[PathKey, str] = {}
    for variant, prompt, at in entries:
        found = message_sources(prompt, at, base_dir, root, c.at, digest)
        variants.append((variant, tuple((m.role, m.source) for m in found)))
        sources += [t for m in found for t in m.templates()]
        from_file.update({m.where: m.file for m in found if m.file})
    templates_ok = _template_syntax(c, sources, from_file)

    schema: dict[str, Any] | None = None
    schema_source: str | None = None
    if parsed.schema_ is not None:
        schema, schema_source = schema_of(parsed.schema_, base_dir, c)

    _model_ids(c, parsed, config)
    for where, message in model_part_problems(
        sources, parsed.models or _default_models(config), config
    ):
        c.at(where, message)
    tools = spec_tools(parsed, c, base_dir, digest)  # tools_file:, tools:, tool_choice

    # cases: inline (validated with the spec's file model); cases files are named here
    cases: list[ValidCase] = []
    for i, case_file in enumerate(parsed.cases):
        pos = c.loaded.pos(("cases", i))
        cases.append(ValidCase(case_file, c.path, pos.line, pos.col, f"cases.{i}", f"case-{i + 1}"))
    names = (
        [parsed.cases_file] if isinstance(parsed.cases_file, str) else list(parsed.cases_file or [])
    )
    files: list[tuple[Path, PathKey]] = [
        (
            base_dir / name,
            ("cases_file",) if isinstance(parsed.cases_file, str) else ("cases_file", k),
        )
        for k, name in enumerate(names)
    ]
    return ValidSpec(
        parsed=parsed,
        shown=c.path,
        base_dir=base_dir,
        root=root,
        digest=digest,
        variants=variants,
        sources=sources,
        templates_ok=templates_ok,
        cases=cases,
        files=files,
        schema=schema,
        schema_source=schema_source,
        origins=origins,
        tools=tools,
    )


def _template_syntax(
    c: Collector, sources: list[tuple[PathKey, str]], from_file: dict[PathKey, str]
) -> bool:
    """Report each prompt template that does not parse; True when all of them do."""
    ok = True
    for where, source in sources:
        try:
            template_variables(source)
        except jinja2.TemplateSyntaxError as exc:
            ok = False
            in_file = f" of {from_file[where]}" if where in from_file else ""
            c.at(
                where,
                f"template syntax error on line {exc.lineno}{in_file}: {exc.message}"
                if in_file
                else f"template syntax error on template line {exc.lineno}: {exc.message}",
            )
    return ok


def _model_ids(c: Collector, parsed: SpecFile, config: ProjectConfig | None) -> None:
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


def _default_models(config: ProjectConfig | None) -> list[str]:
    return list(config.defaults.models) if config is not None else []


def _project_root(config: ProjectConfig | None, base_dir: Path) -> Path:
    """What prompt files and includes must stay inside: harness.yaml's folder, else the
    working directory when the spec is below it, else the spec's own folder."""
    if config is not None and config.path is not None:
        return config.root.resolve()
    cwd = Path.cwd().resolve()
    return cwd if base_dir.resolve().is_relative_to(cwd) else base_dir.resolve()
