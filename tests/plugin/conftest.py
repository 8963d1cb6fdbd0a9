"""Plugin tests drive pytest with ``pytester`` against a fake OpenAI server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# imported here, before pytester's inline runs snapshot sys.modules: numpy cannot be
# imported twice in one process, and re-importing the report stack per run is slow
import harness.report  # noqa: F401
from tests.fakes.server import FakeServer

GREET = """\
name: greet
models: [fake:echo-1]
tags: [smoke]
prompt:
  user: "Say hello to {{ who }}"
cases:
  - id: john
    vars: {who: John}
    expect:
      - {type: contains, value: John}
  - id: jane
    tags: [Regression-2]
    vars: {who: Jane}
    expect:
      - {type: equals, value: "hello Jane"}
"""
"""Two cases on one fake model: ``john`` passes (the fake echoes), ``jane`` fails."""

INI = """\
[pytest]
asyncio_default_fixture_loop_scope = function
addopts = -p no:hypothesispytest --assert=plain
"""
"""Inner runs skip hypothesis' plugin and assertion rewriting: both re-import a lot per run."""


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeServer]:
    """A fake OpenAI Chat Completions server answering ``echo: <prompt>``."""
    server = FakeServer("openai")
    with server.in_thread():
        yield server


def write_config(root: Path, base_url: str, record_mode: str = "off") -> None:
    """A harness.yaml with provider ``fake`` (OpenAI wire format) at ``base_url``."""
    (root / "harness.yaml").write_text(
        "providers:\n"
        "  fake:\n"
        "    type: openai\n"
        f"    base_url: {base_url}/v1\n"
        "defaults:\n"
        f"  record_mode: {record_mode!r}\n",
        encoding="utf-8",
    )


@pytest.fixture
def project(pytester: pytest.Pytester, fake_server: FakeServer) -> pytest.Pytester:
    """A pytester folder with harness.yaml, pytest.ini and ``specs/greet.yaml``."""
    write_config(pytester.path, fake_server.base_url)
    pytester.makefile(".ini", pytest=INI)
    specs = pytester.mkdir("specs")
    (specs / "greet.yaml").write_text(GREET, encoding="utf-8")
    return pytester
