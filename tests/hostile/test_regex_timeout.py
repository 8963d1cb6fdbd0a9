"""Item 1: a catastrophic regex errors its assertion; every other result is stored."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import limits
from harness.expect.common import EvalError
from harness.expect.deadline import DeadlineExceeded, call_with_deadline
from harness.expect.safe_regex import match
from tests.fakes.server import FakeServer
from tests.hostile.project import harness, rows, write_project

SPEC = """\
name: hostile
models: [fake:m]
prompt: 'say {{ word }}'
cases:
  - {id: ok1, vars: {word: hello}, expect: [{type: contains, value: hello}]}
  - {id: ok2, vars: {word: world}, expect: [{type: regex, value: 'w.rld'}]}
  - id: bomb
    vars: {word: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!}
    expect:
      - {type: regex, value: '(a|aa)+$'}
      - {type: regex, value: '(a+)+$'}
      - {type: contains, value: say}
  - {id: ok3, vars: {word: again}, expect: [{type: icontains, value: AGAIN}]}
"""


@pytest.fixture
def server() -> Iterator[str]:
    """The OpenAI fake (echoes the prompt), in a thread."""
    fake = FakeServer("openai")
    with fake.in_thread() as url:
        yield url


def test_a_catastrophic_regex_errors_and_every_result_is_stored(
    tmp_path: Path, server: str
) -> None:
    root = write_project(tmp_path, server, SPEC, config_extra="limits: {regex_timeout_s: 0.5}\n")
    started = time.monotonic()
    done = harness(root, "run", timeout=90)
    assert time.monotonic() - started < 60
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    db = root / "reports" / "harness.db"
    assert rows(db, "SELECT status FROM runs") == [("finished",)]
    stored = dict(rows(db, "SELECT case_id, status FROM results"))
    assert stored == {"ok1": "passed", "ok2": "passed", "ok3": "passed", "bomb": "failed"}
    (verdicts,) = rows(db, "SELECT verdicts FROM results WHERE case_id = 'bomb'")[0]
    errors = [v["error"] for v in json.loads(verdicts)]
    assert errors[0] is not None and errors[0].startswith("regex timed out after 0.5 s")
    assert errors[1:] == [None, None]  # (a+)+$ is answered at once by the regex engine


def test_match_raises_a_clear_error_past_the_limit() -> None:
    limits.configure(limits.Limits(regex_timeout_s=0.2))
    try:
        started = time.monotonic()
        with pytest.raises(EvalError, match=r"regex timed out after 0.2 s on 5,001 characters"):
            match(r"(x|xx)+y", "x" * 5000 + "z")
        assert time.monotonic() - started < 5
        assert match(r"\d+", "abc 42").group(0) == "42"
        assert match(r"ABC", "abc", ignore_case=True, full=True) is not None
    finally:
        limits.configure(limits.Limits())


async def test_a_python_function_that_never_returns_is_cut_off() -> None:
    def forever(_: object) -> bool:
        time.sleep(30)
        return True

    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match=r"within 0\.2 s"):
        await call_with_deadline(forever, None, timeout=0.2)
    assert time.monotonic() - started < 5

    async def stuck(_: object) -> bool:
        await asyncio.sleep(30)
        return True

    with pytest.raises(DeadlineExceeded):
        await call_with_deadline(stuck, None, timeout=0.2)
    assert await call_with_deadline(lambda x: x + 1, 1, timeout=5) == 2
    with pytest.raises(ZeroDivisionError):
        await call_with_deadline(lambda x: 1 / x, 0, timeout=5)
