"""report.html in a real browser: headless Debian chromium over the DevTools protocol.

Nothing is downloaded: the tests drive /usr/bin/chromium (Debian's ``chromium``
package; CI installs ``chromium chromium-driver``) with networking features off.
Set HARNESS_UPDATE_SCREENSHOT=1 to refresh docs/report-screenshot.png.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from harness.report.html import render_report
from tests.report.cdp import CHROMIUM, Browser
from tests.report.fixtures import PAYLOADS, demo_records, frame_of, run_info

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="BROWSER TESTS SKIPPED: /usr/bin/chromium is absent "
    "(apt-get install -y chromium chromium-driver)",
)
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo run (4 models, 300 case attempts each, hostile text) as report.html."""
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_report(run_info(), frame_of(demo_records())), encoding="utf-8")
    return path


async def test_report_works_and_payloads_stay_inert(report: Path, tmp_path: Path) -> None:
    async with Browser() as page:
        await page.open(report)
        # the leaderboard, both charts and the matrix are on screen
        assert (
            await page.eval("document.querySelectorAll('#leaderboard-table tbody tr').length") == 4
        )
        for chart in ("#chart-cost", "#chart-latency"):
            assert (
                await page.eval(f"document.querySelector('{chart}').getBoundingClientRect().height")
                > 100
            )
        assert await page.eval("document.querySelectorAll('#chart-cost .mark').length") == 4
        assert await page.eval("document.querySelectorAll('#chart-cost .mark.unknown').length") == 1
        assert await page.eval("document.querySelectorAll('#matrix-table td.cell').length") == 400
        assert await page.eval("document.getElementById('page').textContent") == "page 1 of 2"

        shot = tmp_path / "report.png"
        await page.screenshot(shot, height=1700)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if os.environ.get("HARNESS_UPDATE_SCREENSHOT"):
            shutil.copy(shot, DOCS / "report-screenshot.png")

        # sorting: click "pass rate" twice -> ascending, the local model first
        await page.eval("document.querySelectorAll('#leaderboard-table th')[1].click()")
        await page.eval("document.querySelectorAll('#leaderboard-table th')[1].click()")
        first = "document.querySelector('#leaderboard-table tbody tr th').textContent"
        assert await page.eval(first) == "ollama:llama3.2"

        # filtering: only the hostile spec, then open its cell
        await page.eval(
            "(() => { const s = document.getElementById('f-spec');"
            " s.value = [...s.options].find(o => o.text === 'security').value;"
            " s.dispatchEvent(new Event('change')); })()"
        )
        assert await page.eval("document.querySelectorAll('#matrix-table tbody tr').length") == 1
        assert await page.eval("document.getElementById('details').hidden") is True
        await page.eval(
            "[...document.querySelectorAll('#matrix-table td.cell')]"
            ".find(td => td.title.includes('openai:gpt-4o-mini')).click()"
        )
        assert await page.eval("document.getElementById('details').hidden") is False
        details = await page.eval("document.getElementById('details-body').textContent")
        for text in ("prompt", "output", "expected", "assertions", PAYLOADS[1], PAYLOADS[2]):
            assert text in details
        assert "diff for equals on answer" in details

        # nothing injected ran: no dialog, no global, no title change, no new elements
        assert await page.eval("typeof window.__pwned") == "undefined"
        assert (await page.eval("document.title")).startswith("harness report")
        assert await page.eval("document.querySelectorAll('img').length") == 0
        assert await page.eval("document.scripts.length") == 2
        assert await page.eval("document.querySelectorAll('a[href^=\"javascript\"]').length") == 0
        methods = {e.get("method") for e in page.events}
        assert "Page.javascriptDialogOpening" not in methods
        assert "Runtime.exceptionThrown" not in methods

        # one browser for the whole module: starting chromium is the slow part
        await page.open(report)
        await _outcome_filter_and_paging(page)


async def _outcome_filter_and_paging(page: Browser) -> None:
    """The outcome filter keeps only rows with that outcome; paging moves on."""
    await page.eval(
        "(() => { const s = document.getElementById('f-outcome'); s.value = 'error';"
        " s.dispatchEvent(new Event('change')); })()"
    )
    status = await page.eval("document.getElementById('matrix-status').textContent")
    shown = int(status.split(" of ")[0])
    assert 0 < shown < 150
    marks = await page.eval(
        "[...document.querySelectorAll('#matrix-table tbody tr')]"
        ".every(r => r.querySelector('.s-error'))"
    )
    assert marks is True
    await page.eval(
        "(() => { const s = document.getElementById('f-outcome'); s.value = '';"
        " s.dispatchEvent(new Event('change'));"
        " document.getElementById('next').click(); })()"
    )
    assert await page.eval("document.getElementById('page').textContent") == "page 2 of 2"
