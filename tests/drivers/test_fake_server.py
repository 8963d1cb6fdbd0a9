"""The fake provider server runs in a test, in a thread and as a subprocess."""

from __future__ import annotations

import subprocess
import sys

import httpx

from tests.conftest import REPO
from tests.fakes.server import FakeServer

CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def test_in_thread_serves_and_records() -> None:
    server = FakeServer("openai")
    with server.in_thread() as url:
        r = httpx.post(url + "/v1/chat/completions", json=CHAT, headers={"X-Probe": "1"})
    assert r.status_code == 200
    assert r.json()["choices"][0]["message"]["content"] == "echo: hi"
    assert server.requests[0].path == "/v1/chat/completions"
    assert server.requests[0].headers["x-probe"] == "1"
    assert server.requests[0].json == CHAT


def test_faults_apply_in_order_then_stop() -> None:
    server = FakeServer("openai")
    server.faults.rate_limit("3").status(529)
    with server.in_thread() as url:
        codes = [httpx.post(url + "/v1/chat/completions", json=CHAT) for _ in range(3)]
    assert [r.status_code for r in codes] == [429, 529, 200]
    assert codes[0].headers["retry-after"] == "3"


def test_subprocess_cli() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.server", "--kind", "ollama"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        body = {**CHAT, "stream": False}
        r = httpx.post(url + "/api/chat", json=body, timeout=10)
        assert r.json()["message"]["content"] == "echo: hi"
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
