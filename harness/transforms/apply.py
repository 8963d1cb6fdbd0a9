"""Transforms meet specs and assertions: validated at load time, applied before checking.

A case's transforms (its own ``transform:``, else the spec's) turn the answer once, before
any assertion; an assertion's ``transform:`` turns what that assertion sees on top of that.
An answer a transform cannot turn (no JSON, no match) fails the assertions that needed it,
with a reason naming the transform.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.transforms.registry import (
    TransformError,
    apply_transforms,
    as_sources,
    build_transforms,
)

if TYPE_CHECKING:  # harness.expect imports this module: its names are imported where used
    from harness.expect.common import Context
    from harness.expect.types import Output, Verdict
    from harness.spec.types import Assertion, Case, Spec


def check_transform(value: Any, base_dir: Path) -> tuple[tuple[str, ...], str | None]:
    """A ``transform:`` value as sources, and the first problem with it (None when usable)."""
    if value is None:
        return (), None
    sources = as_sources(value)
    if isinstance(sources, str):
        return (), sources
    try:
        build_transforms(sources, base_dir.resolve())
    except TransformError as exc:
        return sources, str(exc)
    return sources, None


def _base_dir(spec: Spec) -> Path:
    return Path(spec.path).resolve().parent


def describe(sources: tuple[str, ...]) -> str:
    """``strip-think, last-line`` for a reason."""
    return ", ".join(sources)


def transformed(spec: Spec, sources: tuple[str, ...], output: Output) -> Output:
    """``output`` with its text turned by ``sources`` (JSON re-extracted when the spec has a
    schema); ``raw_text`` keeps the answer as the model gave it.

    Raises:
        TransformError: the answer could not be turned (names the transform).
    """
    from harness.expect.evaluate import parse_output  # evaluate imports this module

    chain = build_transforms(sources, _base_dir(spec))
    text = apply_transforms(chain, output.text)
    # the driver's own parsed value belongs to the raw answer: parse the new text afresh
    fresh = parse_output(text, spec.schema)
    raw = output.raw_text if output.raw_text is not None else output.text
    done = (*output.transforms, *sources)
    return dataclasses.replace(fresh, response=output.response, raw_text=raw, transforms=done)


def case_output(spec: Spec, case: Case, output: Output) -> Output | str:
    """The output a case's assertions see: its transforms applied once (a second call is a
    no-op), or why that failed."""
    if not case.transform or output.transforms:
        return output
    try:
        return transformed(spec, case.transform, output)
    except TransformError as exc:
        return str(exc)


def assertion_context(a: Assertion, ctx: Context) -> Context | Verdict:
    """The context ``a`` is evaluated in: ``ctx`` itself, or one whose output went through
    the assertion's own transforms (a failed verdict when they could not run)."""
    if not a.transform:
        return ctx
    from harness.expect.common import Context

    try:
        out = transformed(ctx.spec, a.transform, ctx.output)
    except TransformError as exc:
        return unmet(a, str(exc))
    return Context(ctx.spec, ctx.case, out, ctx.judge, ctx.judge_model, ctx.embed, ctx.embedder)


def unmet(a: Assertion, problem: str) -> Verdict:
    """A failed verdict for an answer a transform could not turn (fails even under ``not-``)."""
    from harness.expect.types import Verdict

    return Verdict(a.label, False, 0.0, f"could not check: {problem}", a.weight, a.field)


def note(verdict: Verdict, output: Output) -> Verdict:
    """Say in the reason which answer the assertion looked at."""
    if not output.transforms:
        return verdict
    tail = f" [checked the answer after {describe(output.transforms)}]"
    return dataclasses.replace(verdict, reason=verdict.reason + tail)


def sources_of(value: Any) -> tuple[str, ...]:
    """A validated ``transform:`` value as its sources (``()`` for none)."""
    sources = as_sources(value) if value is not None else ()
    return () if isinstance(sources, str) else sources


def transform_problems(data: Any, base_dir: Path) -> list[tuple[tuple[str | int, ...], str]]:
    """Every problem with the ``transform:`` keys of a spec (or of one cases-file row), as
    (data path, message): on the spec, on each case, and on each assertion."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    if not isinstance(data, dict):
        return found

    def check(owner: Any, where: tuple[str | int, ...]) -> None:
        if isinstance(owner, dict) and "transform" in owner:
            _, problem = check_transform(owner["transform"], base_dir)
            if problem:
                found.append(((*where, "transform"), problem))
        expect = owner.get("expect") if isinstance(owner, dict) else None
        for j, item in enumerate(expect if isinstance(expect, list) else []):
            if isinstance(item, dict) and "transform" in item:
                _, problem = check_transform(item["transform"], base_dir)
                if problem:
                    found.append(((*where, "expect", j, "transform"), problem))

    check(data, ())
    cases = data.get("cases")
    for i, case in enumerate(cases if isinstance(cases, list) else []):
        check(case, ("cases", i))
    return found
