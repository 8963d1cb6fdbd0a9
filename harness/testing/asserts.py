"""``harness_assert``: the spec assertion library for Python-written tests.

Assertions are written as in a spec's ``expect:`` list::

    def test_person(harness_assert):
        harness_assert('{"name": "John"}', [
            {"type": "equals", "field": "name", "value": "John"},
            {"type": "not-contains", "value": "Jon "},
        ], schema={"type": "object"})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.drivers.base import Response
from harness.errors import ConfigError
from harness.expect.evaluate import evaluate_case, parse_output
from harness.expect.types import CaseVerdict, Output
from harness.spec.build import build_assertion
from harness.spec.types import Assertion, Case, PromptTemplate, Spec
from harness.spec.valid_cases import assertion_of
from harness.testing.client import run_sync


def to_assertion(data: Mapping[str, Any] | Assertion) -> Assertion:
    """An assertion from its spec form (``{"type": "contains", "value": "Paris"}``).

    Raises:
        ConfigError: unknown type, unknown option or missing value (the spec loader's checks).
    """
    if isinstance(data, Assertion):
        return data
    model, problems = assertion_of(data, Path.cwd())  # the spec loader's checks
    if model is None:
        raise ConfigError("; ".join(problems))
    return build_assertion(model, ())


def to_output(output: str | Response | Output, schema: Mapping[str, Any] | None) -> Output:
    """The assertions' view of an answer (JSON extracted when a schema is given)."""
    if isinstance(output, Output):
        return output
    if isinstance(output, Response):
        return parse_output(output.text, schema, response=output)
    return parse_output(output, schema)


def check(
    output: str | Response | Output,
    assertions: Sequence[Mapping[str, Any] | Assertion],
    *,
    schema: Mapping[str, Any] | None = None,
    threshold: float | None = None,
) -> CaseVerdict:
    """Evaluate assertions on an output and raise when the case fails.

    A schema makes the output parsed as JSON (for ``field`` and ``schema-valid``).

    Raises:
        AssertionError: one line per failing assertion with its reason.
        ConfigError: an assertion is malformed.
    """
    expect = tuple(to_assertion(a) for a in assertions)
    spec = Spec(name="python", path="", prompt=PromptTemplate(()), cases=(), schema=schema)
    case = Case(id="harness_assert", vars={}, expect=expect, threshold=threshold)
    verdict: CaseVerdict = run_sync(evaluate_case(spec, case, to_output(output, schema)))
    if not verdict.passed:
        lines = [f"{verdict.reason or 'expectations failed'} (score {verdict.score:.2f})"]
        for v in verdict.verdicts:
            if not v.passed:
                where = f" {v.field}" if v.field else ""
                lines.append(f"  ✗ {v.assertion}{where}: {v.error or v.reason}")
        raise AssertionError("\n".join(lines))
    return verdict
