"""Report files from the store (SQL aggregates, cursors, a capped matrix) say exactly what
the pandas path says about the same results."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.report.aggregates import (
    leaderboard_store,
    pairwise_store,
    summarize_store,
    summary_store,
)
from harness.report.html import render_report
from harness.report.matrix import KINDS, matrix_data
from harness.report.summary_pass import summarize_both
from harness.report.tables import leaderboard, pairwise, summary_frame
from harness.report.write import render_store_report, write_reports
from harness.store.records import ERROR, FAILED, PASSED, SKIPPED, ResultRecord, RunInfo
from harness.store.sqlite import Store
from tests.report.fixtures import (
    demo_records,
    frame_of,
    hash_int,
    mixed_records,
    record,
    run_info,
)

DATA = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)
GENERATED = re.compile(r"Report generated [^<]* from")


def _store(path: Path, records: list[ResultRecord], info: RunInfo | None = None) -> Store:
    store = Store.open(path)
    store.start_run(info or run_info())
    store.write(records)
    return store


def _variant(r: ResultRecord, prompt: str | None) -> ResultRecord:
    """``r`` as prompt variant ``prompt`` (its item id names the prompt, as the runner's does)."""
    if prompt is None:
        return r
    return dataclasses.replace(r, prompt_name=prompt, item_id=f"{r.item_id}::{prompt}")


def variant_records() -> list[ResultRecord]:
    """Prompt variants on two models beside a spec without variants, rate-limit waits
    (measured, zero, and unmeasured on one model), and transformed outputs."""
    out: list[ResultRecord] = []
    statuses = (PASSED, PASSED, FAILED, ERROR, SKIPPED)
    for prompt in ("plain", "few-shot"):
        for model in ("a:m", "b:m"):
            for case in range(12):
                for attempt in (1, 2):
                    h = hash_int(f"{prompt}{model}{case}{attempt}")
                    status = statuses[h % len(statuses)]
                    r = record(model, f"c{case}", status, attempt=attempt, score=(h % 7) / 7)
                    r.rate_limit_wait_ms = None if model == "b:m" and prompt == "plain" else (
                        0.0 if h % 3 else 1000 / 3 + h % 997 * 0.1
                    )  # fmt: skip
                    if prompt == "plain" and r.output is not None:
                        r.transformed_output = r.output.lower()
                    if status != ERROR:  # a judged metric and a plain one, on some results
                        r.verdicts = [
                            *r.verdicts,
                            {"assertion": "judge", "passed": h % 2 == 0, "score": (h % 10) / 9,
                             "metric": "tone", "cost_usd": 0.0007 * (1 + h % 5), "error": None},
                            {"assertion": "contains", "passed": True, "score": 1.0,
                             "metric": "format", "error": "bad" if h % 11 == 0 else None},
                        ]  # fmt: skip
                    out.append(_variant(r, prompt))
    for case in range(3):  # a model whose every item was skipped: no repeat measures
        out.append(record("c:m", f"o{case}", SKIPPED, spec="other", verdicts=[]))
    for case in range(5):  # a spec with one prompt: its results keep the bare model
        r = record("a:m", f"o{case}", PASSED if case % 2 else FAILED, spec="other")
        r.rate_limit_wait_ms = 250.5 * case
        out.append(r)
    return out


@pytest.fixture(
    params=[
        pytest.param(mixed_records, id="mixed"),
        pytest.param(demo_records, id="demo"),
        pytest.param(variant_records, id="variants"),
    ]
)
def run(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, pd.DataFrame]]:
    """A fixture run in a store, and the same run as a normalized frame."""
    records = request.param()
    with _store(tmp_path / "h.db", records) as store:
        yield store, frame_of(records)


