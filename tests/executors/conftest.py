"""A local Ray cluster for the Ray executor's tests: started once per session, torn down.

``ray start --head --block`` runs in its own process group on a free port; killing that
group stops the cluster's processes and nothing else on the machine (never ``ray stop``,
which stops every Ray on it). The cluster has 2 CPUs and one custom resource,
``model_host``, so placement by ``resources:`` can be tested on one machine.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="the Ray executor's tests need the ray extra")


RAY_ENV = {
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_AUTH_MODE": "disabled",
    "RAY_worker_niceness": "0",
    "RAY_worker_register_timeout_seconds": "180",
}
"""The test cluster and its clients: no usage reports, no token (loopback only), workers at
the head's priority (Ray's nice 15 starves them on a busy machine), and time for a worker
process to start on a loaded machine (Ray's 60 s is not always enough on 2 busy cores)."""


def ray_env() -> dict[str, str]:
    """This process's environment with :data:`RAY_ENV` (for clients of the test cluster)."""
    return {**os.environ, **RAY_ENV}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


FAKE_LLAMA = Path(__file__).resolve().parents[1] / "local" / "fake_llama_server.py"
_FAKE_PACKAGES = {
    # `python -m llama_cpp.server` on the workers: notes who started it, then serves the fake
    "llama_cpp/__init__.py": "",
    "llama_cpp/server/__init__.py": "",
    "llama_cpp/server/__main__.py": (
        "import os, runpy\n"
        "with open(os.environ['HARNESS_FAKE_LLAMA_STARTS'], 'a') as f:\n"
        "    f.write(f'{os.getppid()}\\n')\n"
        f"runpy.run_path({str(FAKE_LLAMA)!r}, run_name='__main__')\n"
    ),
    # what the local driver checks is installed beside llama_cpp
    "fastapi/__init__.py": "",
    "sse_starlette/__init__.py": "",
    "starlette_context/__init__.py": "",
}


@pytest.fixture(scope="session")
def fake_llama_starts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The file each start of the workers' fake llama.cpp server adds a line to."""
    return tmp_path_factory.mktemp("llama") / "starts.txt"


@pytest.fixture(scope="session")
def ray_address(tmp_path_factory: pytest.TempPathFactory, fake_llama_starts: Path) -> Iterator[str]:
    """The address (``127.0.0.1:PORT``) of a 2-CPU Ray cluster started for this session.

    Its workers find a fake ``llama_cpp.server`` (``tests/local/fake_llama_server.py``) on
    their path, so ``local:`` models run on them without llama.cpp; each start of it is
    a line in ``fake_llama_starts``.
    """
    port = _free_port()
    log = tmp_path_factory.mktemp("ray") / "ray-start.log"
    site = tmp_path_factory.mktemp("fake-site")
    for name, text in _FAKE_PACKAGES.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    fake_llama_starts.touch()
    workers_env = {
        **ray_env(),
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
        "HARNESS_FAKE_LLAMA_STARTS": str(fake_llama_starts),
    }
    ray_cli = Path(sys.executable).with_name("ray")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                *(str(ray_cli), "start", "--head", "--block", "--disable-usage-stats"),
                *("--node-ip-address", "127.0.0.1", "--port", str(port)),
                *("--num-cpus", "2", "--include-dashboard", "false"),
                *("--resources", '{"model_host": 1}'),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=workers_env,
        )
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"ray start exited {proc.returncode}:\n{log.read_text()[-3000:]}")
            done = subprocess.run(
                [str(ray_cli), "status", "--address", address],
                capture_output=True,
                text=True,
                env=ray_env(),
            )
            if done.returncode == 0 and "model_host" in done.stdout:
                break
            if time.monotonic() > deadline:
                pytest.fail(f"no Ray cluster at {address} after 120 s:\n{log.read_text()[-3000:]}")
            time.sleep(1)
        yield address
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        with contextlib.suppress(ProcessLookupError):  # what a slow shutdown left behind
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
