"""A resumed run's earlier results, counted so its summary and exit code cover the whole run.

A run killed after 30 failures and resumed must not end "48/48, 100%" with exit 0 because
this session only ran the 48 items left: the items the earlier session completed are
counted from the store, exactly the records :meth:`Store.completed_item_ids` keeps.
"""

from __future__ import annotations

from harness.runner.summary import ModelStats
from harness.store.records import ERROR, SKIPPED
from harness.store.sqlite import Store


def count_completed(
    store: Store, run_id: str, done: set[str], stats: dict[str, ModelStats]
) -> None:
    """Add the stored record of every item in ``done`` to ``stats`` (per model)."""
    if not done:
        return
    for record in store.iter_results(run_id):
        if record.item_id not in done or record.status == ERROR:
            continue
        if record.status == SKIPPED and record.error_type == "budget":
            continue  # rerun this time, like an error
        model = stats.get(record.model)
        if model is None:
            model = stats[record.model] = ModelStats(record.model)
        model.add(record)
