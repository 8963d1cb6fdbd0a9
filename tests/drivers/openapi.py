"""Validators for schemas of OpenAI's published OpenAPI description.

The schemas the tests check are vendored, trimmed, in ``tests/drivers/contracts/openai/``
(origin and licence in ``tests/drivers/contracts/README.md``). They are JSON Schema 2020-12
with ``$ref``s into the same file, plus OpenAPI 3.0's ``nullable``, which we rewrite to
``null`` types.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

OPENAPI = Path(__file__).resolve().parent / "contracts" / "openai" / "openapi.yaml"
URI = "urn:openai-openapi"


def _nullable(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        elif kind is None:
            return {"anyOf": [out, {"type": "null"}]}
    return out


@functools.cache
def _registry() -> Registry[Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with OPENAPI.open(encoding="utf-8") as f:
        document = _nullable(yaml.load(f, Loader=loader))
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    return Registry().with_resource(URI, resource)


@functools.cache
def validator(schema_name: str) -> jsonschema.Draft202012Validator:
    """A validator for ``components.schemas.<schema_name>``."""
    ref = {"$ref": f"{URI}#/components/schemas/{schema_name}"}
    return jsonschema.Draft202012Validator(ref, registry=_registry())


def assert_valid(schema_name: str, instance: Any) -> None:
    """Fail with every validation error found, each with its JSON path."""
    errors = sorted(validator(schema_name).iter_errors(instance), key=lambda e: e.json_path)
    if errors:
        lines = [f"{e.json_path}: {e.message[:300]}" for e in errors[:10]]
        pytest.fail(f"not a valid {schema_name}:\n" + "\n".join(lines), pytrace=False)
