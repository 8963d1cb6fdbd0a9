"""Recording and replay of model calls on vcrpy, per item, under full concurrency.

See docs/cassettes.md for the workflow (record once, commit, replay in CI).
"""

from __future__ import annotations

from harness.cassettes.modes import RECORD_MODES, RecordMode, resolve_record_mode
from harness.cassettes.paths import cassette_path, safe_name
from harness.cassettes.recorder import Recorder
from harness.cassettes.transport import TIMINGS_EXTENSION, CassetteTransport

__all__ = [
    "RECORD_MODES",
    "TIMINGS_EXTENSION",
    "CassetteTransport",
    "RecordMode",
    "Recorder",
    "cassette_path",
    "resolve_record_mode",
    "safe_name",
]
