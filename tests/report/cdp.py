"""A minimal Chrome DevTools Protocol client for the browser tests.

Drives Debian's ``/usr/bin/chromium`` headless over its websocket with aiohttp; nothing
is downloaded, and every flag that would make the browser reach the network is off.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


class Browser:
    """``async with Browser() as page:`` gives a page session to send CDP commands to."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(
            ignore_cleanup_errors=True
        )  # chromium may still be writing
        self._proc: subprocess.Popen[bytes] | None = None
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    async def __aenter__(self) -> Browser:
        self._proc = subprocess.Popen(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={self._tmp.name}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        port = await asyncio.wait_for(asyncio.to_thread(self._read_port), 30)
        self._http = aiohttp.ClientSession()
        for _ in range(50):
            async with self._http.get(f"http://127.0.0.1:{port}/json/list") as resp:
                pages = [t for t in await resp.json() if t["type"] == "page"]
            if pages:
                break
            await asyncio.sleep(0.1)
        self._ws = await self._http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0)
        return self

    def _read_port(self) -> int:
        assert self._proc is not None and self._proc.stderr is not None
        for raw in self._proc.stderr:
            found = re.search(rb"DevTools listening on ws://[^:]+:(\d+)/", raw)
            if found:
                return int(found.group(1))
        raise RuntimeError("chromium exited before opening its DevTools port")

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._http is not None:
            await self._http.close()
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            assert self._proc.stderr is not None
            self._proc.stderr.close()
        self._tmp.cleanup()

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and return its result; events seen meanwhile go to ``events``."""
        assert self._ws is not None
        ident = next(self._ids)
        await self._ws.send_str(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            msg = json.loads((await asyncio.wait_for(self._ws.receive(), 30)).data)
            if msg.get("id") == ident:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return dict(msg.get("result", {}))
            self.events.append(msg)

    async def wait_event(self, method: str, timeout: float = 30) -> dict[str, Any]:
        """Wait for an event (or find it among those already seen)."""
        assert self._ws is not None
        for ev in self.events:
            if ev.get("method") == method:
                return ev
        async with asyncio.timeout(timeout):
            while True:
                msg = json.loads((await self._ws.receive()).data)
                self.events.append(msg)
                if msg.get("method") == method:
                    return msg

    async def open(self, path: Path) -> None:
        """Load a local file and wait for its load event."""
        await self.send("Page.enable")
        await self.send("Runtime.enable")
        # forget earlier loads, or a second open() would return before its page is there
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        await self.send("Page.navigate", url=path.resolve().as_uri())
        await self.wait_event("Page.loadEventFired")

    async def eval(self, expression: str) -> Any:
        """Evaluate JavaScript in the page and return its JSON value."""
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def screenshot(self, path: Path, *, width: int = 1280, height: int = 900) -> None:
        """Save a PNG of the page at the given viewport size."""
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        shot = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))
