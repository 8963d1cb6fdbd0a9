"""pytest plugin: collects specs as test items (hooks and fixtures only)."""

from __future__ import annotations
