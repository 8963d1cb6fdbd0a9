"""Fixtures for store tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.store.sqlite import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh results store in the test's folder."""
    with Store.open(tmp_path / "harness.db") as s:
        yield s
