"""The managed server: free ports, start/wait/stop, and crashes that show their stderr."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import pytest

from harness.local.catalogue import LocalModel
from harness.local.server import (
    ManagedServer,
    ServerStartError,
    free_port,
    llama_server_command,
)

FAKE = Path(__file__).with_name("fake_llama_server.py")


def fake_command(*extra: str) -> Callable[[int], Sequence[str]]:
    def command(port: int) -> Sequence[str]:
        return [sys.executable, str(FAKE), "--model", "m.gguf", "--port", str(port), *extra]

    return command


def test_free_port_is_bindable() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
    assert 1024 <= port <= 65535


def test_llama_server_command() -> None:
    model = LocalModel("gemma3-270m", Path("/m/g.gguf"), chat_format="gemma", n_ctx=1024)
    argv = llama_server_command(model, 4321, n_threads=2, extra_args=["--verbose", "False"])
    assert argv[:3] == [sys.executable, "-m", "llama_cpp.server"]
    joined = " ".join(argv[3:])
    assert joined == (
        "--model /m/g.gguf --model_alias gemma3-270m --host 127.0.0.1 --port 4321 "
        "--n_ctx 1024 --interrupt_requests False --chat_format gemma --n_threads 2 "
        "--verbose False"
    )


async def test_start_serves_then_stop_ends_the_process() -> None:
    server = ManagedServer(fake_command(), name="local:fake")
    base_url = await server.start()
    try:
        assert base_url == f"http://127.0.0.1:{server.port}/v1"
        async with httpx.AsyncClient(transport=httpx.AsyncHTTPTransport()) as client:
            models = (await client.get(f"{base_url}/models")).json()
        assert models["data"][0]["id"] == "m.gguf"
        assert await server.start() == base_url  # already running: same server
    finally:
        process = server.process
        await server.stop()
    assert process is not None and process.poll() is not None
    assert not server.running
    assert server.log_path is None  # the log folder is cleaned up


async def test_waits_for_a_slow_server() -> None:
    server = ManagedServer(fake_command("--mode", "slow"), startup_timeout=10)
    try:
        await server.start()
        assert server.running
    finally:
        await server.stop()


async def test_a_crash_while_starting_shows_stderr() -> None:
    server = ManagedServer(fake_command("--mode", "crash"), name="local:broken")
    with pytest.raises(ServerStartError) as info:
        await server.start()
    message = str(info.value)
    assert "exited with status 3" in message
    assert "failed to load model from m.gguf" in message
    assert message.startswith("local:broken")
    assert not server.running


async def test_a_server_that_never_answers_times_out() -> None:
    server = ManagedServer(fake_command("--mode", "never-ready"), startup_timeout=0.5)
    with pytest.raises(ServerStartError, match=r"did not answer .* within 0s:\nloading forever"):
        await server.start()
    assert server.process is None


async def test_a_taken_port_is_retried_with_another(tmp_path: Path) -> None:
    flag = tmp_path / "tried"
    server = ManagedServer(fake_command("--mode", "port-taken", "--flag-file", str(flag)))
    try:
        await server.start()
        assert server.running and flag.exists()
    finally:
        await server.stop()


async def test_stop_kills_a_server_that_ignores_sigterm(tmp_path: Path) -> None:
    script = tmp_path / "stubborn.py"
    script.write_text(
        "import signal, sys, time\n"
        "sys.argv.pop(0)\n"
        f"sys.path.insert(0, {str(FAKE.parent)!r})\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "import runpy\n"
        f"runpy.run_path({str(FAKE)!r}, run_name='__main__')\n",
        encoding="utf-8",
    )

    def command(port: int) -> Sequence[str]:
        return [sys.executable, str(script), "x", "--model", "m", "--port", str(port)]

    server = ManagedServer(command)
    await server.start()
    process = server.process
    await server.stop(grace=0.3)
    assert process is not None and process.returncode is not None


_ORPHAN_PARENT = """
import asyncio, sys, time
sys.path.insert(0, sys.argv[1])
from tests.local.test_server import fake_command
from harness.local.server import ManagedServer

async def main():
    server = ManagedServer(fake_command(), name="local:fake")
    await server.start()
    print(server.process.pid, flush=True)
    time.sleep(60)

asyncio.run(main())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_a_server_dies_with_a_harness_killed_by_sigkill(repo_root: Path) -> None:
    import os
    import signal
    import subprocess
    import time

    parent = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN_PARENT, str(repo_root)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    try:
        server_pid = int(parent.stdout.readline())
        os.kill(server_pid, 0)  # running
        parent.send_signal(signal.SIGKILL)  # no atexit hook runs
        parent.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(server_pid, 0)
            except ProcessLookupError:
                break
            # reaped by init once it dies; a zombie still answers kill(0), so look closer
            stat = Path(f"/proc/{server_pid}/stat")
            if not stat.exists() or stat.read_text().split(") ")[1].startswith("Z"):
                break
            time.sleep(0.05)
        else:
            os.kill(server_pid, signal.SIGKILL)
            pytest.fail("the model server outlived the harness process that was SIGKILLed")
    finally:
        parent.kill()
        parent.wait(10)
        parent.stdout.close()
