"""A spec's cases, checked as a stream and held lazily.

Every case (inline, then each cases file's rows as they are read) goes once through:
validate the row (:func:`~harness.spec.valid_cases.file_cases`) -> build the case
(:mod:`harness.spec.build`) -> check its id, its templates and its ``field:`` paths. Only
what the checks need stays in memory (each id with its first place, the problems' counts
and first cases), never the cases of a file. The spec then holds :class:`SpecCases`: the
inline cases, and its cases files re-read (without checks: they passed) each time the
cases are iterated, so a run over a million rows never holds them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import chain, islice
from pathlib import Path
from typing import Any, overload

from harness.errors import SpecError, SpecProblem
from harness.spec.build import build_case, prompt_root, spec_expectations
from harness.spec.case_templates import CaseTemplates, Place
from harness.spec.field_paths import FieldPaths
from harness.spec.problems import shown_path
from harness.spec.types import Assertion, Case
from harness.spec.valid_cases import (
    Collector,
    DuplicateIds,
    ValidCase,
    file_cases,
    place_in,
    reread_file_cases,
)
from harness.spec.validate import ValidSpec
from harness.spec.yaml_loader import PathKey
from harness.tools.checks import exchange_problems

Finish = Callable[[ValidCase], Case]


def check_cases(valid: ValidSpec, c: Collector) -> Sequence[Case]:
    """Check every case of a validated spec, problems to ``c``; the spec's cases (a tuple
    for inline cases only, else :class:`SpecCases`)."""
    spec_expect = spec_expectations(valid.parsed)
    current: list[ValidCase] = []  # the case being checked: where its keys are

    def place(case: Case | None, key: PathKey) -> Place:
        return place_in(c, None if case is None else current[0], key)

    templates = (
        CaseTemplates(
            valid.parsed.vars,
            valid.sources,
            spec_expect,
            place,
            template_root=prompt_root(valid),
        )
        if valid.templates_ok
        else None
    )
    fields = FieldPaths(valid.schema, spec_expect, place) if valid.schema is not None else None
    ids = DuplicateIds(c)
    inline: list[Case] = []
    counted = 0
    file_rows = (file_cases(path, where, c, valid.digest) for path, where in valid.files)
    for one in chain(valid.cases, *file_rows):
        counted += 1
        current[:] = [one]
        ids.case(one)
        case = build_case(one, valid.parsed, spec_expect)
        if templates is not None:
            case = templates.case(case)
        if fields is not None:
            case = fields.case(case)
        if templates is not None:  # turns: and turn: N, once the templates hold
            c.problems.extend(exchange_problems([case], valid.parsed.vars, len(spec_expect), place))
        if one.inline:
            inline.append(case)
    if not counted and not c.problems:
        c.at(
            ("cases",) if "cases" in c.loaded.data else (),
            "spec has no cases: add 'cases:' or 'cases_file:'",
        )
    if templates is not None:
        c.problems.extend(templates.problems())
    if fields is not None and not c.problems:  # as before: typed only when all else holds
        c.problems.extend(fields.problems())
    if not valid.files:
        return tuple(inline)
    finish = _finisher(valid, spec_expect, templates, fields)
    # absolute, and named as when checked: the working directory may change before a run
    files = tuple((p.resolve(), shown_path(p), _stamp(p)) for p, _ in valid.files)
    return SpecCases(tuple(inline), files, counted, finish)


Stamp = tuple[int, int]
"""A file's size and modification time: whether it changed since it was checked."""


def _stamp(path: Path) -> Stamp:
    try:
        info = path.stat()
    except OSError:
        return (-1, -1)
    return (info.st_size, info.st_mtime_ns)


def _finisher(
    valid: ValidSpec,
    spec_expect: tuple[Assertion, ...],
    templates: CaseTemplates | None,
    fields: FieldPaths | None,
) -> Finish:
    """A checked row to its case, as the check made it (rendered, typed)."""
    parsed = valid.parsed

    def finish(one: ValidCase) -> Case:
        case = build_case(one, parsed, spec_expect)
        if templates is not None:
            case = templates.rendered(case)
        return fields.typed(case) if fields is not None else case

    return finish


HOLD_AT_MOST = 50_000
"""A spec of at most this many cases holds them after its first full reading (a run
iterates its cases several times, and re-reading a small file costs more than holding
it); a longer one re-reads its cases files on every pass, so memory stays flat."""


class SpecCases(Sequence[Case]):
    """A spec's cases: the inline ones held, each cases file's re-read when iterated
    (up to :data:`HOLD_AT_MOST` cases, held after the first full reading).

    Its length is known without reading; indexing walks to the index (iterate instead).
    Equal to any sequence of the same cases, a tuple included.
    """

    __slots__ = ("_files", "_finish", "_held", "_inline", "_len")

    def __init__(
        self,
        inline: tuple[Case, ...],
        files: tuple[tuple[Path, str, Stamp], ...],
        length: int,
        finish: Finish,
    ) -> None:
        self._inline = inline
        self._files = files
        self._len = length
        self._finish = finish
        self._held: tuple[Case, ...] | None = None

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Case]:
        """The cases in order; each cases file is read again.

        Raises:
            SpecError: a cases file changed since the spec was loaded (its new rows were
                never validated).
        """
        if self._held is not None:
            yield from self._held
            return
        hold: list[Case] | None = [] if self._len <= HOLD_AT_MOST else None
        for case in self._read():
            if hold is not None:
                hold.append(case)
            yield case
        if hold is not None:
            self._held = tuple(hold)

    def _read(self) -> Iterator[Case]:
        yield from self._inline
        for path, shown, stamp in self._files:
            if _stamp(path) != stamp:
                message = (
                    f"cases file {shown} changed since the spec was loaded: "
                    "its rows were validated as they were then; load the spec again"
                )
                raise SpecError([SpecProblem(shown, 1, 1, message)])
            for one in reread_file_cases(path, shown):
                yield self._finish(one)

    @overload
    def __getitem__(self, index: int) -> Case: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Case, ...]: ...

    def __getitem__(self, index: int | slice) -> Case | tuple[Case, ...]:
        if isinstance(index, slice):
            return tuple(self)[index]
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError("case index out of range")
        if index < len(self._inline):
            return self._inline[index]
        return next(islice(iter(self), index, None))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SpecCases({self._len} cases, files={[shown for _, shown, _ in self._files]})"

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled (pytest-xdist, a remote worker) as the cases themselves
        return (tuple, (tuple(self),))
