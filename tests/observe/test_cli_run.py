"""`harness run` with --log-file and --otel, end to end on the example suite's cassettes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.config import OtelFile, ProjectConfig
from harness.observe import configure, run_hooks
from harness.observe.otel import OTelHook

REPO = Path(__file__).resolve().parents[2]


def test_run_writes_call_lines_and_console_spans(tmp_path: Path) -> None:
    log_file = tmp_path / "run.jsonl"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CI": "true",
           "OTEL_TRACES_EXPORTER": "console", "OTEL_SERVICE_NAME": "harness-test"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "harness", "run", "specs/arithmetic.yaml", "--record-mode", "none",
         "--out", str(tmp_path / "out"), "--store", str(tmp_path / "h.db"), "--fail-under", "0",
         "--log-file", str(log_file), "--otel"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [json.loads(x) for x in log_file.read_text(encoding="utf-8").splitlines()]
    calls = [e for e in lines if e.get("event") == "call"]
    started = next(e for e in lines if e.get("event") == "run_started")
    assert len(calls) == started["items"] > 0
    assert all(c["status"] == "ok" and c["input_tokens"] for c in calls)
    # the console exporter prints each span as JSON on stdout
    assert done.stdout.count('"name": "chat ') == len(calls)
    assert '"gen_ai.usage.input_tokens"' in done.stdout
    assert '"service.name": "harness-test"' in done.stdout


def test_otel_in_harness_yaml_turns_the_hook_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.observe import otel

    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    monkeypatch.setattr(otel, "_PROVIDERS", {})
    on = ProjectConfig(root=tmp_path, path=None, otel=OtelFile(capture_content=True))
    off = ProjectConfig(root=tmp_path, path=None, otel=OtelFile(enabled=False))
    try:
        hooks = [h for h in run_hooks(on).hooks if isinstance(h, OTelHook)]
        assert len(hooks) == 1 and hooks[0].capture_content
        assert not any(isinstance(h, OTelHook) for h in run_hooks(off).hooks)
        configure(otel=False)  # --no-otel wins over the file
        assert not any(isinstance(h, OTelHook) for h in run_hooks(on).hooks)
    finally:
        configure(otel=None)


def test_otel_asked_without_the_extra_stops_with_the_install_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys as _sys

    from harness.errors import ConfigError

    monkeypatch.setitem(_sys.modules, "opentelemetry.sdk.trace", None)
    configure(otel=True)
    with pytest.raises(ConfigError, match=r"pip install 'harness\[otel\]'"):
        run_hooks(ProjectConfig(root=tmp_path, path=None))


def test_the_built_in_hooks_come_through_the_entry_point_group() -> None:
    from importlib.metadata import entry_points

    names = {ep.name: ep.value for ep in entry_points(group="harness.hooks")}
    assert names["logs"] == "harness.observe.logs:log_hook"
    assert names["otel"] == "harness.observe.otel:otel_hook"
