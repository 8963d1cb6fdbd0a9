"""A JSON Schema inferred from example outputs (``harness schema infer``), via genson.

Each example is one line of a JSONL file: a JSON value, or a string holding a model's
answer (its JSON is extracted as assertions would). The schema is the narrowest one
genson finds that every example satisfies; ``required`` lists the keys every object had.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import SpecProblem
from harness.expect.extract import extract_json


@dataclass(frozen=True, slots=True)
class Examples:
    """Example values read from a file, and the problems of the lines that gave none."""

    values: list[Any]
    problems: list[SpecProblem]


def read_examples(path: Path, shown: str) -> Examples:
    """Every example of a JSONL file; a line that is not JSON is a problem at its line."""
    values: list[Any] = []
    problems: list[SpecProblem] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        return Examples([], [SpecProblem(shown, 1, 1, f"cannot read examples: {reason}")])
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            message = f"not JSON ({exc.msg}): write one JSON value per line"
            problems.append(SpecProblem(shown, n, exc.colno, message))
            continue
        if isinstance(value, str):  # a model's raw answer: take the JSON inside it
            got = extract_json(value)
            if got.error is not None:
                problems.append(SpecProblem(shown, n, 1, f"no JSON in this answer: {got.error}"))
                continue
            value = got.value
        values.append(value)
    return Examples(values, problems)


def infer_schema(values: Iterable[Any]) -> dict[str, Any]:
    """The JSON Schema genson infers for ``values`` (without its ``$schema`` key)."""
    from genson import SchemaBuilder  # only this command needs it

    builder = SchemaBuilder()
    for value in values:
        builder.add_object(value)
    schema: dict[str, Any] = builder.to_schema()
    schema.pop("$schema", None)
    return schema
