"""Item 4: an answer over the size limit is stored and reported truncated, marked with its
full size; assertions still see all of it."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from harness import limits
from harness.config import ProjectConfig
from harness.drivers.base import Request, Response, Usage
from harness.expect.evaluate import evaluate_case
from harness.report import write_reports
from harness.runner.run import Runner, RunOptions
from harness.spec.types import Assertion, Case, PromptTemplate, Spec
from harness.store.bounded import bounded_output, is_truncated
from harness.store.sqlite import Store
from tests.runner.fakes import Drivers

BIG = 3_000_000


@pytest.fixture(autouse=True)
def small_limit() -> Iterator[None]:
    """Answers over 100,000 characters are truncated."""
    limits.configure(limits.Limits(max_output_bytes=100_000))
    yield
    limits.configure(limits.Limits())


def huge(request: Request) -> Response:
    """A 3 MB answer that ends with the word the case looks for."""
    return Response(
        text="x" * BIG + " END",
        model=request.model,
        usage=Usage(input_tokens=1, output_tokens=1),
        finish_reason="stop",
    )


async def test_a_huge_answer_is_stored_truncated_and_marked(
    config: ProjectConfig, store: Store, tmp_path: Path
) -> None:
    spec = Spec(
        name="big",
        path="specs/big.yaml",
        prompt=PromptTemplate((("user", "go"),)),
        cases=(Case("c1", {}, (Assertion("ends-with", "END"),)),),
        models=("fake:m1",),
    )
    runner = Runner(
        [spec],
        config,
        store,
        RunOptions(progress=False),
        driver_factory=Drivers({"fake": huge}),
        evaluate=evaluate_case,
        console=Console(file=io.StringIO()),
    )
    result = await runner.run()
    (record,) = store.iter_results(result.run_id)
    assert record.status == "passed"  # the assertion saw the whole answer, END included
    assert record.output is not None and len(record.output) < 100_200
    assert is_truncated(record.output)
    assert f"{BIG + 4:,} characters in full" in record.output
    out = write_reports(store, result.run_id, tmp_path / "out")
    for path in out.values():
        assert path.stat().st_size < 1_000_000, path  # not a copy of 3 MB per file
    rows = json.loads((tmp_path / "out" / "results.json").read_text())
    text = json.dumps(rows)
    assert "answer truncated" in text


def test_bounded_output_keeps_short_answers_as_they_are() -> None:
    assert bounded_output("short") == "short"
    cut = bounded_output("y" * 150_000)
    assert cut.startswith("y" * 100_000) and "150,000 characters in full" in cut
    assert not is_truncated("short") and is_truncated(cut)