def _plain(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """None for NaN and numpy scalars as Python ones, so two tables compare by value."""
    out = []
    for row in rows:
        clean = {}
        for key, value in row.items():
            if hasattr(value, "item"):
                value = value.item()
            if isinstance(value, float) and math.isnan(value):
                value = None
            clean[key] = value
        out.append(clean)
    return out


def test_summary_rows_equal_the_pandas_tables_to_the_last_digit(
    run: tuple[Store, pd.DataFrame],
) -> None:
    store, frame = run
    expected = _plain(summary_frame(frame).to_dict("records"))
    assert _plain(summary_store(store, "run-1")) == expected
    # both groupings from one pass over the rows: the same rows, the same digits
    assert summarize_both(store, "run-1") == (
        summarize_store(store, "run-1", ["model"]),
        summarize_store(store, "run-1", ["spec", "model"]),
    )


def test_summary_csv_is_byte_for_byte_what_pandas_writes(
    run: tuple[Store, pd.DataFrame], tmp_path: Path
) -> None:
    store, frame = run
    paths = write_reports(store, "run-1", tmp_path / "out")
    assert paths["summary"].read_text() == summary_frame(frame).to_csv(index=False)


def test_leaderboard_order_and_pairs_equal_the_pandas_tables(
    run: tuple[Store, pd.DataFrame],
) -> None:
    store, frame = run
    board = leaderboard_store(store, "run-1")
    assert _plain(board) == _plain(leaderboard(frame).to_dict("records"))
    assert pairwise_store(store, "run-1") == pairwise(frame)


def test_report_html_equals_the_one_drawn_from_a_frame(run: tuple[Store, pd.DataFrame]) -> None:
    store, frame = run
    from_store = GENERATED.sub("", render_store_report(store, "run-1"))
    from_frame = GENERATED.sub("", render_report(run_info(), frame))
    assert from_store == from_frame


statuses = st.sampled_from([PASSED, PASSED, FAILED, ERROR, SKIPPED])
results = st.lists(
    st.tuples(
        st.sampled_from(["a:m", "b:m", "c:m"]),
        st.integers(0, 6),
        st.integers(1, 2),
        statuses,
        st.none() | st.floats(0, 1),
        st.none() | st.floats(0, 0.01, allow_subnormal=False),
        st.none() | st.floats(1, 5000),
        st.sampled_from([None, None, "p1", "p2"]),
        st.none() | st.just(0.0) | st.floats(0, 60_000),
    ),
    min_size=1,
    max_size=60,
    unique_by=lambda t: (t[0], t[1], t[2], t[7]),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=results)
def test_any_run_summarizes_the_same_from_the_store_and_from_a_frame(
    rows: list[
        tuple[
            str, int, int, str, float | None, float | None, float | None, str | None, float | None
        ]
    ],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    records = [
        _variant(
            record(
                m,
                f"c{c}",
                status,
                attempt=a,
                spec=f"s{c % 2}",
                score=score,
                cost_usd=cost,
                latency_ms=latency,
                rate_limit_wait_ms=wait,
            ),
            prompt,
        )
        for m, c, a, status, score, cost, latency, prompt, wait in rows
    ]
    with _store(tmp_path_factory.mktemp("h") / "h.db", records) as store:
        assert _plain(summary_store(store, "run-1")) == _plain(
            summary_frame(frame_of(records)).to_dict("records")
        )
        assert pairwise_store(store, "run-1") == pairwise(frame_of(records))
        assert summarize_both(store, "run-1") == (
            summarize_store(store, "run-1", ["model"]),
            summarize_store(store, "run-1", ["spec", "model"]),
        )


def _capped_run() -> list[ResultRecord]:
    """40 cases on two models: 5 where the models disagree, 10 both failing, 25 both passing."""
    out = []
    for i in range(40):
        a = FAILED if 5 <= i < 15 else PASSED
        b = FAILED if i < 15 else PASSED
        out += [record("a:m", f"c{i:02d}", a), record("b:m", f"c{i:02d}", b)]
    return out


def test_a_capped_matrix_holds_disagreements_then_failures_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    with _store(tmp_path / "h.db", _capped_run()) as store:
        matrix = matrix_data(store, "run-1", max_results=24)
    payload = matrix.payload
    s = payload["s"]
    cases = sorted({s[i] for i in payload["case"]})
    # 5 disagreements (10 results) first, then 7 failing cases (14 results): 24
    assert cases == [f"c{i:02d}" for i in range(12)]
    assert payload["n"] == 24 and matrix.total == 80 and matrix.capped
    left = {k.kind: (k.cases, k.results) for k in matrix.left}
    assert left == {KINDS[1]: (3, 6), KINDS[2]: (25, 50)}
    assert matrix.left_results == 56 and matrix.left_cases == 28


def test_the_page_says_what_it_left_out_and_where_it_is(tmp_path: Path) -> None:
    with _store(tmp_path / "h.db", _capped_run()) as store:
        html = render_store_report(store, "run-1", max_results=24)
    note = re.search(r'<p class="note" id="matrix-left-out">(.*?)</p>', html, re.S)
    assert note is not None
    text = note.group(1)
    for phrase in ("24 of the run's 80 results", "3 case(s) with failures or errors (6 results)",
                   "25 case(s) where every attempt passed or was skipped (50 results)",
                   "results.csv and results.json", "harness report run-1"):  # fmt: skip
        assert phrase in text, phrase
    found = DATA.search(html)
    assert found is not None
    data = json.loads(found.group(1))
    assert (data["n"], data["total"]) == (24, 80)


def test_an_uncapped_page_has_no_note(tmp_path: Path) -> None:
    with _store(tmp_path / "h.db", _capped_run()) as store:
        html = render_store_report(store, "run-1")
    assert "matrix-left-out" not in html


def test_long_texts_cap_the_matrix_by_size_too(tmp_path: Path) -> None:
    records = [record("m", f"c{i}", FAILED, output=f"{i} " + "x" * 50_000) for i in range(20)]
    with _store(tmp_path / "h.db", records) as store:
        matrix = matrix_data(store, "run-1", max_bytes=200_000)
    assert 3 <= matrix.payload["n"] < 20
    assert sum(len(t) for t in matrix.payload["s"]) < 300_000
    assert matrix.left_results == 20 - matrix.payload["n"]


def test_results_parquet_holds_every_row_typed(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    with _store(tmp_path / "h.db", mixed_records()) as store:
        paths = write_reports(store, "run-1", tmp_path / "out")
    table = pd.read_parquet(paths["results_parquet"])
    csv = pd.read_csv(paths["results_csv"])
    assert list(table.columns) == list(csv.columns)
    assert len(table) == len(mixed_records())
    assert table["repaired"].dtype == bool
    assert table["attempt"].dtype == "int64"
    assert json.loads(table["verdicts"][0]) == mixed_records()[0].verdicts


def test_without_pyarrow_there_is_no_parquet_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.parquet").write_text("stale")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # what an environment without it does
    with _store(tmp_path / "h.db", mixed_records()) as store:
        paths = write_reports(store, "run-1", out)
    assert "results_parquet" not in paths
    assert not (out / "results.parquet").exists()


def test_writing_the_report_files_never_imports_pandas(tmp_path: Path) -> None:
    with _store(tmp_path / "h.db", demo_records(20)):
        pass
    code = (
        "import sys; from pathlib import Path; from harness.report import write_reports; "
        "from harness.store.sqlite import Store; "
        f"s = Store.open(Path({str(tmp_path / 'h.db')!r})); "
        f"write_reports(s, 'run-1', Path({str(tmp_path / 'out')!r})); "
        "print('pandas' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    assert (tmp_path / "out" / "report.html").is_file()


def test_failing_assertions_from_the_store_equal_the_pandas_table(
    run: tuple[Store, pd.DataFrame],
) -> None:
    from harness.report.failing import failing_assertions
    from harness.report.failing_store import failing_store

    store, frame = run
    assert failing_store(store, "run-1") == failing_assertions(frame)
    assert any(m.rows for m in failing_store(store, "run-1"))


def test_prompt_variants_rate_limit_waits_and_transformed_outputs_reach_the_store_report(
    tmp_path: Path,
) -> None:
    """The variant run's report from the store labels prompt@model, counts the waits and
    embeds the transformed outputs (the equality tests above compare it with pandas)."""
    records = variant_records()
    with _store(tmp_path / "h.db", records) as store:
        rows = {r["model"]: r for r in summary_store(store, "run-1") if r["scope"] == "model"}
        html = render_store_report(store, "run-1")
    assert sorted(rows) == [
        "a:m", "c:m", "few-shot@a:m", "few-shot@b:m", "plain@a:m", "plain@b:m"
    ]  # fmt: skip
    assert rows["plain@a:m"]["metric:tone"] is not None and rows["c:m"]["repeat_k"] is None
    assert rows["plain@a:m"]["judge_cost_usd"] > 0
    assert rows["plain@b:m"]["rate_limit_wait_s"] is None  # never measured: unknown, not 0
    assert rows["a:m"]["rate_limit_wait_s"] == pytest.approx(250.5 * 10 / 1000)
    assert rows["a:m"]["rate_limited_share"] == pytest.approx(4 / 5)
    waited = [r for r in records if r.model == "a:m" and r.prompt_name == "plain"]
    graded = [r for r in waited if r.status != SKIPPED]
    assert rows["plain@a:m"]["rate_limited_share"] == pytest.approx(
        sum(1 for r in graded if r.rate_limit_wait_ms) / len(graded)
    )
    assert "rate-limit wait" in html
    found = DATA.search(html)
    assert found is not None
    data = json.loads(found.group(1))
    s = data["s"]
    assert {s[i] for i in data["model"]} == set(rows)
    assert 'id="extras-table"' in html and ">tone<" in html and "judge cost" in html
    transformed = [s[i] for i in data["transformed"] if i >= 0]
    assert transformed and all(t == t.lower() for t in transformed)
    # results without transforms have none, on the pandas path too (not the text "nan")
    assert data["transformed"].count(-1) == sum(r.transformed_output is None for r in records)
    frame = frame_of(records)
    assert frame["transformed_output"].isna().sum() == data["transformed"].count(-1)
    assert "nan" not in set(frame["transformed_output"].dropna())


def test_a_large_run_s_results_files_come_from_a_second_process_equal_to_in_line(
    tmp_path: Path,
) -> None:
    from harness.report.beside import ResultsFiles

    with Store.open(tmp_path / "h.db") as store:
        store.start_run(run_info())
        store.write(mixed_records())
        beside = ResultsFiles.start(store, "run-1", tmp_path / "beside", beside_from=1)
        assert beside.child is not None  # a store with a file, a run over the threshold
        paths = beside.wait()
        in_line = ResultsFiles.start(store, "run-1", tmp_path / "in-line")
        assert in_line.child is None  # under the threshold: in this process
        expected = in_line.wait()
    assert sorted(paths) == sorted(expected)
    for kind, path in expected.items():
        if kind != "results_parquet":  # parquet files carry their writer's metadata
            assert paths[kind].read_bytes() == path.read_bytes(), kind
        assert paths[kind].parent == tmp_path / "beside"


def test_a_failure_writing_the_results_files_reaches_the_caller(tmp_path: Path) -> None:
    from harness.report.beside import ResultsFiles

    (tmp_path / "out").write_text("a file where the folder should be")
    with Store.open(tmp_path / "h.db") as store:
        store.start_run(run_info())
        store.write(mixed_records())
        files = ResultsFiles.start(store, "run-1", tmp_path / "out", beside_from=1)
        assert files.child is not None
        with pytest.raises(OSError):  # the child failed; written again here, it raises here
            files.wait()
