"""Rebuild ``openai/openapi.yaml`` from OpenAI's full OpenAPI description.

Keeps the schemas the contract tests check and every schema they reach through ``$ref``,
without prose (descriptions, titles, examples, ``x-`` extensions), which never changes
what validates::

    python -m tests.drivers.contracts.trim_openai path/to/openapi.yaml > \\
        tests/drivers/contracts/openai/openapi.yaml
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOTS = (
    "CreateChatCompletionRequest",
    "CreateChatCompletionResponse",
    "CreateChatCompletionStreamResponse",
)
"""The schemas ``tests/drivers/test_openai_contract.py`` validates against."""

PROSE = frozenset({"description", "example", "examples", "title"})
# keys of these maps are names a user chose (a property may be called "description")
NAMED_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
LOCAL_REF = "#/components/schemas/"


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for child in node:
            yield from _refs(child)


def _strip(node: Any) -> Any:
    if isinstance(node, list):
        return [_strip(child) for child in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in PROSE or key.startswith("x-"):
            continue
        if key in NAMED_MAPS and isinstance(value, dict):
            out[key] = {name: _strip(schema) for name, schema in value.items()}
        else:
            out[key] = _strip(value)
    return out


def trim(document: dict[str, Any]) -> dict[str, Any]:
    """The document cut down to :data:`ROOTS` and the schemas they reference."""
    schemas = document["components"]["schemas"]
    keep: dict[str, Any] = {}
    todo = list(ROOTS)
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep[name] = schemas[name]
        for ref in _refs(schemas[name]):
            if not ref.startswith(LOCAL_REF):
                raise ValueError(f"{name}: a $ref outside components.schemas: {ref}")
            todo.append(ref.removeprefix(LOCAL_REF))
    info = document["info"]
    return {
        "openapi": document["openapi"],
        "info": {"title": info["title"], "version": info["version"]},
        "components": {"schemas": {name: _strip(keep[name]) for name in sorted(keep)}},
    }


def main(argv: list[str]) -> None:
    """Print the trimmed document for the full one at ``argv[0]``."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with Path(argv[0]).open(encoding="utf-8") as f:
        document = yaml.load(f, Loader=loader)
    sys.stdout.write(yaml.safe_dump(trim(document), sort_keys=False, width=100))


if __name__ == "__main__":
    main(sys.argv[1:])
