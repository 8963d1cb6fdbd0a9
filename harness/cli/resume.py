"""``harness run --resume``: a resumed run keeps every option that changes its results.

The paths, models, repeat, filter, shard, record mode, budget and cache of the run being
continued are used unless given again on the command line; what was taken from the
stored run is said once, so a resumed run never quietly replays what it used to record.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path

from harness.store.records import RunInfo


@dataclass(frozen=True, slots=True)
class RunChoices:
    """The options of ``harness run`` that change a run's results (None: not given)."""

    paths: tuple[Path, ...] = ()
    models: str | None = None
    repeat: int | None = None
    filter: str | None = None
    shard: str | None = None
    record_mode: str | None = None
    max_cost: float | None = None
    cache: bool = False
    batch: bool = False


_FLAGS = {
    "paths": "paths",
    "models": "--models",
    "repeat": "--repeat",
    "filter": "-k",
    "shard": "--shard",
    "record_mode": "--record-mode",
    "max_cost": "--max-cost",
    "cache": "--cache",
    "batch": "--batch",
}


def stored_choices(info: RunInfo) -> RunChoices:
    """The choices a stored run was started with."""
    params = info.params
    shard = params.get("shard")
    return RunChoices(
        paths=tuple(Path(p) for p in params.get("paths") or ()),
        models=",".join(params.get("models") or ()) or None,
        repeat=params.get("repeat"),
        filter=params.get("filter"),
        shard="/".join(str(x) for x in shard) if shard else None,
        record_mode=info.record_mode,
        max_cost=params.get("max_cost"),
        cache=bool(params.get("cache")),
        batch=bool(params.get("batch")),
    )


def resume_choices(given: RunChoices, info: RunInfo) -> tuple[RunChoices, str]:
    """``given`` with every option not given taken from the stored run, and a note saying
    which were taken (and which the command line overrode)."""
    stored = stored_choices(info)
    kept: list[str] = []
    overridden: list[str] = []
    merged = given
    for f in fields(RunChoices):
        mine, theirs = getattr(given, f.name), getattr(stored, f.name)
        if mine in (None, (), False):
            if theirs not in (None, (), False):
                merged = replace(merged, **{f.name: theirs})
                kept.append(_shown(f.name, theirs))
        elif theirs not in (None, (), False) and mine != theirs:
            overridden.append(f"{_shown(f.name, mine)} (was {_value(theirs)})")
    note = f"resuming run {info.run_id}"
    if kept:
        note += f" with its own {', '.join(kept)}"
    if overridden:
        note += f"; overridden: {', '.join(overridden)}"
    return merged, note


def _value(value: object) -> str:
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def _shown(name: str, value: object) -> str:
    flag = _FLAGS[name]
    return flag if value is True else f"{flag} {_value(value)}"
