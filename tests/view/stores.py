"""A results store with two runs of the report fixtures' records: the view's test data."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from harness.store.records import FAILED, PASSED
from harness.store.sqlite import Store
from tests.report.fixtures import PAYLOADS, mixed_records, run_info

RUN_A = "20260101T100000-aaaaaa"
RUN_B = "20260102T100000-bbbbbb"
HOSTILE_CASE = PAYLOADS[0] + PAYLOADS[3]


def two_runs(path: Path) -> Path:
    """Run A and run B; in B the anthropic model passes c0 (was failed) and gpt-a fails c1."""
    with Store.open(path) as store:
        for run_id, started in ((RUN_A, 1_767_261_600.0), (RUN_B, 1_767_348_000.0)):
            store.start_run(run_info(run_id=run_id, started_at=started, git_commit="c0ffee1"))
            records = []
            for r in mixed_records():
                r = dataclasses.replace(r, run_id=run_id)
                if run_id == RUN_B and r.model == "anthropic:claude-b" and r.case_id == "c0":
                    r = dataclasses.replace(r, status=PASSED, score=1.0)
                if run_id == RUN_B and r.model == "openai:gpt-a" and r.case_id == "c1":
                    r = dataclasses.replace(r, status=FAILED, score=0.0, output="wrong answer")
                records.append(r)
            store.write(records)
            store.finish_run(run_id)
    return path
