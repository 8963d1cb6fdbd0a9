"""Logging: quiet by default, -v/--log-level, the JSON-lines file, secrets kept out."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.config import ProjectConfig
from harness.drivers.retry import with_retries
from harness.errors import ServerError
from harness.observe import run_hooks
from harness.observe.logs import LogHook, setup_logging
from harness.observe.redact import Redactor
from harness.store.sqlite import Store
from tests.observe.runs import SECRET, small_run


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def test_log_file_has_one_call_event_per_call_and_no_secret(
    config: ProjectConfig, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_API_KEY", SECRET)
    log_file = tmp_path / "logs" / "run.jsonl"
    setup_logging(log_file=log_file)
    await small_run(config, store, run_hooks(config))
    lines = _lines(log_file)
    calls = [e for e in lines if e.get("event") == "call"]
    assert len(calls) == 5  # 3 model calls, 2 judge calls
    failed = next(e for e in calls if e["status"] == "error")
    assert failed["item_id"] == "qa::c1::fake:m1::1"
    assert failed["provider"] == "fake" and failed["model"] == "fake:m1"
    assert failed["error_type"] == "BadRequestError" and failed["http_status"] == 400
    assert "REDACTED" in str(failed["error"])
    ok = next(e for e in calls if e["status"] == "ok" and not e["judge"])
    for key, value in {
        "input_tokens": 10,
        "output_tokens": 10,
        "cost_usd": 0.001,
        "latency_ms": 5.0,
        "retries": 0,
        "error": None,
    }.items():
        assert ok[key] == value, key
    assert isinstance(ok["wait_ms"], float)
    assert [e["event"] for e in lines if e["logger"] == "harness.runner"] == [
        "run_started",
        "run_finished",
    ]
    assert SECRET not in log_file.read_text(encoding="utf-8")


async def test_quiet_by_default_no_log_hook(
    config: ProjectConfig, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logging()
    hooks = run_hooks(config)
    assert not any(isinstance(h, LogHook) for h in hooks.hooks)
    await small_run(config, store, hooks)
    assert capsys.readouterr().err == ""


async def test_retried_attempts_get_their_own_lines(tmp_path: Path) -> None:
    log_file = tmp_path / "run.jsonl"
    setup_logging(log_file=log_file)
    attempts = iter([ServerError("boom", provider="p", model="m", status_code=503), "fine"])

    async def call() -> str:
        answer = next(attempts)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def no_sleep(_: float) -> None:
        return None

    result = await with_retries(call, max_retries=2, sleep=no_sleep)
    assert result == ("fine", 1)
    (line,) = [e for e in _lines(log_file) if e.get("event") == "attempt_failed"]
    assert line["provider"] == "p" and line["http_status"] == 503 and line["attempt"] == 1


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        pytest.param([], logging.WARNING, id="quiet"),
        pytest.param(["-v"], logging.INFO, id="v-before"),
        pytest.param(["validate", "-vv"], logging.DEBUG, id="vv-after"),
        pytest.param(["--log-level", "error"], logging.ERROR, id="level"),
    ],
)
def test_every_command_takes_the_log_options(
    args: list[str], shown: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    argv = args if args[:1] == ["validate"] else [*args, "validate"]
    CliRunner().invoke(cli, [*argv, "specs"], catch_exceptions=False)
    handlers = logging.getLogger("harness").handlers
    assert [h.level for h in handlers if isinstance(h, logging.StreamHandler)] == [shown]


def test_log_file_option_writes_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    log_file = tmp_path / "out.jsonl"
    CliRunner().invoke(cli, ["validate", "specs", "--log-file", str(log_file)])
    logging.getLogger("harness.test").info("hello %s", "there", extra={"harness_event": {"n": 1}})
    (line,) = _lines(log_file)
    assert line["message"] == "hello there" and line["n"] == 1 and line["level"] == "INFO"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(f"key {SECRET} leaked", "key REDACTED leaked", id="env-value"),
        pytest.param(
            "Authorization: Bearer abcdefgh12345", "Authorization: Bearer REDACTED", id="bearer"
        ),
        pytest.param(
            "GET /v1/models?key=AIzaXYZ123&alt=sse",
            "GET /v1/models?key=REDACTED&alt=sse",
            id="query",
        ),
        pytest.param('{"x-api-key": "abcdefgh1234"}', '{"x-api-key": "REDACTED"}', id="header"),
        pytest.param("nothing secret here", "nothing secret here", id="plain"),
    ],
)
def test_redactor_uses_the_scrubber_rules(text: str, expected: str) -> None:
    redactor = Redactor.from_env(environ={"OPENAI_API_KEY": SECRET, "HOME": "/root/home"})
    assert redactor.text(text) == expected


async def test_secrets_are_redacted_at_the_source_for_any_handler(
    config: ProjectConfig,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without harness's own handlers (harness used as a library), a handler of the
    application's still sees no secret."""
    monkeypatch.setenv("FAKE_API_KEY", SECRET)
    with caplog.at_level(logging.INFO, logger="harness"):
        await small_run(config, store, run_hooks(config))
    calls = [r for r in caplog.records if r.name == "harness.calls"]
    assert len(calls) == 5
    assert any("REDACTED" in r.getMessage() for r in calls)
    assert SECRET not in caplog.text
    assert all(SECRET not in json.dumps(getattr(r, "harness_event", {})) for r in calls)


async def test_drivers_log_each_attempt_at_debug_under_their_own_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import httpx

    from harness.drivers.base import Message, ProviderSettings, Request
    from harness.drivers.openai import OpenAIDriver

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}]}
        )

    settings = ProviderSettings(name="openai", type="openai", base_url="http://127.0.0.1:9/v1",
                                api_key_env=None, max_retries=0)  # fmt: skip
    with caplog.at_level(logging.DEBUG, logger="harness.drivers"):
        async with OpenAIDriver(settings, transport=httpx.MockTransport(handle)) as driver:
            await driver.complete(Request("m", (Message("user", "hello"),)))
    (line,) = [r for r in caplog.records if r.name == "harness.drivers.openai"]
    assert line.levelno == logging.DEBUG
    assert line.getMessage().startswith("openai:m /chat/completions: HTTP 200 in ")
