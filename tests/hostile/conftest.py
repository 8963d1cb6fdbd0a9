"""Fixtures for the hostile-input tests: the runner tests' own."""

from __future__ import annotations

from tests.runner.conftest import config, store

__all__ = ["config", "store"]
