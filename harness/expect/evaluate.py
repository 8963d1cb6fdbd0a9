"""Evaluate a case's expectations against a model's output (interface placeholder;
the expectations stage replaces the bodies, keeping the signatures)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from harness.drivers.base import Response
from harness.expect.types import CaseVerdict, JudgeCall, Output
from harness.spec.types import Case, Spec


def parse_output(text: str, schema: Mapping[str, Any] | None, *, response: Response | None = None) -> Output:
    """Prepare a model's text for assertions, extracting JSON when a schema is set."""
    if schema is None:
        return Output(text=text, response=response)
    try:
        return Output(text=text, parsed=json.loads(text), response=response)
    except json.JSONDecodeError as exc:
        return Output(text=text, parse_error=str(exc), response=response)


async def evaluate_case(
    spec: Spec, case: Case, output: Output, *, judge: JudgeCall | None = None
) -> CaseVerdict:
    """Run every expectation of ``case`` on ``output`` and combine them."""
    raise NotImplementedError
