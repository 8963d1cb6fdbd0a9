"""The flat result record written to the store: plain types only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# status of a result
PASSED = "passed"
FAILED = "failed"
ERROR = "error"
SKIPPED = "skipped"


@dataclass(slots=True)
class ResultRecord:
    """One finished item. ``verdicts`` is a list of dicts (assertion, passed, score, reason,
    weight, field, error); ``parsed_output`` any JSON value. ``rate_limit_wait_ms`` is how
    long the item's calls waited for the provider's rate limits (pauses after 429s,
    pacing, configured RPM/TPM); None for rows stored before it was measured.
    ``transformed_output`` is the answer after the case's transforms (None when it has
    none); ``output`` stays the raw one. ``prompt_name`` is the prompt variant's name (None
    for a spec with one ``prompt:``). ``steps`` is a tool loop's or multi-turn exchange's
    every step (:func:`harness.tools.trajectory.steps_json`), None for a single call."""

    run_id: str
    item_id: str
    spec: str
    case_id: str
    model: str
    attempt: int
    status: str
    score: float | None = None
    prompt: str = ""
    output: str | None = None
    parsed_output: Any = None
    repaired: bool = False
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    latency_ms: float | None = None
    ttft_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    cost_usd: float | None = None
    finish_reason: str | None = None
    structured_mode: str | None = None
    retries: int = 0
    error_type: str | None = None
    error: str | None = None
    cassette: str | None = None
    timings_recorded: bool = False
    tags: list[str] = field(default_factory=list)
    case_vars: dict[str, Any] = field(default_factory=dict)
    expected: list[dict[str, Any]] = field(default_factory=list)
    started_at: float | None = None
    finished_at: float | None = None
    cached: bool = False
    rate_limit_wait_ms: float | None = None
    transformed_output: str | None = None
    prompt_name: str | None = None
    steps: list[dict[str, Any]] | None = None


@dataclass(slots=True)
class RunInfo:
    """One run's metadata. ``record_mode`` and ``timings`` ('live' or 'recorded') tell
    readers whether latencies were measured now or replayed from cassettes."""

    run_id: str
    started_at: float
    finished_at: float | None = None
    git_commit: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    spec_hashes: dict[str, str] = field(default_factory=dict)
    models: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    record_mode: str | None = None
    timings: str = "live"
    status: str = "running"
    source: str = "cli"
