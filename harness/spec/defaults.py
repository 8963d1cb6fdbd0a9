"""Project defaults a spec inherits from ``harness.yaml`` (``defaults:``), and where each
effective value came from.

- ``params``: merged key by key; the spec's keys win.
- ``expect``: the defaults' expectations come first, except those whose type (as written,
  ``not-`` included) the spec's own spec-level ``expect`` also has (the spec's wins).
- ``transform``, ``models``, ``judge``: the spec's, else the default.
- ``tags``: the defaults' tags and the spec's, both.

``harness validate --explain`` prints every inherited value with its origin.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import SpecProblem
from harness.expect.registry import check_assertion
from harness.spec.models import ParamsFile, SpecFile
from harness.spec.problems import dotted
from harness.spec.yaml_loader import LoadedYAML
from harness.transforms.apply import check_transform

if TYPE_CHECKING:
    from harness.config import ProjectConfig

INHERITED = ("models", "params", "expect", "transform", "judge", "tags")
SPEC = "spec"


def defaults_problems(loaded: LoadedYAML, shown: str, base_dir: Path) -> list[SpecProblem]:
    """Problems with ``defaults.expect`` and ``defaults.transform`` the file model cannot see
    (unknown assertion types and options, unusable transforms), at their positions."""
    defaults = loaded.data.get("defaults") if isinstance(loaded.data, dict) else None
    if not isinstance(defaults, dict):
        return []
    found: list[SpecProblem] = []

    def add(where: tuple[str | int, ...], message: str) -> None:
        pos = loaded.pos(where)
        found.append(SpecProblem(shown, pos.line, pos.col, message, dotted(where)))

    expect = defaults.get("expect")
    for j, item in enumerate(expect if isinstance(expect, list) else []):
        if isinstance(item, dict):
            for key, message in check_assertion(item):
                add(("defaults", "expect", j, *([key] if key else [])), message)
            if "transform" in item:
                _, problem = check_transform(item["transform"], base_dir)
                if problem:
                    add(("defaults", "expect", j, "transform"), problem)
    if "transform" in defaults:
        _, problem = check_transform(defaults["transform"], base_dir)
        if problem:
            add(("defaults", "transform"), problem)
    return found


def defaults_origins(loaded: LoadedYAML, shown: str) -> dict[str, str]:
    """``{"params.temperature": "harness.yaml:4:18", "expect.0": ..., ...}`` for every
    inheritable default that is set."""
    defaults = loaded.data.get("defaults") if isinstance(loaded.data, dict) else None
    if not isinstance(defaults, dict):
        return {}
    out: dict[str, str] = {}

    def at(*path: str | int) -> str:
        pos = loaded.pos(("defaults", *path))
        return f"{shown}:{pos.line}:{pos.col}"

    for key in INHERITED:
        value = defaults.get(key)
        if value is None:
            continue
        if key == "params" and isinstance(value, dict):
            for name in value:
                out[f"params.{name}"] = at("params", name)
        elif key == "expect" and isinstance(value, list):
            for j in range(len(value)):
                out[f"expect.{j}"] = at("expect", j)
        else:
            out[key] = at(key)
    return out


def inherit(parsed: SpecFile, config: ProjectConfig | None) -> tuple[SpecFile, dict[str, str]]:
    """``parsed`` with the project defaults filled in, and the origin of each inherited
    value (``"spec"`` or ``"harness.yaml:LINE:COL"``), keyed like ``params.temperature``."""
    origins: dict[str, str] = {}
    if config is None:
        return parsed, origins
    d, where = config.defaults, config.defaults_origins
    own = parsed.model_fields_set
    update: dict[str, Any] = {}

    spec_params = parsed.params.model_dump(exclude_none=True)
    default_params = d.params.model_dump(exclude_none=True)
    if default_params:
        update["params"] = ParamsFile(**{**default_params, **spec_params})
    for name in {**default_params, **spec_params}:
        origins[f"params.{name}"] = SPEC if name in spec_params else where.get(f"params.{name}", "")

    own_types = {a.type for a in parsed.expect}  # `contains` does not replace `not-contains`
    inherited = [(j, a) for j, a in enumerate(d.expect) if a.type not in own_types]
    if inherited:
        update["expect"] = [a for _, a in inherited] + list(parsed.expect)
    for n, (j, a) in enumerate(inherited):
        origins[f"expect.{n} ({a.type})"] = where.get(f"expect.{j}", "")
    for n, a in enumerate(parsed.expect, start=len(inherited)):
        origins[f"expect.{n} ({a.type})"] = SPEC

    if "transform" not in own and d.transform is not None:
        update["transform"] = d.transform
    if d.tags:
        update["tags"] = list(dict.fromkeys([*d.tags, *parsed.tags]))
    for key, default, value in (
        ("transform", d.transform, parsed.transform),
        ("models", d.models, parsed.models),
        ("judge", d.judge, parsed.judge),
    ):
        if key in own and value:
            origins[key] = SPEC
        elif default:
            origins[key] = where.get(key, "")
    if d.tags:
        tags_at = where.get("tags", "")
        origins["tags"] = f"{tags_at} + spec" if parsed.tags else tags_at
    return (parsed.model_copy(update=update) if update else parsed), origins
