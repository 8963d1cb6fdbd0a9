"""A managed llama.cpp server: one subprocess per model file, on a free loopback port.

:class:`ManagedServer` starts ``python -m llama_cpp.server`` (or any command that
serves the OpenAI API on the port it is given), waits until ``GET /v1/models``
answers, and stops it. Servers run in their own process group, and an ``atexit``
hook kills any still running, so an interrupted run leaves no model server behind.
On Linux the kernel also kills a server when the process that started it dies, even
by ``kill -9`` (``PR_SET_PDEATHSIG``), which no ``atexit`` hook survives.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from harness.errors import ProviderError
from harness.local.catalogue import LocalModel

HOST = "127.0.0.1"
_LIVE: set[ManagedServer] = set()
_TAIL_BYTES = 4000


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def llama_server_command(
    model: LocalModel,
    port: int,
    *,
    n_threads: int | None = None,
    extra_args: Sequence[str] = (),
    python: str = sys.executable,
) -> list[str]:
    """The command line that serves ``model`` with llama-cpp-python's server on ``port``."""
    argv = [
        python,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model.path),
        "--model_alias",
        model.alias,
        "--host",
        HOST,
        "--port",
        str(port),
        "--n_ctx",
        str(model.n_ctx),
        # one request at a time anyway; never let a new request cut a streaming one
        "--interrupt_requests",
        "False",
    ]
    if model.chat_format:
        argv += ["--chat_format", model.chat_format]
    if n_threads:
        argv += ["--n_threads", str(n_threads)]
    return [*argv, *extra_args]


class ServerStartError(ProviderError):
    """The local model server exited or never became ready; the message has its stderr."""


class ManagedServer:
    """One server subprocess.

    Args:
        command: builds the command line for a port (see :func:`llama_server_command`).
        name: shown in errors, e.g. ``local:smollm2-135m``.
        startup_timeout: seconds to wait for ``GET /v1/models`` to answer 200.
        port_attempts: tries with a fresh port when the chosen one was taken meanwhile.
    """

    def __init__(
        self,
        command: Callable[[int], Sequence[str]],
        *,
        name: str = "local",
        startup_timeout: float = 120.0,
        port_attempts: int = 3,
    ) -> None:
        self.command = command
        self.name = name
        self.startup_timeout = startup_timeout
        self.port_attempts = port_attempts
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._log_dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, ``http://127.0.0.1:PORT/v1``."""
        if self.port is None:
            raise RuntimeError("server not started")
        return f"http://{HOST}:{self.port}/v1"

    @property
    def running(self) -> bool:
        """Whether the subprocess is alive."""
        return self.process is not None and self.process.poll() is None

    @property
    def log_path(self) -> Path | None:
        """The file that collects the server's stdout and stderr."""
        return Path(self._log_dir.name) / "server.log" if self._log_dir else None

    async def start(self) -> str:
        """Start the server and wait until it answers; return its base URL.

        Raises:
            ServerStartError: it exited or did not answer within ``startup_timeout``.
        """
        if self.running:
            return self.base_url
        for attempt in range(self.port_attempts):
            self._spawn(free_port())
            try:
                await self._wait_ready()
                return self.base_url
            except ServerStartError as exc:
                log = self.stderr_tail()
                self._kill()
                taken = "address already in use" in log.lower()
                if not taken or attempt + 1 == self.port_attempts:
                    raise exc from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _spawn(self, port: int) -> None:
        self._log_dir = tempfile.TemporaryDirectory(prefix="harness-llama-")
        assert self.log_path is not None
        argv = list(self.command(port))
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed as a whole
                preexec_fn=_die_with_parent(os.getpid()),
            )
        self.port = port
        _LIVE.add(self)

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        transport = httpx.AsyncHTTPTransport()  # plain: readiness probes are never recorded
        async with httpx.AsyncClient(transport=transport, timeout=2.0) as client:
            while True:
                assert self.process is not None
                code = self.process.poll()
                if code is not None:
                    raise ServerStartError(
                        f"the model server exited with status {code} while starting:\n"
                        f"{self.stderr_tail()}",
                        provider=self.name,
                    )
                with contextlib.suppress(httpx.HTTPError):
                    response = await client.get(f"{self.base_url}/models")
                    if response.status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise ServerStartError(
                        f"the model server did not answer on {self.base_url} within "
                        f"{self.startup_timeout:.0f}s:\n{self.stderr_tail()}",
                        provider=self.name,
                    )
                await asyncio.sleep(0.1)

    def stderr_tail(self, limit: int = _TAIL_BYTES) -> str:
        """The last ``limit`` bytes of the server's output, for error messages."""
        path = self.log_path
        if path is None or not path.is_file():
            return "(no output)"
        data = path.read_bytes()[-limit:]
        return data.decode("utf-8", "replace").strip() or "(no output)"

    async def stop(self, *, grace: float = 5.0) -> None:
        """Stop the server: SIGTERM to its process group, SIGKILL after ``grace`` seconds."""
        proc = self.process
        if proc is not None and proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while proc.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        self._kill()

    def _kill(self) -> None:
        """Kill synchronously (also the atexit path) and clean up the log folder."""
        proc = self.process
        if proc is not None:
            if proc.poll() is None:
                _signal_group(proc, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        self.process = None
        _LIVE.discard(self)
        if self._log_dir is not None:
            self._log_dir.cleanup()
            self._log_dir = None


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to SIGKILL the child when ``parent`` dies (else None).

    Set in the child between fork and exec: ``PR_SET_PDEATHSIG`` survives exec. The
    signal follows the thread that started the server; harness starts servers from the
    thread that runs the event loop, which outlives them.
    """
    if _PRCTL is None:
        return None
    prctl = _PRCTL

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return hook


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


_PR_SET_PDEATHSIG = 1
_PRCTL = _load_prctl()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)  # pid == pgid: start_new_session made it a group leader


@atexit.register
def _kill_all() -> None:
    for server in list(_LIVE):
        server._kill()
