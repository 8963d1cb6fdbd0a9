"""Where a report's data comes from: a run in the store, or a results file.

A run reference is a run id, ``latest``, ``latest~N`` (N runs before the newest), or
the path of a ``results.json`` / ``results.csv`` written next to a report.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import ConfigError
from harness.store.records import RunInfo
from harness.store.sqlite import Store

if TYPE_CHECKING:
    import pandas as pd

_LATEST = re.compile(r"^latest(?:~(\d+))?$")


@dataclass(frozen=True, slots=True)
class LoadedRun:
    """A run's metadata (None when a CSV file is all there is) and its normalized results."""

    name: str
    run: RunInfo | None
    frame: pd.DataFrame


def resolve_run_id(store: Store, ref: str) -> str:
    """Turn ``latest``, ``latest~N`` or a run id into a run id present in ``store``.

    Raises:
        ConfigError: the store has no such run.
    """
    found = _LATEST.match(ref)
    if found is None:
        store.run(ref)  # raises ConfigError naming the run when it is absent
        return ref
    back = int(found.group(1) or 0)
    newest = store.latest_run_id()
    if newest is None:
        raise ConfigError(f"the results store {store.path} has no runs yet: run `harness run`")
    ids = [r for r in store.run_ids() if r != newest]
    ids.sort(key=lambda r: (store.run(r).started_at, r))
    ordered = [*ids, newest]
    if back >= len(ordered):
        raise ConfigError(f"{ref}: the store holds only {len(ordered)} run(s)")
    return ordered[-1 - back]


def load_store_run(store: Store, ref: str) -> LoadedRun:
    """A run from the store by reference."""
    from harness.report.frame import normalize

    run_id = resolve_run_id(store, ref)
    return LoadedRun(run_id, store.run(run_id), normalize(store.results_frame(run_id)))


def load_results_file(path: Path) -> LoadedRun:
    """A run from ``results.json`` (``{"run": ..., "results": [...]}``) or ``results.csv``.

    Raises:
        ConfigError: the file cannot be read or has no results in a known shape.
    """
    import pandas as pd

    from harness.report.frame import normalize

    try:
        if path.suffix.lower() == ".csv":
            frame = pd.read_csv(path, dtype={"case_id": str, "spec": str, "model": str})
            run = None
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
            rows = data.get("results") if isinstance(data, dict) else data
            if not isinstance(rows, list):
                raise ConfigError(f"{path}: expected a 'results' list")
            frame = pd.DataFrame(rows)
            run = _run_info(data.get("run")) if isinstance(data, dict) else None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read results file {path}: {exc}") from None
    if not frame.empty and not {"model", "case_id", "status"} <= set(frame.columns):
        raise ConfigError(f"{path}: not a harness results file (no model/case_id/status)")
    name = run.run_id if run and run.run_id else str(path)
    return LoadedRun(name, run, normalize(frame))


def _run_info(data: object) -> RunInfo | None:
    if not isinstance(data, dict) or "run_id" not in data:
        return None
    known = {f.name for f in fields(RunInfo)}
    values = {k: v for k, v in data.items() if k in known}
    values.setdefault("started_at", 0.0)
    return RunInfo(**values)


def load_run(ref: str, *, store_path: Path) -> LoadedRun:
    """A run from a results file when ``ref`` names one, else from the store at ``store_path``."""
    as_path = Path(ref)
    if as_path.suffix.lower() in (".json", ".csv") or as_path.is_file():
        if not as_path.is_file():
            raise ConfigError(f"no such results file: {ref}")
        return load_results_file(as_path)
    if not store_path.is_file():
        raise ConfigError(f"no results store at {store_path}: run `harness run` first")
    with Store.open(store_path) as store:
        return load_store_run(store, ref)
