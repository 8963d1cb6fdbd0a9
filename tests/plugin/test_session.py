"""The session is one run: results in the store, report files, concurrency, xdist merging."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from harness.store.sqlite import Store
from tests.fakes.server import FakeServer, Fault
from tests.plugin.conftest import write_config

pytest_plugins = ["pytester"]

MANY = "name: many\nmodels: [fake:echo-1]\nprompt: {user: 'n {{ n }}'}\ncases:\n" + "".join(
    f"  - {{id: c{n}, vars: {{n: {n}}}, expect: [{{type: contains, value: 'n {n}'}}]}}\n"
    for n in range(8)
)
"""Eight passing cases."""


def _only_run(root: Path) -> tuple[str, Store]:
    store = Store.open(root / "reports" / "harness.db")
    run_ids = store.run_ids()
    assert len(run_ids) == 1
    return run_ids[0], store


def test_results_go_to_the_store_as_one_pytest_run(project: pytest.Pytester) -> None:
    result = project.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    run_id, store = _only_run(project.path)
    with store:
        info = store.run(run_id)
        statuses = {r.case_id: r.status for r in store.iter_results(run_id)}
    assert (info.source, info.status, info.models) == ("pytest", "finished", ["fake:echo-1"])
    assert statuses == {"john": "passed", "jane": "failed"}
    report = project.path / "reports" / run_id
    assert sorted(p.name for p in report.iterdir()) == [
        "report.html",
        "results.csv",
        "results.json",
        "results.parquet",  # the parquet extra is installed for the tests
        "summary.csv",
    ]
    result.stdout.fnmatch_lines([f"harness: run {run_id} -> *report.html"])


@pytest.mark.parametrize(
    ("args", "recorded"),
    [
        pytest.param([], None, id="default-as-harness-run"),
        pytest.param(["--harness-concurrency", "auto"], "auto", id="auto"),
        pytest.param(["--harness-concurrency", "3"], 3, id="fixed"),
    ],
)
def test_concurrency_is_chosen_as_harness_run_chooses_it(
    project: pytest.Pytester, args: list[str], recorded: int | str | None
) -> None:
    project.runpytest(*args).assert_outcomes(passed=1, failed=1)
    run_id, store = _only_run(project.path)
    with store:
        info = store.run(run_id)
    assert info.params["concurrency"] == recorded


def test_report_dir_option(project: pytest.Pytester) -> None:
    project.runpytest("--harness-report", "out/here").assert_outcomes(passed=1, failed=1)
    assert (project.path / "out" / "here" / "report.html").is_file()


def test_nothing_is_written_without_spec_items(project: pytest.Pytester) -> None:
    (project.path / "specs" / "greet.yaml").unlink()
    project.makepyfile(test_plain="def test_ok():\n    assert True\n")
    project.runpytest().assert_outcomes(passed=1)
    assert not (project.path / "reports").exists()


def test_items_run_concurrently(project: pytest.Pytester) -> None:
    (project.path / "specs" / "many.yaml").write_text(MANY)
    slow = FakeServer("openai")
    slow.faults.add(Fault("slow_first_byte", delay=0.5), times=8)
    with slow.in_thread() as url:
        write_config(project.path, url)
        start = time.perf_counter()
        result = project.runpytest("-k", "many")
        elapsed = time.perf_counter() - start
    result.assert_outcomes(passed=8, deselected=2)
    assert len(slow.requests) == 8
    assert elapsed < 3.0  # one after another would take 4 s of server delay alone


def test_xdist_workers_share_one_run_and_one_report(project: pytest.Pytester) -> None:
    (project.path / "specs" / "many.yaml").write_text(MANY)
    result = project.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=9, failed=1)
    run_id, store = _only_run(project.path)
    with store:
        assert store.count(run_id) == 10
        info = store.run(run_id)
    assert (info.source, info.status) == ("pytest", "finished")
    assert set(info.spec_hashes) == {"greet", "many"}
    assert [p.name for p in (project.path / "reports").iterdir() if p.is_dir()] == [run_id]
    assert (project.path / "reports" / run_id / "report.html").is_file()
