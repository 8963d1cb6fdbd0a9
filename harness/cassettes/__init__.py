"""Recording and replay of model calls on vcrpy, per item, under full concurrency.

See docs/cassettes.md for the workflow (record once, commit, replay in CI). Names
load lazily, so a run with record mode ``off`` never imports vcrpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

if TYPE_CHECKING:
    from harness.cassettes.constants import TIMINGS_EXTENSION
    from harness.cassettes.key import CassetteKey
    from harness.cassettes.modes import RECORD_MODES, RecordMode, resolve_record_mode
    from harness.cassettes.paths import cassette_path, safe_name
    from harness.cassettes.recorder import Recorder
    from harness.cassettes.transport import CassetteTransport

_EXPORTS = {
    "CassetteKey": "harness.cassettes.key",
    "RECORD_MODES": "harness.cassettes.modes",
    "RecordMode": "harness.cassettes.modes",
    "resolve_record_mode": "harness.cassettes.modes",
    "cassette_path": "harness.cassettes.paths",
    "safe_name": "harness.cassettes.paths",
    "Recorder": "harness.cassettes.recorder",
    "TIMINGS_EXTENSION": "harness.cassettes.constants",
    "CassetteTransport": "harness.cassettes.transport",
}

__all__ = [
    "RECORD_MODES",
    "TIMINGS_EXTENSION",
    "CassetteKey",
    "CassetteTransport",
    "RecordMode",
    "Recorder",
    "cassette_path",
    "resolve_record_mode",
    "safe_name",
]

__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
