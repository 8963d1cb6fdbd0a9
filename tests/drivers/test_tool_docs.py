"""docs/drivers.md's tool-calling example runs and prints what the page says, in every wire format."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.drivers.conftest import KEY_ENV

ROOT = Path(__file__).resolve().parents[2]
SECTION = (ROOT / "docs" / "drivers.md").read_text(encoding="utf-8").split("## Tool calling")[1]
SECTION = SECTION.split("\n## ")[0]
EXAMPLE, PRINTED = re.findall(
    r"```python\n((?:(?!```).)*?)```\n\nprints\n\n```\n(.*?)```", SECTION, re.DOTALL
)[0]


@pytest.mark.parametrize("kind", ["openai", "anthropic", "gemini", "ollama"])
def test_the_example_runs_as_the_page_says(kind: str, tmp_path: Path) -> None:
    code = EXAMPLE.replace('FakeServer("openai"', f'FakeServer("{kind}"')
    code = code.replace('type="openai"', f'type="{kind}", api_key_env="{KEY_ENV}"')
    if kind != "openai":
        code = code.replace('base_url=base_url + "/v1"', "base_url=base_url")
    assert code != EXAMPLE
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), KEY_ENV: "sk-test", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == PRINTED


def test_the_tool_choice_error_shown_is_the_real_one() -> None:
    from harness.drivers.base import Message, ProviderSettings, Request, Tool
    from harness.drivers.openai import OpenAIDriver
    from harness.errors import BadRequestError

    shown = re.search(r"```\n(openai:gpt-4o-mini: tool_choice .*?)\n```", SECTION)
    assert shown is not None
    driver = OpenAIDriver(ProviderSettings(name="openai", type="openai", base_url="http://x"))
    request = Request(
        "gpt-4o-mini",
        (Message("user", "hi"),),
        params={"tool_choice": "requird"},
        tools=(Tool("add"), Tool("lookup")),
    )
    with pytest.raises(BadRequestError) as info:
        driver.build_call(request, None, stream=False)
    assert str(info.value) == shown.group(1)
