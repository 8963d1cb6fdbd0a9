"""The built-in ``echo`` model: answers with the rendered prompt, found like any driver."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.drivers.base import Message, Request
from harness.drivers.echo import EchoDriver
from harness.drivers.registry import create_driver, driver_class, parse_model_id, provider_settings


def test_echo_is_a_registered_driver_with_a_bare_model_id() -> None:
    assert driver_class("echo") is EchoDriver
    assert parse_model_id("echo") == ("echo", "echo")
    assert parse_model_id("echo:v2") == ("echo", "v2")


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        pytest.param((Message("user", "hi Ann"),), "hi Ann", id="one-message"),
        pytest.param(
            (Message("system", "Be kind."), Message("user", "hi")),
            "system: Be kind.\n\nuser: hi",
            id="conversation",
        ),
    ],
)
async def test_echo_answers_with_the_prompt(messages: tuple[Message, ...], expected: str) -> None:
    driver = create_driver(provider_settings("echo"))
    response = await driver.complete(Request(model="echo", messages=messages))
    assert response.text == expected
    assert response.cost_usd == 0.0 and response.finish_reason == "stop"
    events = [e async for e in driver.stream(Request(model="echo", messages=messages))]
    assert [e.kind for e in events] == ["text", "response"] and events[0].text == expected


def test_a_spec_runs_on_echo_without_any_model(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "s.yaml").write_text(
        "name: greet\nmodels: [echo, 'echo:twin']\nprompt: 'Say hi to {{ who }}'\n"
        "cases:\n  - {id: a, vars: {who: Ann}, expect: [{type: equals, value: Say hi to Ann}]}\n"
        "  - {id: b, vars: {who: Bob}, expect: [{type: contains, value: Ann}]}\n"
    )
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["validate", "s.yaml"]).exit_code == 0
    result = CliRunner().invoke(cli, ["run", "s.yaml", "--record-mode", "none"])
    assert result.exit_code == 1, result.output  # case b fails on both echo models
    run_dir = next(p for p in (tmp_path / "reports").iterdir() if p.is_dir())
    rows = json.loads((run_dir / "results.json").read_text())
    rows = rows["results"] if isinstance(rows, dict) else rows
    got = sorted((r["model"], r["case_id"], r["status"], r["output"]) for r in rows)
    assert got == [
        ("echo", "a", "passed", "Say hi to Ann"),
        ("echo", "b", "failed", "Say hi to Bob"),
        ("echo:twin", "a", "passed", "Say hi to Ann"),
        ("echo:twin", "b", "failed", "Say hi to Bob"),
    ]
