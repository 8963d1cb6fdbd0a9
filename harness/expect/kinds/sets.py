"""``assert-set``: several assertions that count as one, inline or from a shared file.

```yaml
- type: assert-set
  threshold: 0.5          # optional: the set's weighted score needed (default: all pass)
  assert:
    - type: contains
      value: Paris
    - type: not-is-refusal
- type: assert-set
  $ref: checks/sets.yaml#polite     # a named set in a shared file, next to the spec
```

A shared file maps names to sets: either a list of assertions, or a mapping with
``assert:`` (and optionally ``threshold:``). Members are validated like any assertion
(their problems name ``assert.N``), may be sets themselves, and inherit the set's
``normalize``. The set's verdict combines its members' as a case does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationInfo, model_validator

from harness.expect.common import Context, EvalError, Outcome
from harness.expect.declare import AssertionType, OptionError, Options
from harness.spec.types import Assertion

MAX_DEPTH = 8  # sets inside sets: deep enough for any honest use, and stops $ref cycles
_SET_KEYS = frozenset(
    {"type", "value", "field", "weight", "threshold", "normalize", "metric", "transform"}
)


class SetOptions(Options):
    """The members, inline (``assert``) or by reference (``$ref: file.yaml#name``)."""

    assert_: list[Any] | None = Field(default=None, alias="assert")
    ref: str | None = Field(default=None, alias="$ref")

    @model_validator(mode="after")
    def _members(self, info: ValidationInfo) -> SetOptions:
        context = info.context or {}
        if (self.assert_ is None) == (self.ref is None):
            raise ValueError("assert-set needs its members under 'assert:' or a '$ref:', not both")
        base_dir = context.get("base_dir")
        depth = int(context.get("depth", 0))
        refs: tuple[str, ...] = tuple(context.get("refs", ()))
        if self.ref is not None:
            if self.ref in refs:
                raise OptionError("$ref", f"$ref cycle: {' -> '.join((*refs, self.ref))}")
            if base_dir is None:
                return self  # nowhere to look from: checked when evaluated
            refs = (*refs, self.ref)
            try:
                members, _ = load_ref(self.ref, str(base_dir))
            except ValueError as exc:
                raise OptionError("$ref", str(exc)) from None
            where = f"{self.ref}: "
        else:
            members, where = self.assert_ or [], ""
        problems = member_problems(members, base_dir, depth, refs)
        if problems:
            key = "$ref" if self.ref is not None else "assert"
            raise OptionError(key, "; ".join(f"{where}{p}" for p in problems[:5]))
        return self


def member_problems(
    members: list[Any], base_dir: Path | str | None, depth: int, refs: tuple[str, ...] = ()
) -> list[str]:
    """Every problem of a set's members, as ``assert.N.key: message``."""
    from harness.expect.registry import check_assertion

    if not members:
        return ["an assert-set needs at least one member"]
    if depth >= MAX_DEPTH:
        return [f"sets nest more than {MAX_DEPTH} deep"]
    problems = []
    for i, member in enumerate(members):
        if not isinstance(member, dict) or not isinstance(member.get("type"), str):
            problems.append(f"assert.{i}: a member is an assertion with a 'type'")
            continue
        found = check_assertion(member, base_dir=base_dir, depth=depth + 1, refs=refs)
        for key, message in found:
            problems.append(f"assert.{i}{'.' + key if key else ''}: {message}")
    return problems


@lru_cache(maxsize=128)
def load_ref(ref: str, base_dir: str) -> tuple[list[Any], float | None]:
    """The members and threshold of ``file.yaml#name``, relative to ``base_dir``.

    Raises:
        ValueError: the file, the name or the set's shape is wrong (says which).
    """
    file, sep, name = ref.partition("#")
    name = name.lstrip("/")
    if not sep or not file or not name:
        raise ValueError(f"$ref {ref!r} must be 'file.yaml#name'")
    path = Path(base_dir) / file
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"$ref {ref!r}: cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"$ref {ref!r}: {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or name not in data:
        names = ", ".join(sorted(map(str, data))) if isinstance(data, dict) else "none"
        raise ValueError(f"$ref {ref!r}: no set {name!r} in {path}; sets there: {names}")
    entry = data[name]
    if isinstance(entry, list):
        return entry, None
    if isinstance(entry, dict) and isinstance(entry.get("assert"), list):
        threshold = entry.get("threshold")
        if threshold is not None and not (
            isinstance(threshold, int | float) and 0 <= threshold <= 1
        ):
            raise ValueError(f"$ref {ref!r}: threshold must be a number from 0 to 1")
        return entry["assert"], threshold
    raise ValueError(f"$ref {ref!r}: a set is a list of assertions or a mapping with 'assert:'")


def to_assertion(data: Mapping[str, Any], inherited: tuple[str, ...]) -> Assertion:
    """A member as written (already validated) as a runtime assertion."""
    from harness.expect.registry import split_negation
    from harness.transforms.apply import sources_of

    base, negate = split_negation(str(data["type"]))
    normalize = data.get("normalize")
    return Assertion(
        type=base,
        value=data.get("value"),
        field=data.get("field"),
        weight=float(data.get("weight", 1.0)),
        threshold=data.get("threshold"),
        negate=negate,
        normalize=tuple(normalize) if normalize is not None else inherited,
        options={k: v for k, v in data.items() if k not in _SET_KEYS or k == "metric"},
        transform=sources_of(data.get("transform")),
    )


async def assert_set(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """Evaluate the members and combine them as a case is combined."""
    from harness.expect.evaluate import combine, evaluate_async

    threshold = a.threshold
    ref = a.options.get("$ref")
    if ref is not None:
        base = str(Path(ctx.spec.path).parent) if ctx.spec.path else "."
        try:
            members, shared_threshold = load_ref(str(ref), base)
        except ValueError as exc:
            raise EvalError(f"assert-set: {exc}") from None
        threshold = threshold if threshold is not None else shared_threshold
    else:
        members = list(a.options.get("assert") or [])
    assertions = [to_assertion(m, a.normalize) for m in members]
    verdicts = tuple(await asyncio.gather(*(evaluate_async(m, ctx) for m in assertions)))
    case = combine(verdicts, threshold)
    errors = [v for v in verdicts if v.error is not None]
    if errors:
        raise EvalError(f"assert-set: {errors[0].assertion}: {errors[0].error}", raw=errors[0].raw)
    name = f"set {ref}" if ref else f"set of {len(verdicts)}"
    return Outcome(case.passed, case.score, f"{name}: {case.reason}")


ASSERT_SET = AssertionType(
    "assert-set",
    "its member assertions (inline or $ref to a shared file) pass as one",
    assert_set,
    SetOptions,
    subject="self",
    section="sets",
)
