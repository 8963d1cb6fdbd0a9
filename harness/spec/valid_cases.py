"""Validate cases (inline and from cases files) and their expectations, with positions.

Part of the loader's validate step (:mod:`harness.spec.validate`). Every expectation a
spec holds (spec-level, an inline case's, a cases-file row's) is checked by one function,
:func:`check_expect`; every case comes out as a :class:`ValidCase` (its validated file
model and where it was written).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.errors import SpecProblem
from harness.expect.registry import check_assertion, split_negation
from harness.spec.case_templates import Place
from harness.spec.cases_file import CasesFileProblem, RawCase, iter_cases_file
from harness.spec.models import AssertionFile, CaseFile
from harness.spec.problems import dotted, shown_path, validate_file_model
from harness.spec.python_refs import ref_problem
from harness.spec.yaml_loader import LoadedYAML, PathKey, Pos
from harness.transforms.apply import check_transform, transform_problems


@dataclass(slots=True)
class Collector:
    """Problems of one spec file (and its cases files), in the order found."""

    path: str
    loaded: LoadedYAML
    problems: list[SpecProblem] = field(default_factory=list)

    def at(self, where: PathKey, message: str, *, key: bool = False) -> None:
        """A problem at ``where`` in this file (at its key when ``key``)."""
        pos = self.loaded.pos(where, key=key)
        self.problems.append(SpecProblem(self.path, pos.line, pos.col, message, dotted(where)))


@dataclass(frozen=True, slots=True)
class ValidCase:
    """A validated case and where it was written.

    ``where`` is ``cases.3`` for an inline case (its keys are found in the spec's
    positions) and ``case 'id'`` for a cases-file row; ``default_id`` names a case
    without ``id:`` (``case-4``, or ``<file stem>-<row>``).
    """

    model: CaseFile
    source: str
    line: int
    col: int
    where: str
    default_id: str
    index: int = 0

    @property
    def id(self) -> str:
        """The case's id: its ``id:``, else its default."""
        return str(self.model.id) if self.model.id is not None else self.default_id

    @property
    def inline(self) -> bool:
        """True for a case written in the spec itself."""
        return self.where.startswith("cases.")


def check_expect(
    c: Collector, items: Any, where: PathKey, base_dir: Path, *, ref_dir: Path | None = None
) -> None:
    """Check an ``expect:`` list's assertion types and options (and ``python:`` imports):
    the one path every expectation of a spec goes through."""
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


def assertion_of(data: Mapping[str, Any], base_dir: Path) -> tuple[AssertionFile | None, list[str]]:
    """One assertion written as a mapping outside a spec (the Python API), checked as a
    spec's are: its type and options, its file model, its transform; the problems in words."""
    problems = [message for _, message in check_assertion(data, base_dir=base_dir)]
    if not isinstance(data.get("type"), str):
        problems.append("an assertion needs 'type'")
    if problems:
        return None, problems
    try:
        model = AssertionFile.model_validate(dict(data))
    except ValidationError as exc:
        return None, [f"{dotted(tuple(e['loc']))}: {e['msg'].lower()}" for e in exc.errors()]
    _, problem = check_transform(model.transform, base_dir)
    return (None, [f"transform: {problem}"]) if problem else (model, [])


def _python_import_problem(item: dict[str, Any], base_dir: Path) -> str | None:
    """Locate a ``python`` assertion's function now, so a typo fails at validate time."""
    base, _ = split_negation(str(item.get("type", "")))
    ref = item.get("value")
    if base != "python" or not isinstance(ref, str):
        return None
    problem = ref_problem(ref, base_dir)  # located and read, never run
    return f"python assertion: {problem}" if problem else None


def file_cases(file: Path, where: PathKey, c: Collector, digest: Any) -> Iterator[ValidCase]:
    """The valid rows of one cases file, as they are read; their problems go to ``c`` with
    their positions (an unreadable file gives only that problem)."""
    if not file.is_file():
        c.at(
            where,
            f"cases file {shown_path(file)} not found (paths are relative to the spec's folder)",
        )
        return
    shown = shown_path(file)
    found: list[SpecProblem] = []  # kept apart: an unreadable file has only that problem
    n = 0
    for raw in iter_cases_file(file, digest=digest):
        if isinstance(raw, CasesFileProblem):
            if raw.fatal:
                c.problems.append(SpecProblem(shown, raw.line, raw.col, raw.message))
                return
            found.append(SpecProblem(shown, raw.line, raw.col, raw.message))
            continue
        n += 1
        # the row's own positions: a problem points at the offending key or cell
        row = LoadedYAML(raw.data, values=raw.values or {(): Pos(raw.line, 1)}, keys=raw.keys)
        case_file, problems = validate_file_model(CaseFile, row, shown)
        found.extend(problems)
        row_problems = Collector(shown, row, found)
        # $ref paths are relative to the spec's folder, as when evaluated
        check_expect(
            row_problems,
            raw.data.get("expect"),
            ("expect",),
            file.parent,
            ref_dir=Path(c.path).parent,
        )
        for where_, message in transform_problems(raw.data, file.parent):
            row_problems.at(where_, message)
        if case_file is not None:
            yield _row_case(case_file, file.stem, shown, raw.line, n)
    c.problems.extend(found)


def reread_file_cases(file: Path, shown: str) -> Iterator[ValidCase]:
    """The rows of a cases file :func:`file_cases` found valid, read again without checks
    (the spec's cases are re-read each time they are iterated, never all held); ``shown``
    is how the file was named when it was checked."""
    stem = file.stem
    n = 0
    for raw in iter_cases_file(file, positions=False):
        if isinstance(raw, RawCase):
            n += 1
            yield _row_case(CaseFile.model_validate(raw.data), stem, shown, raw.line, n)


def _row_case(model: CaseFile, stem: str, shown: str, line: int, n: int) -> ValidCase:
    name = f"{stem}-{n}"
    case_id = str(model.id) if model.id is not None else name
    return ValidCase(model, shown, line, 1, f"case {case_id!r}", name, n - 1)


class DuplicateIds:
    """Finds cases whose id an earlier case already has, as cases stream by (it keeps each
    id with the place of its first case, nothing more)."""

    def __init__(self, c: Collector) -> None:
        self.c = c
        self.first: dict[str, tuple[str, int]] = {}

    def case(self, case: ValidCase) -> None:
        """Note one case; a problem at its id when an earlier case has it."""
        case_id = case.id
        first = self.first.get(case_id)
        if first is None:
            self.first[case_id] = (case.source, case.line)
            return
        place = place_in(self.c, case, ("id",))
        self.c.problems.append(
            SpecProblem(
                place.path,
                place.line,
                place.col,
                f"duplicate case id {case_id!r} (first at {first[0]}:{first[1]}): "
                "case ids must be unique",
                place.where,
            )
        )


def place_in(c: Collector, case: ValidCase | None, key: PathKey) -> Place:
    """Where ``key`` was written: in the spec (``case`` None) or inside ``case`` (for an
    inline case without that key, the case; for a cases-file row, the row)."""
    if case is None:
        pos = c.loaded.pos(key)
        return Place(c.path, pos.line, pos.col, dotted(key))
    if case.source == c.path and case.inline:
        path = (*_path_of(case.where), *key)
        pos = c.loaded.pos(path)
        return Place(case.source, pos.line, pos.col, dotted(path))
    return Place(case.source, case.line, case.col, dotted(key))


def _path_of(where: str) -> PathKey:
    """``cases.3`` -> ("cases", 3)."""
    return tuple(int(p) if p.isdigit() else p for p in where.split("."))
