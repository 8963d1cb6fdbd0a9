"""Where the record mode comes from: flag > HARNESS_RECORD_MODE > harness.yaml > CI default."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cassettes.modes import ENV_VAR, resolve_record_mode
from harness.config import DefaultsFile, ProjectConfig
from harness.errors import ConfigError


def _config(record_mode: str | None) -> ProjectConfig:
    defaults = DefaultsFile.model_validate({"record_mode": record_mode})
    return ProjectConfig(root=Path("."), path=None, defaults=defaults)


@pytest.mark.parametrize(
    ("flag", "env", "yaml_mode", "ci", "expected"),
    [
        pytest.param("all", "none", "new_episodes", "1", "all", id="flag-wins"),
        pytest.param(None, "new-episodes", "all", "1", "new_episodes", id="env-over-yaml"),
        pytest.param(None, None, "off", "1", "off", id="yaml-over-ci"),
        pytest.param(None, None, None, "true", "none", id="ci-replays"),
        pytest.param(None, None, None, None, "once", id="local-records-once"),
        pytest.param("", "", None, None, "once", id="empty-values-ignored"),
    ],
)
def test_precedence(
    monkeypatch: pytest.MonkeyPatch,
    flag: str | None,
    env: str | None,
    yaml_mode: str | None,
    ci: str | None,
    expected: str,
) -> None:
    for name, value in ((ENV_VAR, env), ("CI", ci)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert resolve_record_mode(flag, _config(yaml_mode)) == expected


@pytest.mark.parametrize(
    ("flag", "env", "where"),
    [
        pytest.param("sometimes", None, "--record-mode", id="bad-flag"),
        pytest.param(None, "replay", ENV_VAR, id="bad-env"),
    ],
)
def test_unknown_modes_name_their_source(
    monkeypatch: pytest.MonkeyPatch, flag: str | None, env: str | None, where: str
) -> None:
    if env is not None:
        monkeypatch.setenv(ENV_VAR, env)
    else:
        monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(ConfigError, match=rf"^{where}: unknown record mode"):
        resolve_record_mode(flag, _config(None))
