"""harness: spec-driven, cross-model evaluation of LLMs.

The public API, one import away::

    import harness

    config = harness.load_config()
    specs, problems = harness.load_specs([Path("specs")], config)
    result = harness.run(specs, config, harness.RunOptions(record_mode="none"))

Names load lazily (PEP 562), so ``import harness`` stays cheap: the pytest plugin
and every CLI command pay only for the stages they use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

__version__ = "0.1.0"

if TYPE_CHECKING:
    from harness.cassettes import Recorder, resolve_record_mode
    from harness.config import ProjectConfig, load_config
    from harness.drivers import (
        Driver,
        HTTPDriver,
        Message,
        ProviderSettings,
        Request,
        Response,
        StreamEvent,
        Tool,
        ToolCall,
        Usage,
        create_driver,
        provider_settings,
    )
    from harness.drivers.batch_base import BatchAPI
    from harness.errors import (
        ConfigError,
        HarnessError,
        ProviderError,
        SpecError,
        SpecProblem,
    )
    from harness.executors import ExecutorType
    from harness.expect import (
        AssertionType,
        CaseVerdict,
        Outcome,
        Output,
        Verdict,
        evaluate_case,
        parse_output,
    )
    from harness.hooks import Hooks
    from harness.report import compare_runs, write_reports
    from harness.runner import Item, Run, Runner, RunOptions, RunResult, Selection
    from harness.runner.api import run
    from harness.spec.load import load_spec, load_specs
    from harness.spec.types import Assertion, Case, PromptTemplate, Spec
    from harness.store.records import ResultRecord, RunInfo
    from harness.store.sqlite import Store

_EXPORTS: dict[str, str] = {
    # spec -> cases
    "Assertion": "harness.spec.types",
    "Case": "harness.spec.types",
    "PromptTemplate": "harness.spec.types",
    "Spec": "harness.spec.types",
    "load_spec": "harness.spec.load",
    "load_specs": "harness.spec.load",
    "ProjectConfig": "harness.config",
    "load_config": "harness.config",
    # requests -> driver -> response
    "Driver": "harness.drivers",
    "HTTPDriver": "harness.drivers",
    "Message": "harness.drivers",
    "ProviderSettings": "harness.drivers",
    "Request": "harness.drivers",
    "Response": "harness.drivers",
    "StreamEvent": "harness.drivers",
    "Tool": "harness.drivers",
    "ToolCall": "harness.drivers",
    "Usage": "harness.drivers",
    "create_driver": "harness.drivers",
    "provider_settings": "harness.drivers",
    "BatchAPI": "harness.drivers.batch_base",
    # runner and cassettes
    "Item": "harness.runner",
    "RunOptions": "harness.runner",
    "RunResult": "harness.runner",
    "Run": "harness.runner",
    "Runner": "harness.runner",
    "run": "harness.runner.api",
    "Selection": "harness.runner",
    "ExecutorType": "harness.executors",
    "Recorder": "harness.cassettes",
    "Hooks": "harness.hooks",
    "resolve_record_mode": "harness.cassettes",
    # verdicts
    "AssertionType": "harness.expect",
    "Outcome": "harness.expect",
    "CaseVerdict": "harness.expect",
    "Output": "harness.expect",
    "Verdict": "harness.expect",
    "evaluate_case": "harness.expect",
    "parse_output": "harness.expect",
    # store -> report
    "ResultRecord": "harness.store.records",
    "RunInfo": "harness.store.records",
    "Store": "harness.store.sqlite",
    "compare_runs": "harness.report",
    "write_reports": "harness.report",
    # errors
    "ConfigError": "harness.errors",
    "HarnessError": "harness.errors",
    "ProviderError": "harness.errors",
    "SpecError": "harness.errors",
    "SpecProblem": "harness.errors",
}

__all__ = [
    "Assertion",
    "AssertionType",
    "BatchAPI",
    "Case",
    "CaseVerdict",
    "ConfigError",
    "Driver",
    "ExecutorType",
    "HTTPDriver",
    "HarnessError",
    "Hooks",
    "Item",
    "Message",
    "Outcome",
    "Output",
    "ProjectConfig",
    "PromptTemplate",
    "ProviderError",
    "ProviderSettings",
    "Recorder",
    "Request",
    "Response",
    "ResultRecord",
    "Run",
    "RunInfo",
    "RunOptions",
    "RunResult",
    "Runner",
    "Selection",
    "Spec",
    "SpecError",
    "SpecProblem",
    "Store",
    "StreamEvent",
    "Tool",
    "ToolCall",
    "Usage",
    "Verdict",
    "__version__",
    "compare_runs",
    "create_driver",
    "evaluate_case",
    "load_config",
    "load_spec",
    "load_specs",
    "parse_output",
    "provider_settings",
    "resolve_record_mode",
    "run",
    "write_reports",
]


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
