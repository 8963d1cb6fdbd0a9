"""A small run on fake drivers, with chosen hooks: what the observe tests watch."""

from __future__ import annotations

import io
import secrets

from rich.console import Console

from harness.config import ProjectConfig
from harness.drivers.base import Request, Response, Usage
from harness.errors import BadRequestError
from harness.expect.types import CaseVerdict, JudgeCall, Output, Verdict
from harness.hooks import Hooks
from harness.runner.run import Runner, RunOptions, RunResult
from harness.spec.types import Case, Spec
from harness.store.sqlite import Store
from tests.runner.fakes import Drivers, echo, make_spec

# made per test session, never written in a file: shaped like a provider key so the scrubbing
# rules (environment values, key patterns) are what hides it
SECRET = "sk-" + secrets.token_hex(12)


def script(request: Request) -> Response | Exception:
    """c1 fails for good (a refused request whose message carries a key); the rest echo.

    Not a rate limit: since the provider gate, a 429 is retried until the provider's
    patience runs out and pauses the whole provider meanwhile.
    """
    if request.messages[-1].text.endswith("w1"):
        return BadRequestError(
            f"refused (key {SECRET})", provider="fake", model="m1", status_code=400
        )
    return echo(request)


async def judged(
    spec: Spec, case: Case, output: Output, *, judge: JudgeCall | None = None
) -> CaseVerdict:
    """Each evaluation asks a judge model once."""
    assert judge is not None
    answer = await judge("slow:judge", Request(model="judge", messages=()))
    passed = "ok" in output.text and answer.text == "yes"
    return CaseVerdict(passed, float(passed), (Verdict("judge", passed, 1.0, answer.text),))


def judge_script(request: Request) -> Response:
    return Response(text="yes", usage=Usage(3, 1), latency_ms=1.0)


async def small_run(
    config: ProjectConfig, store: Store, hooks: Hooks | None = None, *, cases: int = 3
) -> RunResult:
    """``cases`` cases on fake:m1 (c1 errors), every passing answer judged by slow:judge."""
    spec = make_spec(cases=cases, words=lambda i: f"ok w{i}")
    runner = Runner(
        [spec],
        config,
        store,
        RunOptions(progress=False),
        driver_factory=Drivers({"fake": script, "slow": judge_script}),
        evaluate=judged,
        console=Console(file=io.StringIO(), force_terminal=False),
        hooks=hooks,
    )
    return await runner.run()
