"""Names the cassette modules (and drivers reading replayed responses) share; imports nothing."""

from __future__ import annotations

SUFFIX = ".yaml"
"""Every cassette file's suffix."""

TIMINGS_EXTENSION = "harness.recorded_timings"
"""``response.extensions`` key holding ``{"latency_ms": .., "ttft_ms": ..}`` as recorded."""

TIMINGS_KEY = "recorded_timings"
"""The extra key of a stored response that holds its recorded timings."""
