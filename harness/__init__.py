"""harness: spec-driven, cross-model evaluation of LLMs."""

from __future__ import annotations

__version__ = "0.1.0"

from harness.config import ProjectConfig, load_config
from harness.errors import HarnessError, SpecError, SpecProblem
from harness.spec.load import load_spec, load_specs
from harness.spec.types import Assertion, Case, PromptTemplate, Spec
from harness.store.records import ResultRecord, RunInfo
from harness.store.sqlite import Store

__all__ = [
    "Assertion",
    "Case",
    "HarnessError",
    "ProjectConfig",
    "PromptTemplate",
    "ResultRecord",
    "RunInfo",
    "Spec",
    "SpecError",
    "SpecProblem",
    "Store",
    "__version__",
    "load_config",
    "load_spec",
    "load_specs",
]
