"""Expectations: assertion types, JSON extraction and repair, the judge.

The runner calls :func:`parse_output` on each answer and :func:`evaluate_case` on the
result; see docs/expectations.md for every assertion type.
"""

from __future__ import annotations

from harness.expect.declare import AssertionType, Options, Outcome
from harness.expect.evaluate import evaluate_case, parse_output
from harness.expect.extract import Extracted, extract_json
from harness.expect.types import CaseVerdict, JudgeCall, Output, Verdict

__all__ = [
    "AssertionType",
    "CaseVerdict",
    "Extracted",
    "JudgeCall",
    "Options",
    "Outcome",
    "Output",
    "Verdict",
    "evaluate_case",
    "extract_json",
    "parse_output",
]
