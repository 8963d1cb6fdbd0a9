"""Record modes and where the run's mode comes from (flag > env > harness.yaml > default)."""

from __future__ import annotations

import os
from typing import Literal, cast, get_args

from harness.config import ProjectConfig
from harness.errors import ConfigError

RecordMode = Literal["none", "once", "new_episodes", "all", "off"]
"""vcrpy's modes plus ``off``: live calls, nothing recorded or replayed."""

RECORD_MODES: tuple[str, ...] = get_args(RecordMode)
ENV_VAR = "HARNESS_RECORD_MODE"


def parse_record_mode(value: str, *, where: str = "record mode") -> RecordMode:
    """Validate one spelling of a record mode (``new-episodes`` is accepted too).

    Raises:
        ConfigError: not one of none, once, new_episodes, all, off.
    """
    mode = value.strip().lower().replace("-", "_")
    if mode not in RECORD_MODES:
        raise ConfigError(
            f"{where}: unknown record mode {value!r}; use one of {', '.join(RECORD_MODES)}"
        )
    return cast(RecordMode, mode)


def resolve_record_mode(flag: str | None, config: ProjectConfig) -> RecordMode:
    """The run's record mode.

    Precedence: the ``--record-mode`` flag, then ``HARNESS_RECORD_MODE``, then
    ``defaults.record_mode`` in harness.yaml, then ``none`` when ``CI`` is set (CI
    replays, it never calls a model) and ``once`` otherwise.

    Example:
        >>> from pathlib import Path
        >>> from harness.config import ProjectConfig
        >>> resolve_record_mode("all", ProjectConfig(root=Path("."), path=None))
        'all'

    Raises:
        ConfigError: a mode is misspelled (names where it came from).
    """
    if flag:
        return parse_record_mode(flag, where="--record-mode")
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return parse_record_mode(env, where=ENV_VAR)
    if config.defaults.record_mode is not None:
        return parse_record_mode(config.defaults.record_mode, where="harness.yaml")
    return "none" if os.environ.get("CI") else "once"
