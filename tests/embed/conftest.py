"""Fixtures for embedder tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder as the working directory, with no CI or mode variables."""
    monkeypatch.chdir(tmp_path)
    for name in ("CI", "HARNESS_RECORD_MODE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path
