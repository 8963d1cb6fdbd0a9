"""`harness view` in a real browser: headless Debian chromium over the DevTools protocol.

The view runs on uvicorn on 127.0.0.1 in a thread; the browser lists the runs, opens
one, filters it, opens an item full of HTML and script payloads (which must stay
text), compares two runs and shows the trends. Set HARNESS_UPDATE_SCREENSHOT=1 to
refresh docs/view-screenshot.png.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.view.serve import bind, make_server, prepare_store
from tests.report.cdp import CHROMIUM, Browser
from tests.report.fixtures import PAYLOADS
from tests.view.stores import RUN_A, RUN_B, VARIANT_A, VARIANT_B, two_runs, variant_runs

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="BROWSER TESTS SKIPPED: /usr/bin/chromium is absent "
    "(apt-get install -y chromium chromium-driver)",
)
DOCS = Path(__file__).resolve().parents[2] / "docs"


@contextmanager
def _serve(store: Path) -> Iterator[str]:
    """The view of ``store``, served by uvicorn on a free loopback port."""
    prepare_store(store)
    sock = bind(0)
    server = make_server(store, sock)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.025)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    """The view of the two-run store."""
    with _serve(two_runs(tmp_path / "harness.db")) as url:
        yield url


@pytest.fixture
def variants_url(tmp_path: Path) -> Iterator[str]:
    """The view of the two runs with prompt variants."""
    with _serve(variant_runs(tmp_path / "harness.db")) as url:
        yield url


async def _go(page: Browser, url: str | None = None, *, click: str | None = None) -> None:
    """Navigate to ``url`` or click the element ``click`` selects, and wait for the load."""
    await page.send("Page.enable")
    await page.send("Runtime.enable")
    page.events = [e for e in page.events if e.get("method") != "Page.loadEventFired"]
    if url is not None:
        await page.send("Page.navigate", url=url)
    else:
        await page.eval(f"document.querySelector({click!r}).click()")
    await page.wait_event("Page.loadEventFired")


async def _count(page: Browser, selector: str) -> int:
    return int(await page.eval(f"document.querySelectorAll({selector!r}).length"))


async def _pwned(page: Browser) -> bool:
    return bool(await page.eval("window.__pwned !== undefined || document.title === 'pwned'"))


async def test_list_open_filter_item_compare_trends(base_url: str, tmp_path: Path) -> None:
    async with Browser() as page:
        await _go(page, base_url + "/")
        assert await _count(page, "#runs-table tbody tr") == 2

        # open the newest run
        await _go(page, click="#runs-table a.run-link")
        assert RUN_B in await page.eval("document.querySelector('h1').textContent")
        assert await _count(page, "#models-table tbody tr") == 3
        shot = tmp_path / "view.png"
        await page.screenshot(shot, height=1000)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if os.environ.get("HARNESS_UPDATE_SCREENSHOT"):
            shutil.copy(shot, DOCS / "view-screenshot.png")

        # filter to the hostile spec and open its failing item
        await page.eval("document.getElementById('f-spec').value = 'security'")
        await _go(page, click="#f-go")
        assert await _count(page, "#results-table tbody tr") == 2
        assert await _count(page, "main img, main script") == 0
        await _go(page, click="#results-table a.item-link")
        output = await page.eval("document.getElementById('item-output').textContent")
        prompt = await page.eval("document.getElementById('item-prompt').textContent")
        assert PAYLOADS[1] in output and PAYLOADS[2] in prompt
        assert await _count(page, "main img, main script, main a[href^='javascript']") == 0
        assert not await _pwned(page)

        # search the answers of run B
        await _go(page, f"{base_url}/runs/{RUN_B}")
        await page.eval("document.getElementById('f-q').value = 'wrong answer'")
        await _go(page, click="#f-go")
        assert await _count(page, "#results-table tbody tr") == 2

        # search every run from the header
        await page.eval("document.getElementById('nav-q').value = 'wrong answer'")
        page.events = [e for e in page.events if e.get("method") != "Page.loadEventFired"]
        await page.eval("document.querySelector('header form.search').requestSubmit()")
        await page.wait_event("Page.loadEventFired")
        assert await _count(page, "#search-table tbody tr") == 2

        # compare A (baseline) with B from the runs list's form
        await _go(page, base_url + "/")
        assert await page.eval("document.getElementById('compare-a').value") == RUN_A
        await _go(page, click="#compare-go")
        assert await _count(page, "#flips-table tbody tr") == 4
        await _go(page, click="#flips-table a.flip-link")
        assert "gpt-a" in await page.eval("document.querySelector('h1').textContent")

        # trends: 5 spec x model rows, each with a sparkline
        await _go(page, click="#nav-trends")
        assert await _count(page, "#trends-table tbody tr") == 5
        # pass rate, cost and latency lines (ollama's cost is unknown: no line)
        assert await _count(page, "#trends-table svg.spark polyline") == 14

        # the full report of a run still works (its own script, its own escaping)
        await _go(page, f"{base_url}/runs/{RUN_A}/report")
        assert await _count(page, "#leaderboard-table tbody tr") == 3
        assert not await _pwned(page)
        errors = [e for e in page.events if e.get("method") == "Runtime.exceptionThrown"]
        assert errors == []


async def test_prompt_variants_filter_compare_and_item(variants_url: str) -> None:
    async with Browser() as page:
        await _go(page, f"{variants_url}/runs/{VARIANT_B}")
        # 2 prompts x 2 models, and gpt-a alone on the spec without variants
        assert await _count(page, "#models-table tbody tr") == 5
        await page.eval("document.getElementById('f-prompt').value = 'short'")
        await page.eval("document.getElementById('f-status').value = 'failed'")
        await _go(page, click="#f-go")
        assert await _count(page, "#results-table tbody tr") == 4  # ollama's c0..c3

        # compare: one flip each way, each opening the variant's item
        await _go(page, f"{variants_url}/compare?a={VARIANT_A}&b={VARIANT_B}")
        assert await _count(page, "#flips-table tbody tr") == 2
        await _go(page, click="#flips-table a.flip-link")
        name = await page.eval("document.getElementById('item-prompt-name').textContent")
        assert name in ("short", "formal")

        # trends: one row per spec x model x prompt (4 for greet, 1 for plain)
        await _go(page, click="#nav-trends")
        assert await _count(page, "#trends-table tbody tr td.prompt-name") == 5
