"""The view's pages over a real store, through Starlette's test client (no browser)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from harness.view.app import create_app
from harness.view.serve import prepare_store
from tests.view.stores import (
    HOSTILE_CASE,
    RUN_A,
    RUN_B,
    VARIANT_A,
    VARIANT_B,
    two_runs,
    variant_runs,
)


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
    assert "run-prompts" not in page.text  # no prompt variants: nothing about prompts
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


def test_a_compare_too_big_for_one_page_points_to_harness_compare(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.view import app

    monkeypatch.setattr(app, "MAX_REPORT_RESULTS", 10)
    page = client.get(f"/runs/{RUN_A}/report")  # a report is drawn from the store at any size
    assert page.status_code == 200 and 'id="too-big"' not in page.text
    compare = client.get("/compare", params={"a": RUN_A, "b": RUN_B})
    assert f"harness compare {RUN_A} {RUN_B}" in compare.text and 'id="too-big"' in compare.text


@pytest.fixture
def variants(tmp_path: Path) -> TestClient:
    """A client of the view over two runs with prompt variants (see ``variant_runs``)."""
    store = variant_runs(tmp_path / "harness.db")
    prepare_store(store)
    return TestClient(create_app(store), base_url="http://127.0.0.1")


def _cells(row_html: str) -> list[str]:
    return re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", row_html)


def test_runs_list_names_the_prompt_variants(variants: TestClient) -> None:
    page = variants.get("/")
    prompts = re.findall(r'class="muted run-prompts">([^<]+)<', page.text)
    assert prompts == ["× prompts formal, short"] * 2


def test_run_page_counts_per_prompt_and_model(variants: TestClient) -> None:
    page = variants.get(f"/runs/{VARIANT_A}")
    assert "<h2>By prompt and model</h2>" in page.text
    table = page.text.split('id="models-table"')[1].split("</table>")[0]
    rows = {cells[0]: cells[1:3] + cells[5:] for cells in map(_cells, table.split("<tr>")[2:])}
    # label: passed, failed, pass rate, cost, mean latency (spec "plain" has no variant)
    assert rows == {
        "short@openai:gpt-a": ["4", "0", "100.0%", "$0.0040", "100 ms"],
        "openai:gpt-a": ["2", "0", "100.0%", "$0.0020", "100 ms"],
        "formal@ollama:local": ["3", "1", "75.0%", "$0.0080", "300 ms"],
        "formal@openai:gpt-a": ["2", "2", "50.0%", "$0.0080", "300 ms"],
        "short@ollama:local": ["1", "3", "25.0%", "$0.0040", "100 ms"],
    }


def test_run_page_filters_by_prompt_and_shows_it(variants: TestClient) -> None:
    page = variants.get(f"/runs/{VARIANT_A}", params={"prompt": "formal", "model": "openai:gpt-a"})
    assert re.findall(r"<option selected>(formal)</option>", page.text) == ["formal"]
    cases = re.findall(r'class="item-link"[^>]*>([^<]+)<', page.text)
    assert cases == ["c0", "c1", "c2", "c3"]
    assert re.findall(r'class="nowrap prompt-name">([^<]+)<', page.text) == ["formal"] * 4
    failed = variants.get(f"/runs/{VARIANT_B}", params={"prompt": "short", "status": "failed"})
    assert len(re.findall(r'class="item-link"', failed.text)) == 4  # ollama's c0..c3
    everything = variants.get(f"/runs/{VARIANT_A}")
    names = re.findall(r'class="nowrap prompt-name">([^<]+)<', everything.text)
    assert names.count("short") == 8 and names.count("formal") == 8 and names.count("—") == 2


def test_trends_per_spec_model_and_prompt(variants: TestClient) -> None:
    page = variants.get("/trends", params={"spec": "greet", "model": "openai:gpt-a"})
    rows = re.findall(
        r'<td>greet</td><td>openai:gpt-a</td><td class="prompt-name">(\w+)</td>', page.text
    )
    assert rows == ["formal", "short"]
    formal = variants.get("/trends", params={"prompt": "formal", "model": "openai:gpt-a"})
    assert formal.text.count('<td class="prompt-name">') == 1
    assert 'value="formal" id="t-prompt"' in formal.text
    assert "+25.0 pts" in formal.text  # 2 of 4 passed in A, 3 of 4 in B
    short = variants.get("/trends", params={"prompt": "short", "model": "ollama:local"})
    assert "-25.0 pts" in short.text  # 1 of 4, then 0 of 4


def test_compare_per_prompt_and_model_links_the_variant(variants: TestClient) -> None:
    page = variants.get("/compare", params={"a": VARIANT_A, "b": VARIANT_B})
    assert page.status_code == 200
    assert "1 pass → fail, 1 fail → pass" in page.text
    groups = page.text.split('id="groups-table"')[1].split("</table>")[0]
    labels = {cells[0] for cells in map(_cells, groups.split("<tr")[2:])}
    assert labels == {
        "short@openai:gpt-a", "formal@openai:gpt-a", "short@ollama:local",
        "formal@ollama:local", "openai:gpt-a",
    }  # fmt: skip
    links = re.findall(r'class="flip-link" href="([^"]+)"', page.text)
    assert len(links) == 2
    seen = []
    for link in links:
        item = variants.get(link.replace("&amp;", "&"))
        assert item.status_code == 200
        seen.append(re.findall(r'id="item-prompt-name">([^<]+)<', item.text))
    assert sorted(seen) == [["formal"], ["short"]]


def test_item_and_search_name_the_prompt(variants: TestClient) -> None:
    item_id = "greet::c2::openai:gpt-a::1::formal"
    item = variants.get("/item", params={"run": VARIANT_A, "id": item_id})
    assert 'prompt <span id="item-prompt-name">formal</span>' in item.text
    assert "formal prompt for c2" in item.text
    plain = variants.get("/item", params={"run": VARIANT_A, "id": "plain::p0::openai:gpt-a::1"})
    assert plain.status_code == 200 and "item-prompt-name" not in plain.text
    found = variants.get("/search", params={"q": "formal prompt for c3"})
    assert re.findall(r'<td class="nowrap">([^<]+@[^<]+)</td>', found.text) == [
        "formal@ollama:local", "formal@openai:gpt-a",
    ] * 2  # fmt: skip


def test_counts_per_prompt_read_only_the_covering_index(tmp_path: Path) -> None:
    """The per prompt x model table, the runs list and the trends never read a row."""
    from harness.view import queries

    store = variant_runs(tmp_path / "harness.db")
    prepare_store(store)
    db = queries.connect(store)
    try:
        sent: list[str] = []
        db.set_trace_callback(sent.append)
        queries.by_model(db, VARIANT_A)
        queries.runs(db)
        queries.trends(db)
        db.set_trace_callback(None)
        counting = [sql for sql in sent if "FROM results" in sql]
        assert len(counting) >= 4
        indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert "results_overview" not in indexes  # m008's index replaces m004's
        for sql in counting:
            plan = " ".join(r[3] for r in db.execute(f"EXPLAIN QUERY PLAN {sql}"))
            assert "COVERING INDEX results_overview_prompts" in plan, (sql, plan)
    finally:
        db.close()


def test_the_report_page_is_the_report_html_harness_report_writes(
    client: TestClient, tmp_path: Path
) -> None:
    from harness.report.write import write_reports
    from harness.store.sqlite import Store

    with Store.open(tmp_path / "harness.db") as store:
        files = write_reports(store, RUN_A, tmp_path / "out")
    page = client.get(f"/runs/{RUN_A}/report")
    # equal but for the time each was generated (the two renders may straddle a second)
    generated = re.compile(r"Report generated [0-9: -]+ UTC")
    served = generated.subn("Report generated <time>", page.text)
    written = generated.subn("Report generated <time>", files["html"].read_text(encoding="utf-8"))
    assert served[1] == written[1] == 1
    assert served[0] == written[0]
