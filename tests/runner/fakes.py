"""A FakeDriver for runner tests: scripted answers, typed errors and delays, no HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from harness.drivers.base import (
    Driver,
    ModelPrice,
    ProviderSettings,
    Request,
    Response,
    StreamEvent,
    Usage,
)
from harness.expect.types import CaseVerdict, JudgeCall, Output, Verdict
from harness.spec.types import Assertion, Case, PromptTemplate, Spec

Script = Callable[[Request], Response | Exception]


def echo(request: Request) -> Response:
    """Answer with the last message's text, 10 tokens in and out, $0.001 a call."""
    return Response(
        text=request.messages[-1].text,
        model=request.model,
        usage=Usage(input_tokens=10, output_tokens=10),
        cost_usd=0.001,
        latency_ms=5.0,
        finish_reason="stop",
    )


class FakeDriver(Driver):
    """Answers every request with ``script(request)``; raises it when it is an exception."""

    def __init__(
        self,
        settings: ProviderSettings,
        *,
        script: Script = echo,
        delay: float = 0.0,
        prices: Mapping[str, ModelPrice] | None = None,
    ) -> None:
        super().__init__(settings, prices=prices)
        self.script = script
        self.delay = delay
        self.calls: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.closed = False

    async def complete(self, request: Request) -> Response:
        self.calls.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            answer = self.script(request)
        finally:
            self.in_flight -= 1
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def stream(self, request: Request) -> AsyncIterator[StreamEvent]:
        yield StreamEvent("response", response=await self.complete(request))

    async def aclose(self) -> None:
        self.closed = True


class Drivers:
    """A driver factory for ``Runner(driver_factory=...)`` that keeps the drivers it made."""

    def __init__(self, scripts: Mapping[str, Script] | None = None, **kwargs: Any) -> None:
        self.scripts = dict(scripts or {})
        self.kwargs = kwargs
        self.made: dict[str, FakeDriver] = {}

    def __call__(self, settings: ProviderSettings, prices: Mapping[str, ModelPrice]) -> Driver:
        script = self.scripts.get(settings.name, echo)
        driver = FakeDriver(settings, script=script, prices=prices, **self.kwargs)
        self.made[settings.name] = driver
        return driver


async def contains_ok(
    spec: Spec, case: Case, output: Output, *, judge: JudgeCall | None = None
) -> CaseVerdict:
    """A fake evaluator: passes when the output contains ``ok``."""
    passed = "ok" in output.text
    verdict = Verdict("contains", passed, float(passed), "has ok" if passed else "no ok")
    return CaseVerdict(passed, float(passed), (verdict,))


def make_spec(
    name: str = "qa",
    cases: int = 3,
    *,
    models: tuple[str, ...] = ("fake:m1",),
    text: str = "say {{ word }}",
    words: Callable[[int], str] = lambda i: "ok" if i % 2 == 0 else "no",
    tags: Callable[[int], tuple[str, ...]] = lambda i: (),
    max_cost: float | None = None,
    params: Mapping[str, Any] | None = None,
) -> Spec:
    """A spec built in memory: case ``c<i>`` renders ``text`` with ``word = words(i)``."""
    return Spec(
        name=name,
        path=f"specs/{name}.yaml",
        prompt=PromptTemplate((("user", text),)),
        cases=tuple(
            Case(
                id=f"c{i}",
                vars={"word": words(i)},
                expect=(Assertion("contains", "ok"),),
                tags=tags(i),
            )
            for i in range(cases)
        ),
        models=models,
        max_cost=max_cost,
        params=dict(params or {}),
        content_hash=f"hash-{name}",
    )
