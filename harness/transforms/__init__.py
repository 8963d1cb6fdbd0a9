"""Transforms: turn a model's answer into the text its assertions check.

``transform:`` on a spec, a case or an assertion names one transform or a list of them;
see docs/spec-format.md. Each type is one declaration in :mod:`harness.transforms.builtin`
(third parties: the ``harness.transforms`` entry-point group).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

if TYPE_CHECKING:
    from harness.transforms.registry import (
        Transform,
        TransformError,
        TransformType,
        apply_transforms,
        build_transforms,
        transform_types,
    )

_EXPORTS = {
    "Transform": "harness.transforms.registry",
    "TransformError": "harness.transforms.registry",
    "TransformType": "harness.transforms.registry",
    "apply_transforms": "harness.transforms.registry",
    "build_transforms": "harness.transforms.registry",
    "transform_types": "harness.transforms.registry",
}
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)

__all__ = [
    "Transform",
    "TransformError",
    "TransformType",
    "apply_transforms",
    "build_transforms",
    "transform_types",
]
