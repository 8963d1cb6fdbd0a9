"""Merging shard stores into one run."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.store.merge import merge_stores
from harness.store.records import ResultRecord, RunInfo
from harness.store.sqlite import Store


def _shard(path: Path, run_id: str, items: list[str], *, finished: bool = True) -> None:
    with Store.open(path) as store:
        store.start_run(RunInfo(run_id, started_at=float(len(items)), models=["p:m"]))
        store.write(ResultRecord(run_id, i, "s", i, "p:m", 1, "passed") for i in items)
        if finished:
            store.finish_run(run_id)


def test_merge_joins_runs_and_keeps_items_once(tmp_path: Path) -> None:
    _shard(tmp_path / "a.db", "ra", ["1", "2"])
    _shard(tmp_path / "b.db", "rb", ["2", "3", "4"], finished=False)
    info = merge_stores([tmp_path / "a.db", tmp_path / "b.db"], tmp_path / "all.db", run_id="m")
    with Store.open(tmp_path / "all.db") as store:
        assert sorted(r.item_id for r in store.iter_results("m")) == ["1", "2", "3", "4"]
        assert store.run("m").params["merged_from"] == ["ra", "rb"]
    assert info.status == "partial" and info.started_at == 2.0


def test_merge_of_an_empty_store_is_an_error(tmp_path: Path) -> None:
    Store.open(tmp_path / "empty.db").close()
    with pytest.raises(ConfigError, match="holds no runs"):
        merge_stores([tmp_path / "empty.db"], tmp_path / "all.db", run_id="m")
    with pytest.raises(ConfigError, match="no results store"):
        merge_stores([tmp_path / "missing.db"], tmp_path / "all.db", run_id="m")
