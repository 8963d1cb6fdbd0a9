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


VARIANT_A = "20260103T100000-cccccc"
VARIANT_B = "20260104T100000-dddddd"
VARIANT_MODELS = ("openai:gpt-a", "ollama:local")
VARIANT_PASSES = {
    # (run, prompt, model): the cases of spec "greet" that pass (c0..c3, one attempt each)
    (VARIANT_A, "short", "openai:gpt-a"): {"c0", "c1", "c2", "c3"},
    (VARIANT_A, "formal", "openai:gpt-a"): {"c0", "c1"},
    (VARIANT_A, "short", "ollama:local"): {"c0"},
    (VARIANT_A, "formal", "ollama:local"): {"c0", "c1", "c2"},
    (VARIANT_B, "short", "openai:gpt-a"): {"c0", "c1", "c2", "c3"},
    (VARIANT_B, "formal", "openai:gpt-a"): {"c0", "c1", "c2"},  # c2 flips to pass
    (VARIANT_B, "short", "ollama:local"): set(),  # c0 flips to fail
    (VARIANT_B, "formal", "ollama:local"): {"c0", "c1", "c2"},
}


def variant_runs(path: Path) -> Path:
    """Two runs of spec "greet" with prompt variants "short" ($0.001, 100 ms a result) and
    "formal" ($0.002, 300 ms) on two models, beside spec "plain" (no variants, gpt-a, two
    cases that pass); the passes are ``VARIANT_PASSES``."""
    from harness.store.records import ResultRecord

    with Store.open(path) as store:
        for run_id, started in ((VARIANT_A, 1_767_434_400.0), (VARIANT_B, 1_767_520_800.0)):
            store.start_run(
                run_info(run_id=run_id, started_at=started, models=list(VARIANT_MODELS))
            )
            records = []
            for prompt, cost, latency in (("short", 0.001, 100.0), ("formal", 0.002, 300.0)):
                for model in VARIANT_MODELS:
                    passes = VARIANT_PASSES[(run_id, prompt, model)]
                    for case in ("c0", "c1", "c2", "c3"):
                        ok = case in passes
                        records.append(
                            ResultRecord(
                                run_id=run_id, item_id=f"greet::{case}::{model}::1::{prompt}",
                                spec="greet", case_id=case, model=model, attempt=1,
                                status=PASSED if ok else FAILED, score=1.0 if ok else 0.0,
                                prompt=f"{prompt} prompt for {case}", output=f"{prompt} answer",
                                cost_usd=cost, latency_ms=latency, prompt_name=prompt,
                            )
                        )  # fmt: skip
            for case in ("p0", "p1"):
                records.append(
                    ResultRecord(
                        run_id=run_id, item_id=f"plain::{case}::openai:gpt-a::1", spec="plain",
                        case_id=case, model="openai:gpt-a", attempt=1, status=PASSED, score=1.0,
                        output="plain answer", cost_usd=0.001, latency_ms=100.0,
                    )
                )  # fmt: skip
            store.write(records)
            store.finish_run(run_id)
    return path
