"""Fixtures for the hostile-input tests (as the runner tests have them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.config import ProjectConfig
from harness.drivers.base import ProviderSettings
from harness.store.sqlite import Store


@pytest.fixture
def config(tmp_path: Path) -> ProjectConfig:
    """A project config with two fake providers (``fake`` and ``slow``)."""
    return ProjectConfig(
        root=tmp_path,
        path=None,
        providers={
            "fake": ProviderSettings(name="fake", type="fake"),
            "slow": ProviderSettings(name="slow", type="fake", concurrency=2),
        },
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh results store in the test's folder."""
    with Store.open(tmp_path / "harness.db") as s:
        yield s
