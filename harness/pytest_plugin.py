"""pytest plugin: collects specs as test items (hooks and fixtures only).

The logic lives in :mod:`harness.testing`; see docs/pytest-plugin.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from harness.cassettes.modes import RECORD_MODES
from harness.cassettes.recorder import Recorder
from harness.expect.types import CaseVerdict
from harness.spec.types import Assertion
from harness.testing import asserts, xdist
from harness.testing.client import ModelClient, cassette_for_test
from harness.testing.collect import HARNESS_MARKER, SpecFile, is_spec_file
from harness.testing.options import (
    DEFAULT_SPECS,
    INI_CONCURRENCY,
    INI_MODELS,
    INI_RECORD_MODE,
    INI_REPEAT,
    INI_REPORT,
    INI_SPECS,
    record_mode_flag_taken,
)
from harness.testing.session import SESSION_KEY, HarnessSession, session_of


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    group = parser.getgroup("harness", "harness: specs as tests")
    group.addoption(
        "--models",
        dest="harness_models",
        default=None,
        help="run every spec on these models instead of their own (comma-separated "
        "provider:model ids)",
    )
    if not record_mode_flag_taken(parser, pluginmanager):
        # pytest-recording defines the same flag; then its value is read instead
        group.addoption(
            "--record-mode",
            dest="record_mode",
            default=None,
            choices=RECORD_MODES,
            help="cassette mode: none (replay only), once, new_episodes, all, off",
        )
    group.addoption(
        "--harness-report",
        dest="harness_report",
        default=None,
        metavar="DIR",
        help="write the run's report files here (default: reports/<run-id>/)",
    )
    group.addoption(
        "--harness-concurrency",
        dest="harness_concurrency",
        default=None,
        metavar="N|auto",
        help="model calls in flight: a number, or auto (default: harness.yaml, else as harness "
        "run: auto for remote providers, 16 for local ones)",
    )
    group.addoption(
        "--repeat",
        dest="harness_repeat",
        default=None,
        metavar="N",
        help="run every case N times on every model",
    )
    parser.addini(
        INI_SPECS, "glob patterns of spec files", type="args", default=list(DEFAULT_SPECS)
    )
    parser.addini(INI_MODELS, "default for --models", default="")
    parser.addini(INI_RECORD_MODE, "default cassette record mode (none, once, ...)", default="")
    parser.addini(INI_REPORT, "default for --harness-report", default="")
    parser.addini(INI_CONCURRENCY, "default for --harness-concurrency", default="")
    parser.addini(INI_REPEAT, "default for --repeat", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{HARNESS_MARKER}: an item collected from a spec file (case x model)"
    )
    config.stash[SESSION_KEY] = HarnessSession.from_config(config)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> SpecFile | None:
    if is_spec_file(file_path, parent.config, session_of(parent.config).options.specs):
        return SpecFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    state = session_of(node.config)
    node.workerinput[xdist.RUN_ID_KEY] = state.run_id
    node.workerinput[xdist.STARTED_KEY] = state.started_at


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    output = getattr(node, "workeroutput", {}).get(xdist.OUTPUT_KEY)
    if output:
        session_of(node.config).worker_outputs.append(output)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session_of(session.config).finish(exitstatus)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = session_of(config)
    if state.report_paths.get("html"):
        terminalreporter.write_line(f"harness: run {state.run_id} -> {state.report_paths['html']}")


@pytest.fixture
def harness_model(request: pytest.FixtureRequest) -> Iterator[Callable[[str], ModelClient]]:
    """``harness_model("provider:model")``: a model client recorded to this test's cassette;
    every call lands in the session's results store."""
    state: HarnessSession = session_of(request.config)
    recorder = Recorder(state.project.cassettes_dir, state.options.record_mode)

    def make(model_id: str) -> ModelClient:
        return ModelClient(
            model_id,
            project=state.project,
            cassette=cassette_for_test(state.project.cassettes_dir, request.node.nodeid, model_id),
            record_mode=state.options.record_mode,
            nodeid=request.node.nodeid,
            on_record=state.record_call,
            recorder=recorder,
        )

    yield make
    recorder.close()  # the test's cassettes, with every call it made


@pytest.fixture
def harness_assert() -> Callable[..., CaseVerdict]:
    """``harness_assert(output, [assertions])``: spec assertions, AssertionError on failure."""

    def check(
        output: Any,
        assertions: Sequence[Mapping[str, Any] | Assertion],
        **kwargs: Any,
    ) -> CaseVerdict:
        __tracebackhide__ = True
        return asserts.check(output, assertions, **kwargs)

    return check


@pytest.fixture(scope="session")
def harness_record_mode(pytestconfig: pytest.Config) -> str:
    """The session's cassette record mode (none, once, new_episodes, all, off)."""
    return session_of(pytestconfig).options.record_mode
