"""Check every template of a spec (prompts and assertion values) against every case.

A problem is reported once, at the template that has it, naming how many cases it hits
and the first few: a prompt reading ``{{ lable }}`` in a spec of 500 cases is one line
(``... is not defined by 500 of 500 cases ... (did you mean 'label'?)``), not 500.
Cases without problems come back with their assertion templates rendered
(:mod:`harness.spec.templated_values`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from harness.errors import PartError, SpecProblem
from harness.spec.parts import locate, part_kind_at
from harness.spec.templated_values import render_case, templates_in, variables_of
from harness.spec.templating import render
from harness.spec.types import Assertion, Case
from harness.spec.yaml_loader import PathKey

SHOWN_CASES = 3
"""How many of the cases a problem hits are named in its message."""


@dataclass(frozen=True, slots=True)
class Place:
    """Where something was written: file, line, column and dotted key."""

    path: str
    line: int
    col: int
    where: str


PlaceOf = Callable[[Case | None, PathKey], Place]
"""``place(None, key_path)`` for a key of the spec; ``place(case, key_path)`` inside a case."""


@dataclass(slots=True)
class _Hits:
    """The cases one problem of one template hits: how many, and the first few."""

    count: int = 0
    first: list[Case] = field(default_factory=list)

    def add(self, case: Case) -> None:
        self.count += 1
        if len(self.first) < SHOWN_CASES:
            self.first.append(case)


@dataclass(frozen=True, slots=True)
class _Template:
    place: Place
    source: str
    shared: bool  # read by every case (prompt, spec-level assertion) or by one
    part: str | None = None  # image/file/audio: the rendered value names a file


def check_case_templates(
    cases: Sequence[Case],
    spec_vars: Mapping[str, Any],
    prompt_sources: Sequence[tuple[PathKey, str]],
    spec_expect: Sequence[Assertion],
    place: PlaceOf,
    *,
    template_root: tuple[str | None, str | None] = (None, None),
) -> tuple[list[Case], list[SpecProblem]]:
    """The cases with assertion templates rendered, and every template problem found.

    ``prompt_sources`` are the prompt's (key path, source) pairs, already known to parse;
    ``spec_expect`` the spec-level assertions every case starts with; ``template_root``
    the (spec folder, project root) that includes and message-part files resolve against.
    A prompt source that is an image/file/audio part must render to a usable file.
    """
    check = CaseTemplates(
        spec_vars, prompt_sources, spec_expect, place, template_root=template_root
    )
    out = [check.case(case) for case in cases]
    return out, check.problems()


class CaseTemplates:
    """:func:`check_case_templates` one case at a time: feed every case to :meth:`case`,
    then read :meth:`problems`. Holds only the problems' counts and first cases, so a
    cases file can be checked as a stream."""

    def __init__(
        self,
        spec_vars: Mapping[str, Any],
        prompt_sources: Sequence[tuple[PathKey, str]],
        spec_expect: Sequence[Assertion],
        place: PlaceOf,
        *,
        template_root: tuple[str | None, str | None] = (None, None),
    ) -> None:
        self.spec_vars = spec_vars
        self.place = place
        self.base_dir, self.root = template_root
        self.spec_expect_count = len(spec_expect)
        self.shared: list[_Template] = [
            _Template(place(None, w), s, True, part_kind_at(w)) for w, s in prompt_sources
        ]
        for j, a in enumerate(spec_expect):
            self.shared.extend(
                _Template(place(None, ("expect", j, key)), source, True)
                for key, source in templates_in(a)
            )
        # spec-level assertion templates: every case renders
        self.shared_values = len(self.shared) > len(prompt_sources)
        self.syntax: list[SpecProblem] = []
        self.missing: dict[tuple[Place, str], _Hits] = {}
        self.failed: dict[tuple[Place, str], _Hits] = {}
        self.broken: set[Place] = set()
        self.known = set(spec_vars)
        self.total = 0

    def rendered(self, case: Case) -> Case:
        """A case known to be fine, with its assertion templates rendered."""
        own = any(True for a in case.expect[self.spec_expect_count :] for _ in templates_in(a))
        if own or self.shared_values:
            return render_case(case, {**self.spec_vars, **case.vars})
        return case

    def case(self, case: Case) -> Case:
        """Check one case's templates; the case rendered, or as it was when it has a problem."""
        self.total += 1
        self.known.update(case.vars)
        variables = {**self.spec_vars, **case.vars}
        own = [
            _Template(self.place(case, ("expect", k, key)), source, False)
            for k, a in enumerate(case.expect[self.spec_expect_count :])
            for key, source in templates_in(a)
        ]
        ok = True
        for template in (*self.shared, *own):
            try:
                names = variables_of(template.source)
            except jinja2.TemplateSyntaxError as exc:
                ok = False
                if template.place not in self.broken:
                    self.broken.add(template.place)
                    self.syntax.append(
                        _problem(
                            template.place,
                            f"template syntax error on template line {exc.lineno}: {exc.message}",
                        )
                    )
                continue
            for name in sorted(names - variables.keys()):
                ok = False
                self.missing.setdefault((template.place, name), _Hits()).add(case)
        if not ok:
            return case
        for template in (*self.shared, *own):
            try:
                value = render(template.source, variables, base_dir=self.base_dir, root=self.root)
                if template.part is not None:
                    folder = Path(self.base_dir) if self.base_dir else Path.cwd()
                    locate(template.part, value, folder, Path(self.root) if self.root else folder)
            except Exception as exc:  # a template error that only shows when rendered
                ok = False
                text = exc.message if isinstance(exc, jinja2.TemplateError) else None
                text = str(exc) if isinstance(exc, PartError) else text
                reason = text or f"{type(exc).__name__}: {exc}"
                self.failed.setdefault((template.place, reason), _Hits()).add(case)
        return self.rendered(case) if ok else case

    def problems(self) -> list[SpecProblem]:
        """Every problem found so far, one per template and cause."""
        problems = list(self.syntax)
        for (where, name), hits in self.missing.items():
            hint = _did_you_mean(name, self.known)
            problems.append(
                _problem(
                    where,
                    f"template variable {name!r} is not defined{hint}: "
                    f"{_which(hits, self.total)} lack{'s' if hits.count == 1 else ''} it; "
                    "add it to the case's vars or the spec's vars",
                )
            )
        for (where, reason), hits in self.failed.items():
            problems.append(
                _problem(where, f"rendering failed for {_which(hits, self.total)}: {reason}")
            )
        return problems


def _problem(where: Place, message: str) -> SpecProblem:
    return SpecProblem(where.path, where.line, where.col, message, where.where)


def _which(hits: _Hits, total: int) -> str:
    """``case 'b' at file:7`` or ``12 of 15 cases ('a' at file:2, ... and 9 more)``."""
    shown = ", ".join(f"{c.id!r} at {c.source}:{c.line}" for c in hits.first)
    if hits.count == 1:
        return f"case {shown}"
    more = f" and {hits.count - SHOWN_CASES} more" if hits.count > SHOWN_CASES else ""
    return f"{hits.count} of {total} cases ({shown}{more})"


def _did_you_mean(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known - {name}), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
