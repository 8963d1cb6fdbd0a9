"""Local models on the CPU through llama.cpp: the model catalogue and the managed server.

The ``local`` provider's driver (:mod:`harness.drivers.local`) uses these; they know
nothing about specs or runs.
"""

from __future__ import annotations

from harness.local.catalogue import (
    CATALOGUE,
    INSTALL_HINT,
    CatalogueEntry,
    LocalModel,
    assemble_chunks,
    cache_dir,
    check_server_installed,
    resolve_model,
)
from harness.local.server import ManagedServer, ServerStartError, free_port, llama_server_command

__all__ = [
    "CATALOGUE",
    "INSTALL_HINT",
    "CatalogueEntry",
    "LocalModel",
    "ManagedServer",
    "ServerStartError",
    "assemble_chunks",
    "cache_dir",
    "check_server_installed",
    "free_port",
    "llama_server_command",
    "resolve_model",
]
