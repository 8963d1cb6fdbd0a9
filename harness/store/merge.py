"""Join the stores of a sharded run (``--shard K/N`` on several machines) into one run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness.errors import ConfigError
from harness.store.records import RunInfo
from harness.store.sqlite import Store


def merge_stores(
    sources: Sequence[Path], into: Path, *, run_id: str, source_run_ids: Sequence[str] = ()
) -> RunInfo:
    """Copy the latest run (or the named runs) of every source store into ``into`` as one run.

    Results keep their item ids, so an item present in two shards is kept once.

    Args:
        sources: shard stores.
        into: the target store (created if missing; may be one of the sources).
        run_id: the merged run's id.
        source_run_ids: runs to take (default: the latest run of each source).

    Raises:
        ConfigError: a source has no runs, or a named run is in no source.
    """
    infos: list[RunInfo] = []
    with Store.open(into) as target:
        merged_rows = 0
        for path in sources:
            if not path.is_file():
                raise ConfigError(f"no results store at {path}")
            with Store.open(path) as source:
                wanted = [r for r in source.run_ids() if r in source_run_ids]
                if not source_run_ids:
                    latest = source.latest_run_id()
                    if latest is None:
                        raise ConfigError(f"{path} holds no runs")
                    wanted = [latest]
                for rid in wanted:
                    infos.append(source.run(rid))
                    batch = []
                    for record in source.iter_results(rid):
                        record.run_id = run_id
                        batch.append(record)
                        if len(batch) >= 1000:
                            merged_rows += target.write(batch)
                            batch = []
                    merged_rows += target.write(batch)
        if not infos:
            raise ConfigError(f"none of the runs {', '.join(source_run_ids)} is in the sources")
        finished = [i.finished_at for i in infos]
        info = RunInfo(
            run_id=run_id,
            started_at=min(i.started_at for i in infos),
            finished_at=None if None in finished else max(f for f in finished if f is not None),
            git_commit=infos[0].git_commit,
            config=infos[0].config,
            spec_hashes={k: v for i in infos for k, v in i.spec_hashes.items()},
            models=list(dict.fromkeys(m for i in infos for m in i.models)),
            params={**infos[0].params, "merged_from": [i.run_id for i in infos]},
            record_mode=infos[0].record_mode,
            timings="recorded" if all(i.timings == "recorded" for i in infos) else "live",
            status="finished" if all(i.status == "finished" for i in infos) else "partial",
            source="merge",
        )
        target.start_run(info)
    return info
