"""The plugin's settings: command-line options, ini keys, and who owns ``--record-mode``.

Every option has an ini key of the same meaning (``--models`` / ``harness_models``,
...); the command line wins. ``--record-mode`` is shared with pytest-recording when
it is installed: it defines the flag first (choices once, new_episodes, none, all,
rewrite), and the plugin reads that value instead of adding a clashing flag.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Literal

import pytest

from harness.cassettes.modes import RecordMode, parse_record_mode, resolve_record_mode
from harness.config import ProjectConfig
from harness.errors import ConfigError
from harness.runner.concurrency import configured_concurrency

DEFAULT_SPECS = ("specs/**/*.yaml", "specs/**/*.yml")
RECORDING_PLUGIN = "recording"  # pytest-recording's pytest11 entry point name

INI_SPECS = "harness_specs"
INI_MODELS = "harness_models"
INI_RECORD_MODE = "harness_record_mode"
INI_REPORT = "harness_report"
INI_CONCURRENCY = "harness_concurrency"
INI_REPEAT = "harness_repeat"


@dataclass(frozen=True, slots=True)
class PluginOptions:
    """The settings of one pytest session, resolved from flags, ini keys and harness.yaml.

    ``report_dir`` is None when the default ``<reports>/<run-id>/`` applies.
    """

    specs: tuple[str, ...]
    models: tuple[str, ...]
    record_mode: RecordMode
    report_dir: Path | None
    concurrency: int | Literal["auto"] | None
    repeat: int | None


def record_mode_flag_taken(
    parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager
) -> bool:
    """Whether another plugin (pytest-recording) defines or will define ``--record-mode``.

    Entry-point plugins register one after another, so pytest-recording may come
    after us: it counts when its entry point is installed, autoloading is on and
    ``-p no:recording`` did not block it.
    """
    for group in parser._groups:  # no public listing of the declared options
        for option in group.options:
            if "--record-mode" in option.names():
                return True
    if pluginmanager.has_plugin(RECORDING_PLUGIN):
        return True
    if pluginmanager.is_blocked(RECORDING_PLUGIN) or os.environ.get(
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
    ):
        return False
    return any(ep.name == RECORDING_PLUGIN for ep in entry_points(group="pytest11"))


def _record_mode(value: str) -> RecordMode:
    # pytest-recording's "rewrite" drops old interactions and records again: our "all"
    return "all" if value == "rewrite" else parse_record_mode(value, where="--record-mode")


def _ini(config: pytest.Config, name: str) -> str:
    value = config.getini(name)
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value or "").strip()


def _positive(text: str, where: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigError(f"{where} must be a whole number of at least 1, got {text!r}")
    return number


def split_models(text: str) -> tuple[str, ...]:
    """``"openai:gpt-4o, bench:fake"`` -> ``("openai:gpt-4o", "bench:fake")`` (commas or spaces)."""
    return tuple(m for m in text.replace(",", " ").split() if m)


def resolve_options(config: pytest.Config, project: ProjectConfig) -> PluginOptions:
    """The session's settings: flag, then ini key, then harness.yaml, then the default.

    Raises:
        ConfigError: a value is malformed (names the flag or key).
    """
    specs = config.getini(INI_SPECS) or list(DEFAULT_SPECS)
    models_text = config.getoption("harness_models") or _ini(config, INI_MODELS)
    flag_mode = config.getoption("record_mode", default=None) or _ini(config, INI_RECORD_MODE)
    record_mode = _record_mode(str(flag_mode)) if flag_mode else resolve_record_mode(None, project)
    report = config.getoption("harness_report") or _ini(config, INI_REPORT)
    concurrency_text = config.getoption("harness_concurrency") or _ini(config, INI_CONCURRENCY)
    concurrency: int | Literal["auto"] | None
    if str(concurrency_text).strip().lower() == "auto":
        concurrency = "auto"
    elif concurrency_text:
        concurrency = _positive(str(concurrency_text), "--harness-concurrency")
    else:  # as `harness run`: harness.yaml's number, else adaptive for remote providers
        concurrency = configured_concurrency(project)
    repeat_text = config.getoption("harness_repeat") or _ini(config, INI_REPEAT)
    repeat = _positive(str(repeat_text), "--repeat") if repeat_text else None
    return PluginOptions(
        specs=tuple(str(s) for s in specs),
        models=split_models(str(models_text)) if models_text else (),
        record_mode=record_mode,
        report_dir=Path(report) if report else None,
        concurrency=concurrency,
        repeat=repeat,
    )
