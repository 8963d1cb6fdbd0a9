"""Fixture runs for the report tests: records built in code, no store needed."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd

from harness.report.frame import normalize
from harness.store.records import ERROR, FAILED, PASSED, ResultRecord, RunInfo

PAYLOADS = (
    "<script>alert(1)</script>",
    "</script><script>document.title='pwned';window.__pwned=1</script>",
    "javascript:alert(1)",
    '<img src=x onerror="window.__pwned=2">',
    "\u2028<!--",
)


def record(model: str, case: str, status: str, **extra: object) -> ResultRecord:
    """One result with plausible defaults."""
    attempt = int(extra.pop("attempt", 1))  # type: ignore[call-overload]
    spec = str(extra.pop("spec", "qa"))
    defaults: dict[str, object] = {
        "score": 1.0 if status == PASSED else 0.0,
        "prompt": f"Answer the question for {case}.",
        "output": json.dumps({"answer": case.upper()}) if status != ERROR else None,
        "verdicts": []
        if status == ERROR
        else [
            {
                "assertion": "equals",
                "passed": status == PASSED,
                "score": 1.0 if status == PASSED else 0.0,
                "reason": "matched" if status == PASSED else "expected 'X', got 'Y'",
                "weight": 1.0,
                "field": "answer",
                "error": None,
            }
        ],
        "latency_ms": 100.0 + 10 * len(case) + 5 * attempt,
        "ttft_ms": 40.0,
        "input_tokens": 20,
        "output_tokens": 5,
        "cost_usd": 0.001,
        "tags": ["smoke"],
        "expected": [{"type": "equals", "field": "answer", "value": "X"}],
    }
    if status == ERROR:
        defaults.update(error_type="ServerError", error="503 overloaded", score=None)
    defaults.update(extra)
    return ResultRecord(
        run_id="run-1",
        item_id=f"{spec}::{case}::{model}::{attempt}",
        spec=spec,
        case_id=case,
        model=model,
        attempt=attempt,
        status=status,
        **defaults,  # type: ignore[arg-type]
    )


def mixed_records() -> list[ResultRecord]:
    """Two specs, three models (one with unknown cost), errors, repeats, hostile text."""
    out: list[ResultRecord] = []
    for attempt in (1, 2):
        for i in range(6):
            case = f"c{i}"
            out.append(record("openai:gpt-a", case, PASSED, attempt=attempt))
            status = PASSED if i % 2 else FAILED
            out.append(record("anthropic:claude-b", case, status, attempt=attempt, cost_usd=0.003))
            local_status = ERROR if i == 0 else (PASSED if i < 3 else FAILED)
            out.append(
                record("ollama:local", case, local_status, attempt=attempt, cost_usd=None,
                       repaired=i == 1, timings_recorded=True)
            )  # fmt: skip
    hostile = PAYLOADS[0] + PAYLOADS[3]
    out.append(
        record(
            "openai:gpt-a",
            hostile,
            FAILED,
            spec="security",
            prompt=PAYLOADS[1] + PAYLOADS[2],
            output=json.dumps({"answer": PAYLOADS[1], "link": PAYLOADS[2], "img": PAYLOADS[3]}),
            tags=[PAYLOADS[0]],
        )
    )
    out.append(record("anthropic:claude-b", hostile, PASSED, spec="security", cost_usd=0.003))
    return out


def frame_of(records: list[ResultRecord], *, as_store: bool = False) -> pd.DataFrame:
    """A normalized frame; ``as_store`` encodes JSON columns as text like the store does."""
    rows = [dataclasses.asdict(r) for r in records]
    if as_store:
        for row in rows:
            for name in ("verdicts", "tags", "case_vars", "expected", "parsed_output"):
                row[name] = json.dumps(row[name])
    return normalize(pd.DataFrame(rows))


def run_info(**extra: object) -> RunInfo:
    """Run metadata to go with the records."""
    base: dict[str, object] = {
        "run_id": "run-1",
        "started_at": 1_700_000_000.0,
        "finished_at": 1_700_000_100.0,
        "git_commit": "abc1234",
        "spec_hashes": {"qa": "f" * 64},
        "models": ["openai:gpt-a", "anthropic:claude-b", "ollama:local"],
        "params": {"temperature": 0, "repeat": 2},
        "record_mode": "once",
        "timings": "live",
        "status": "finished",
    }
    base.update(extra)
    return RunInfo(**base)  # type: ignore[arg-type]


DEMO_MODELS = {
    # model: (pass probability, cost per call or None, median latency ms)
    "openai:gpt-4o-mini": (0.82, 0.00021, 900.0),
    "anthropic:claude-3-5-haiku": (0.86, 0.00110, 1300.0),
    "gemini:gemini-2.0-flash": (0.78, 0.00012, 700.0),
    "ollama:llama3.2": (0.55, None, 2100.0),
}


def demo_records(cases: int = 150, *, attempts: int = 2) -> list[ResultRecord]:
    """A larger, deterministic run: four models, two specs, repeats, plus hostile text."""
    out: list[ResultRecord] = []
    for model, (p, cost, latency) in DEMO_MODELS.items():
        for i in range(cases):
            spec = "extract" if i % 3 else "classify"
            for attempt in range(1, attempts + 1):
                h = (hash_int(f"{model}{i}{attempt}") % 1000) / 1000
                status = PASSED if h < p else (ERROR if h > 0.985 else FAILED)
                out.append(
                    record(
                        model,
                        f"case-{i:03d}",
                        status,
                        spec=spec,
                        attempt=attempt,
                        cost_usd=cost,
                        latency_ms=latency * (0.5 + 1.5 * ((h * 7) % 1)),
                        tags=["smoke" if i % 2 else "regression"],
                        repaired=model.startswith("ollama") and h < 0.2,
                        timings_recorded=model.startswith("ollama"),
                    )
                )
    hostile = mixed_records()[-2:]
    names = ("openai:gpt-4o-mini", "anthropic:claude-3-5-haiku")
    return out + [dataclasses.replace(r, model=m) for r, m in zip(hostile, names, strict=True)]


def hash_int(text: str) -> int:
    """A stable hash (Python's own is salted per process)."""
    value = 0
    for ch in text:
        value = (value * 131 + ord(ch)) % 1_000_003
    return value
