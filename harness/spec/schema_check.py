"""Validate a spec's ``schema:``: a JSON Schema (file ``$ref``s resolved, positions kept)
or ``{model: module:Class}`` naming a pydantic model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from harness.errors import SpecProblem
from harness.spec.imports import ImportRefError, import_ref
from harness.spec.problems import dotted
from harness.spec.python_refs import may_execute, ref_problem
from harness.spec.refs import resolve_refs
from harness.spec.yaml_loader import PathKey

if TYPE_CHECKING:
    from harness.spec.valid_cases import Collector


def schema_of(
    value: dict[str, Any], base_dir: Path, c: Collector
) -> tuple[dict[str, Any] | None, str | None]:
    """The output schema and, for a pydantic model, its ``module:Class`` reference;
    problems go to ``c`` at their positions (in the spec or in a ``$ref``'d file)."""
    if set(value) == {"model"} and isinstance(value["model"], str):
        ref = value["model"]
        if not may_execute():  # validate: locate the model, run nothing
            problem = ref_problem(ref, base_dir)
            if problem:
                c.at(("schema", "model"), problem)
            return None, ref
        try:
            obj = import_ref(ref, base_dir=base_dir)
        except ImportRefError as exc:
            c.at(("schema", "model"), str(exc))
            return None, ref
        if not (isinstance(obj, type) and issubclass(obj, BaseModel)):
            c.at(("schema", "model"), f"{ref!r} is not a pydantic model class")
            return None, ref
        return obj.model_json_schema(), ref
    resolved = resolve_refs(value, base_dir, c.path, c.loaded)  # file $refs, positions kept
    c.problems.extend(resolved.problems)
    value = resolved.value
    import jsonschema  # here: most runs have no schema, and it costs start-up time

    validator = jsonschema.validators.validator_for(value, default=jsonschema.Draft202012Validator)
    for error in validator(validator.META_SCHEMA).iter_errors(value):
        where: PathKey = ("schema", *error.absolute_path)
        if error.context:  # anyOf/oneOf: the closest alternative says more
            error = jsonschema.exceptions.best_match(error.context) or error
        origin, rest = resolved.locate(where)
        if origin is None:
            c.at(where, f"invalid JSON Schema: {error.message}")
        else:
            pos = origin.pos(rest)
            message = f"invalid JSON Schema: {error.message}"
            c.problems.append(
                SpecProblem(origin.file, pos.line, pos.col, message, dotted((*origin.base, *rest)))
            )
    return value, None
