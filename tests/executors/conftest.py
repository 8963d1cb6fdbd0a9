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


@pytest.fixture(scope="session")
def ray_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address (``127.0.0.1:PORT``) of a 2-CPU Ray cluster started for this session."""
    port = _free_port()
    log = tmp_path_factory.mktemp("ray") / "ray-start.log"
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
            env=ray_env(),
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
            proc.wait(15)
        with contextlib.suppress(ProcessLookupError):  # what a slow shutdown left behind
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
