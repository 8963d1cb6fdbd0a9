"""The plugin's state for one pytest session: settings, the run, the executor, the report.

The pytest session is one run in the results store (``RunInfo.source == "pytest"``).
Without xdist this process does everything. With xdist the controller makes the run
id and hands it to the workers (``workerinput``); every worker writes its results to
the same store under that id, sends back what it ran (``workeroutput``), and the
controller closes the run and writes the report at the end. Nothing is written at
all when a session ran no spec items.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from rich.console import Console

from harness.cassettes.recorder import Recorder
from harness.config import ProjectConfig
from harness.drivers.registry import parse_model_id, provider_settings
from harness.run_ids import run_folder
from harness.runner.expand import Selection
from harness.runner.items import Item
from harness.runner.run import Run, RunOptions, new_run_id, run_info
from harness.spec.types import Spec
from harness.store.records import ResultRecord, RunInfo
from harness.store.sqlite import Store
from harness.testing import xdist
from harness.testing.executor import BackgroundExecutor
from harness.testing.options import PluginOptions, resolve_options
from harness.testing.project import find_project

if TYPE_CHECKING:
    from harness.testing.collect import SpecItem

SESSION_KEY = pytest.StashKey["HarnessSession"]()


def session_of(config: pytest.Config) -> HarnessSession:
    """The plugin state stored on the config in ``pytest_configure``."""
    return config.stash[SESSION_KEY]


def _spec_items(items: list[pytest.Item]) -> list[SpecItem]:
    from harness.testing.collect import SpecItem

    return [i for i in items if isinstance(i, SpecItem)]


class HarnessSession:
    """Settings, run identity and execution of one pytest session.

    Args:
        config: pytest's config.
        project: the loaded harness.yaml.
        options: resolved plugin options.
        run_id: the run's id (from the controller under xdist).
        started_at: the run's start time (also from the controller).
    """

    def __init__(
        self,
        config: pytest.Config,
        project: ProjectConfig,
        options: PluginOptions,
        *,
        run_id: str,
        started_at: float,
    ) -> None:
        self.config = config
        self.project = project
        self.options = options
        self.run_id = run_id
        self.started_at = started_at
        self.executor = BackgroundExecutor(project.store_path, self._make_runner, self.run_info)
        self.report_paths: dict[str, Path] = {}
        self.worker_outputs: list[dict[str, Any]] = []
        self._spec_names: dict[str, str] = {}
        self._markers: set[str] = set()
        self._specs: dict[str, Spec] = {}
        self.calls: list[ResultRecord] = []
        self._calls_lock = threading.Lock()
        self._call_counts: dict[tuple[str, str, str], int] = {}

    @classmethod
    def from_config(cls, config: pytest.Config) -> HarnessSession:
        """Load harness.yaml (see :func:`find_project`) and resolve the options.

        Raises:
            pytest.UsageError: harness.yaml or an option is invalid.
        """
        try:
            project = find_project(config)
            options = resolve_options(config, project)
            for model in options.models:
                provider_settings(parse_model_id(model)[0], project)
        except Exception as exc:  # SpecError, ConfigError: a usage error, not a traceback
            raise pytest.UsageError(f"harness: {exc}") from None
        workerinput: dict[str, Any] = getattr(config, "workerinput", {})
        return cls(
            config,
            project,
            options,
            run_id=str(workerinput.get(xdist.RUN_ID_KEY) or new_run_id()),
            started_at=float(workerinput.get(xdist.STARTED_KEY) or time.time()),
        )

    # collection

    def register_marker(self, name: str) -> str:
        """Register a spec tag's marker so ``--strict-markers`` accepts it; returns the name."""
        if name not in self._markers:
            self._markers.add(name)
            known = {line.split(":")[0].split("(")[0].strip() for line in self._ini_markers()}
            if name not in known:
                self.config.addinivalue_line("markers", f"{name}: spec tag (harness)")
        return name

    def _ini_markers(self) -> list[str]:
        value = self.config.getini("markers")
        return [str(v) for v in value] if isinstance(value, list) else []

    def claim_spec_name(self, spec: Spec) -> str | None:
        """None, or the problem when another file already has this spec's name."""
        other = self._spec_names.setdefault(spec.name, spec.path)
        if other != spec.path:
            return (
                f"{spec.path}:1:1: name: duplicate spec name {spec.name!r} (also {other}): "
                "give each spec a unique 'name'"
            )
        self._specs[spec.name] = spec
        return None

    # running

    def run_options(self) -> RunOptions:
        """This session as the run's options (``source`` ``pytest``)."""
        return RunOptions(
            selection=Selection(models=self.options.models, repeat=self.options.repeat),
            concurrency=self.options.concurrency,
            record_mode=self.options.record_mode,
            run_id=self.run_id,
            progress=False,
            source="pytest",
            args=tuple(self.config.invocation_params.args),
            started_at=self.started_at,
        )

    def run_info(self) -> RunInfo:
        """The run's row as known before any item runs."""
        return run_info(
            self.run_id,
            self.project,
            self.run_options(),
            specs=(),
            models=self.options.models,
            concurrency=self.options.concurrency,
        )

    def _make_runner(self, store: Store) -> Run:
        recorder = Recorder(self.project.cassettes_dir, self.options.record_mode)
        return Run(
            list(self._specs.values()),
            self.project,
            store,
            self.run_options(),
            recorder=recorder,
            console=Console(stderr=True, quiet=True),
        )

    def result(self, item: SpecItem) -> ResultRecord:
        """The record of one spec item, starting this process's batch on first use.

        Constant work per item: the batch is gathered only when an item that was not
        submitted yet starts (the first one; under xdist, the first of each new chunk
        the controller sent), never by scanning every item for every item.
        """
        harness_item = item.harness_item
        if not self.executor.submitted(harness_item):
            if xdist.is_worker(self.config):
                batch = [item, *_spec_items(xdist.queued_items(item.session))]
            else:
                batch = [item, *_spec_items(item.session.items)]
            self.executor.submit([i.harness_item for i in batch])
        return self.executor.result(harness_item)

    # the end

    def record_call(self, record: ResultRecord) -> None:
        """Keep one ``harness_model`` call's record for the store (any thread may call this).

        Each test's calls to one model are numbered 1, 2, ... as their ``attempt``.
        """
        with self._calls_lock:
            key = (record.spec, record.case_id, record.model)
            attempt = self._call_counts.get(key, 0) + 1
            self._call_counts[key] = attempt
            record.run_id = self.run_id
            record.attempt = attempt
            record.item_id = f"{record.spec}::{record.case_id}::{record.model}::{attempt}"
            self.calls.append(record)

    def summary(self) -> dict[str, Any]:
        """What this process ran: spec hashes and models (sent to the controller by workers)."""
        records = [*self.executor.records.values(), *self.calls]
        ran_specs = {r.spec for r in records}
        return {
            "ran": len(records),
            "models": sorted({r.model for r in records}),
            "spec_hashes": {
                name: spec.content_hash for name, spec in self._specs.items() if name in ran_specs
            },
        }

    def _write_calls(self, store: Store | None = None) -> None:
        """Write the ``harness_model`` calls' records (opening the store when not given)."""
        if not self.calls:
            return
        if store is not None:
            store.write(self.calls)
            return
        with Store.open(self.project.store_path) as opened:
            if not self.executor.started:  # no spec item wrote the run's row yet
                opened.start_run(self.run_info())
            opened.write(self.calls)

    def finish(self, exitstatus: int) -> None:
        """Stop the executor; the controller (or a lone process) closes the run and reports."""
        self.executor.close(cancel=True)
        if xdist.is_worker(self.config):
            self._write_calls()
            workeroutput: dict[str, Any] = self.config.workeroutput  # type: ignore[attr-defined]
            workeroutput[xdist.OUTPUT_KEY] = self.summary()
            return
        outputs = [*self.worker_outputs]
        if not xdist.is_controller(self.config):
            outputs.append(self.summary())
        outputs = [o for o in outputs if o.get("ran")]
        if not outputs:
            return
        info = self.run_info()
        info.models = sorted({m for o in outputs for m in o.get("models", [])})
        for o in outputs:
            info.spec_hashes.update(o.get("spec_hashes", {}))
        status = "interrupted" if exitstatus == pytest.ExitCode.INTERRUPTED else "finished"
        from harness.report import write_reports

        with Store.open(self.project.store_path) as store:
            store.start_run(info)
            self._write_calls(store)
            store.finish_run(self.run_id, status)
            self.report_paths = write_reports(store, self.run_id, self.report_dir)

    @property
    def report_dir(self) -> Path:
        """``--harness-report DIR`` (relative to where pytest was started), else reports/<run>."""
        if self.options.report_dir is None:
            return run_folder(self.project.reports_dir, self.run_id)
        return self.config.invocation_params.dir / self.options.report_dir


def item_of(item: pytest.Item) -> Item | None:
    """The harness item behind a pytest item, if it is a spec item."""
    harness_item = getattr(item, "harness_item", None)
    return harness_item if isinstance(harness_item, Item) else None
