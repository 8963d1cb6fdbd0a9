"""Shared test setup; stage-specific fixtures live in each stage's own conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo_root() -> Path:
    """The repository checkout."""
    return REPO


@pytest.fixture(autouse=True)
def _harness_logging() -> Iterator[None]:
    """Each test starts and ends with the ``harness`` logger tree as Python left it, and
    with the command line's observe choices (``--otel``) unset."""
    import logging

    from harness.observe import SETTINGS

    root = logging.getLogger("harness")
    saved = (list(root.handlers), root.level, root.propagate)
    otel = SETTINGS.otel
    yield
    SETTINGS.otel = otel
    for handler in root.handlers:
        if handler not in saved[0]:
            handler.close()
    root.handlers[:], root.level, root.propagate = saved
