"""Fixtures for the observe tests: the runner's config and store, a runner builder."""

from __future__ import annotations

from tests.runner.conftest import config, store

__all__ = ["config", "store"]
