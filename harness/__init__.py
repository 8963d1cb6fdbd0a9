"""harness: spec-driven, cross-model evaluation of LLMs."""

from __future__ import annotations

__version__ = "0.1.0"

from harness.config import ProjectConfig, load_config
from harness.errors import HarnessError, SpecError, SpecProblem
from harness.spec.load import load_spec, load_specs
from harness.spec.types import Assertion, Case, PromptTemplate, Spec

__all__ = [
    "Assertion",
    "Case",
    "HarnessError",
    "ProjectConfig",
    "PromptTemplate",
    "Spec",
    "SpecError",
    "SpecProblem",
    "__version__",
    "load_config",
    "load_spec",
    "load_specs",
]
