"""``harness_model``: Python tests call models through drivers and their own cassettes."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.testing.client import cassette_for_test
from tests.plugin.conftest import write_config

pytest_plugins = ["pytester"]

PYTHON_TESTS = """
import pytest


@pytest.mark.asyncio
async def test_capital(harness_model):
    model = harness_model("fake:echo-1")
    response = await model.complete("Capital of France?", system="Be brief.", max_tokens=20)
    assert response.text == "echo: Capital of France?"


def test_sync(harness_model, harness_assert, harness_record_mode):
    response = harness_model("fake:echo-1").complete_sync([{"role": "user", "content": "hi"}])
    harness_assert(response, [{"type": "contains", "value": "hi"}])
    assert harness_record_mode in ("once", "none")
"""


def test_records_then_replays_python_tests(project: pytest.Pytester) -> None:
    project.makepyfile(test_llm=PYTHON_TESTS)
    project.runpytest("test_llm.py", "--record-mode", "once").assert_outcomes(passed=2)
    assert (project.path / "cassettes/test_llm/test_capital/fake/echo-1.yaml").is_file()
    assert (project.path / "cassettes/test_llm/test_sync/fake/echo-1.yaml").is_file()
    write_config(project.path, "http://127.0.0.1:9")  # nothing listens: only replay can pass
    project.runpytest("test_llm.py", "--record-mode", "none").assert_outcomes(passed=2)


def test_specs_and_python_tests_mix_in_one_session(project: pytest.Pytester) -> None:
    project.makepyfile(test_llm=PYTHON_TESTS)
    project.runpytest("--record-mode", "once").assert_outcomes(passed=3, failed=1)


@pytest.mark.parametrize(
    ("nodeid", "expected"),
    [
        pytest.param(
            "tests/test_a.py::test_x", "c/tests/test_a/test_x/openai/gpt-4o.yaml", id="function"
        ),
        pytest.param(
            "test_a.py::TestK::test_x[p1]",
            "c/test_a/TestK%3A%3Atest_x[p1]/openai/gpt-4o.yaml",
            id="method-param",
        ),
    ],
)
def test_cassette_for_test(nodeid: str, expected: str) -> None:
    assert cassette_for_test(Path("c"), nodeid, "openai:gpt-4o").as_posix() == expected


def test_calls_land_in_the_results_store(project: pytest.Pytester) -> None:
    from harness.store.sqlite import Store

    project.makepyfile(
        test_llm="""
def test_once(harness_model):
    response = harness_model("fake:echo-1").complete_sync("Capital of France?")
    assert response.text == "echo: Capital of France?"


def test_twice(harness_model):
    model = harness_model("fake:echo-1")
    assert model.complete_sync("one").text == "echo: one"
    assert harness_model("fake:echo-1").complete_sync("two").text == "echo: two"
"""
    )
    project.runpytest("test_llm.py", "--record-mode", "once").assert_outcomes(passed=2)
    with Store.open(project.path / "reports" / "harness.db") as store:
        run_id = store.latest_run_id()
        assert run_id is not None
        records = sorted(store.iter_results(run_id), key=lambda r: r.item_id)
        info = store.run(run_id)
    assert [r.item_id for r in records] == [
        "test_llm.py::test_once::fake:echo-1::1",
        "test_llm.py::test_twice::fake:echo-1::1",
        "test_llm.py::test_twice::fake:echo-1::2",
    ]
    assert [r.output for r in records] == ["echo: Capital of France?", "echo: one", "echo: two"]
    assert all(r.status == "passed" and r.spec == "test_llm.py" for r in records)
    assert "Capital of France?" in records[0].prompt
    assert records[1].cassette == records[2].cassette  # one test, one model: one cassette
    write_config(project.path, "http://127.0.0.1:9")  # nothing listens: only replay can pass
    project.runpytest("test_llm.py", "--record-mode", "none").assert_outcomes(passed=2)
    assert (info.source, info.status, info.models) == ("pytest", "finished", ["fake:echo-1"])
