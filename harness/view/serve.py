"""Serve the view on the loopback interface with uvicorn, and open the browser."""

from __future__ import annotations

import socket
import threading
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.errors import ConfigError

INSTALL = "pip install 'harness[view]'"
HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def _require() -> None:
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise ConfigError(f"harness view needs the view extra: {INSTALL}") from None


def prepare_store(store_path: Path) -> None:
    """Check the store exists and bring its schema up to date (the view only reads).

    Raises:
        ConfigError: no store there, or not a harness store.
    """
    from harness.store.sqlite import Store

    if not store_path.is_file():
        raise ConfigError(
            f"no results store at {store_path}: run `harness run` first, or pass --store PATH"
        )
    with Store.open(store_path):
        pass


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:``port`` (0: any free port).

    Raises:
        ConfigError: the port is taken.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {HOST}:{port}: {exc.strerror}; pick another with --port N"
        ) from None
    sock.listen(128)
    return sock


def make_server(store_path: Path, sock: socket.socket) -> Any:
    """A uvicorn server for the view (not started)."""
    _require()
    import uvicorn

    from harness.view.app import create_app

    config = uvicorn.Config(create_app(store_path), log_level="warning", access_log=False)
    return uvicorn.Server(config)


def serve(
    store_path: Path,
    *,
    port: int = DEFAULT_PORT,
    open_browser: bool = True,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve the view of ``store_path`` until interrupted.

    Raises:
        ConfigError: the extra is missing, the store is absent or the port is taken.
    """
    _require()
    prepare_store(store_path)
    sock = bind(port)
    url = f"http://{HOST}:{sock.getsockname()[1]}/"
    server = make_server(store_path, sock)
    announce(f"harness view: {url} (store {store_path}); Ctrl+C stops it")
    if open_browser:
        threading.Thread(target=_open_when_up, args=(server, url), daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def _open_when_up(server: Any, url: str) -> None:
    for _ in range(100):
        if server.started:
            webbrowser.open(url)
            return
        time.sleep(0.05)
