"""The view's pages over a real store, through Starlette's test client (no browser)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from harness.view.app import create_app
from harness.view.serve import prepare_store
from tests.view.stores import HOSTILE_CASE, RUN_A, RUN_B, two_runs


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    """A client of the view over the two-run store, addressed as 127.0.0.1."""
    store = two_runs(tmp_path / "harness.db")
    prepare_store(store)
    return TestClient(create_app(store), base_url="http://127.0.0.1")


def test_runs_list_newest_first_with_pass_rate_and_cost(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "script-src" not in page.headers["content-security-policy"]
    rows = re.findall(r'class="run-link">([^<]+)<', page.text)
    assert rows == [RUN_B, RUN_A]
    assert "c0ffee1" in page.text
    cells = re.findall(r'<td class="num">([^<]+)</td>', page.text)
    # each run: 38 results, 23 passed (2 flips each way in B), cost 13 x $0.001 + 13 x $0.003
    assert cells == ["38", "60.5%", "$0.0520"] * 2


def test_run_page_filters_and_searches(client: TestClient) -> None:
    page = client.get(f"/runs/{RUN_A}", params={"model": "ollama:local", "status": "error"})
    cases = re.findall(r'class="item-link"[^>]*>([^<]+)<', page.text)
    assert cases == ["c0", "c0"]  # both attempts of the errored case
    found = client.get(f"/runs/{RUN_B}", params={"q": "wrong answer"})
    assert re.findall(r'class="item-link"[^>]*>([^<]+)<', found.text) == ["c1", "c1"]
    none = client.get(f"/runs/{RUN_B}", params={"q": "100%_no such"})
    assert 'id="no-results"' in none.text


def test_payloads_are_escaped_everywhere(client: TestClient) -> None:
    run = client.get(f"/runs/{RUN_A}", params={"spec": "security"})
    item_id = f"security::{HOSTILE_CASE}::openai:gpt-a::1"
    item = client.get("/item", params={"run": RUN_A, "id": item_id})
    assert item.status_code == 200
    for page in (run, item):
        assert "<script>alert(1)</script>" not in page.text
        assert "<img src=x" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "javascript:alert(1)" in item.text and 'href="javascript:' not in item.text


def test_compare_shows_flips_and_links_them(client: TestClient) -> None:
    page = client.get("/compare", params={"a": RUN_A, "b": RUN_B})
    assert page.status_code == 200
    assert "2 pass → fail, 2 fail → pass" in page.text
    link = re.search(r'class="flip-link" href="([^"]+)"', page.text)
    assert link is not None
    item = client.get(link.group(1).replace("&amp;", "&"))
    assert item.status_code == 200 and "<h1>" in item.text
    assert client.get("/compare", params={"a": RUN_A, "b": "nope"}).status_code == 404


def test_trends_per_spec_and_model(client: TestClient) -> None:
    page = client.get("/trends", params={"model": "anthropic:claude-b", "spec": "qa"})
    rows = re.findall(
        r"<td>qa</td><td>anthropic:claude-b</td><td class=\"num\">(\d+)</td>", page.text
    )
    assert rows == ["2"]
    # 6 of 12 passed in A, 8 of 12 in B: +16.7 points
    assert "+16.7 pts" in page.text and "<polyline" in page.text


def test_full_report_and_missing_things(client: TestClient) -> None:
    report = client.get(f"/runs/{RUN_A}/report")
    assert report.status_code == 200 and 'id="report-data"' in report.text
    assert client.get("/runs/no-such-run").status_code == 404
    assert client.get("/item", params={"run": RUN_A, "id": "x"}).status_code == 404
    assert client.get("/static/../app.py").status_code == 404


def test_only_loopback_hosts_are_answered(tmp_path: Path) -> None:
    store = two_runs(tmp_path / "harness.db")
    client = TestClient(create_app(store), base_url="http://attacker.example")
    assert client.get("/").status_code == 400


def test_an_item_with_sparse_verdicts_still_shows(tmp_path: Path) -> None:
    """Verdicts written by plugins or older versions may lack keys: shown, not a 500."""
    from harness.store.records import ResultRecord, RunInfo
    from harness.store.sqlite import Store

    path = tmp_path / "harness.db"
    with Store.open(path) as store:
        store.start_run(RunInfo(run_id="r1", started_at=1.0))
        store.write(
            [
                ResultRecord(
                    run_id="r1", item_id="i1", spec="s", case_id="c", model="p:m", attempt=1,
                    status="failed", verdicts=[{"assertion": "mine"}, {"passed": True}],
                )
            ]
        )  # fmt: skip
    client = TestClient(create_app(path), base_url="http://127.0.0.1")
    page = client.get("/item", params={"run": "r1", "id": "i1"})
    assert page.status_code == 200
    assert page.text.count("<tr><td>") == 2 and "mine" in page.text


def test_search_every_run(client: TestClient) -> None:
    page = client.get("/search", params={"q": "wrong answer"})
    runs = re.findall(r'<a href="/runs/([^"]+)">', page.text)
    assert runs == [RUN_B, RUN_B]  # only run B has that answer (c1 of gpt-a, two attempts)
    hostile = client.get("/search", params={"q": "<script>"})
    assert "<script>alert" not in hostile.text and "&lt;script&gt;" in hostile.text
    assert len(re.findall(r'class="item-link"', hostile.text)) > 0


def test_a_report_too_big_for_one_page_points_to_harness_report(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.view import app

    monkeypatch.setattr(app, "MAX_REPORT_RESULTS", 10)
    page = client.get(f"/runs/{RUN_A}/report")
    assert page.status_code == 200 and 'id="too-big"' in page.text
    assert f"harness report {RUN_A}" in page.text
    compare = client.get("/compare", params={"a": RUN_A, "b": RUN_B})
    assert f"harness compare {RUN_A} {RUN_B}" in compare.text and 'id="too-big"' in compare.text
