"""Run ids that are safe to name a folder with.

A run id names ``reports/<run-id>/``; one taken from the command line, a store or a
merged store (any of which can be hostile) must never reach outside ``reports/``, as
``../../escaped-run`` or ``/etc`` would. Ids harness makes (``20250101T120000-3fa2c1``)
and any id of letters, digits, ``.``, ``_`` and ``-`` that does not start with a dot pass.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.errors import ConfigError

_SAFE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")


def check_run_id(run_id: str, *, where: str = "run id") -> str:
    """``run_id`` if it is safe as a folder name.

    Raises:
        ConfigError: it has a path separator, starts with a dot, is empty or too long.
    """
    if not _SAFE.fullmatch(run_id):
        raise ConfigError(
            f"{where} {run_id!r} cannot name a results folder: use letters, digits, '.', "
            "'_' and '-' only (no '/', no leading '.'), at most 128 characters"
        )
    return run_id


def run_folder(reports_dir: Path, run_id: str, *, where: str = "run id") -> Path:
    """``reports_dir / run_id``, after checking the id stays inside ``reports_dir``.

    Raises:
        ConfigError: the id is unsafe (see :func:`check_run_id`).
    """
    folder = reports_dir / check_run_id(run_id, where=where)
    if folder.resolve().parent != reports_dir.resolve():  # belt and braces
        raise ConfigError(f"{where} {run_id!r} resolves outside {reports_dir}")
    return folder
