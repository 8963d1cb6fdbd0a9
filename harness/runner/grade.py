"""Grade answers you already have: an outputs file stands in for the models.

``harness grade OUTPUTS.jsonl --spec spec.yaml`` scores each line's answer against the
spec's expectations and writes the same store, results files and report as a run. Each
line is an object::

    {"case": "john", "output": "...", "model": "prod:gpt-4o", "attempt": 1,
     "latency_ms": 812, "input_tokens": 95, "output_tokens": 12, "cost_usd": 0.0004}

Only ``case`` (or ``id``) and ``output`` are required; ``model`` defaults to the file's
stem (``outputs:<stem>``; a name without ``provider:`` gets ``outputs:``). The run goes
through the ordinary :class:`~harness.runner.run.Runner`: the answers are served by a
driver that looks up the item being run, so transforms, assertions, the judge, the store
and the report behave exactly as in ``harness run``.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import json
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.cassettes.key import CassetteKey
from harness.cassettes.recorder import Keyed, Recorder
from harness.config import ProjectConfig
from harness.drivers.base import (
    Driver,
    ModelPrice,
    ProviderSettings,
    Request,
    Response,
    StreamEvent,
    Usage,
)
from harness.errors import ProviderError, SpecProblem
from harness.runner.items import Item
from harness.spec.types import Spec

OUTPUTS = "outputs"
Key = tuple[str, str, int]  # case id, model id, attempt
_CURRENT: contextvars.ContextVar[Item | None] = contextvars.ContextVar("graded_item", default=None)


@dataclass(frozen=True, slots=True)
class Answers:
    """The answers of an outputs file by (case, model, attempt), its models in order, and
    the problems of the lines that could not be used."""

    by_key: dict[Key, Response]
    models: tuple[str, ...]
    problems: list[SpecProblem]


def _model_id(name: str) -> str:
    return name if ":" in name else f"{OUTPUTS}:{name}"


def _number(row: Mapping[str, Any], key: str) -> float | None:
    value = row.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def read_outputs(path: Path, shown: str, spec: Spec) -> Answers:
    """Every usable line of an outputs file; a bad line is a problem at its line."""
    by_key: dict[Key, Response] = {}
    models: dict[str, None] = {}
    problems: list[SpecProblem] = []
    case_ids = {c.id for c in spec.cases}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        return Answers({}, (), [SpecProblem(shown, 1, 1, f"cannot read outputs: {reason}")])
    default_model = _model_id(path.stem)
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue

        def bad(message: str, n: int = n) -> None:
            problems.append(SpecProblem(shown, n, 1, message))

        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(SpecProblem(shown, n, exc.colno, f"not JSON: {exc.msg}"))
            continue
        if not isinstance(row, dict):
            bad('each line must be an object: {"case": ..., "output": ...}')
            continue
        case = row.get("case", row.get("id"))
        if case is None or "output" not in row:
            bad("a line needs 'case' (the case id) and 'output' (the answer)")
            continue
        case = str(case)
        if case not in case_ids:
            bad(f"case {case!r} is not in spec {spec.name!r} ({spec.path})")
            continue
        output = row["output"]
        text_out = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
        model = _model_id(str(row.get("model") or default_model))
        attempt = row.get("attempt", 1)
        if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 1:
            bad("'attempt' must be a whole number >= 1")
            continue
        key = (case, model, attempt)
        if key in by_key:
            bad(f"a second answer for case {case!r} on {model} (attempt {attempt}): keep one")
            continue
        tokens_in, tokens_out = _number(row, "input_tokens"), _number(row, "output_tokens")
        by_key[key] = Response(
            text=text_out,
            provider=model.partition(":")[0],
            model=model.partition(":")[2],
            finish_reason=row.get("finish_reason")
            if isinstance(row.get("finish_reason"), str)
            else None,
            usage=Usage(
                input_tokens=None if tokens_in is None else int(tokens_in),
                output_tokens=None if tokens_out is None else int(tokens_out),
            ),
            cost_usd=_number(row, "cost_usd"),
            latency_ms=_number(row, "latency_ms"),
            ttft_ms=_number(row, "ttft_ms"),
            timings_recorded=True,
        )
        models[model] = None
    return Answers(by_key, tuple(models), problems)


class OutputsDriver(Driver):
    """Answers each item with its line of the outputs file."""

    def __init__(self, settings: ProviderSettings, answers: Answers, source: str) -> None:
        super().__init__(settings)
        self.answers = answers
        self.source = source

    async def complete(self, request: Request) -> Response:
        """The answer for the item being graded (the runner's cassette scope names it)."""
        item = _CURRENT.get()
        if item is None:  # a judge call: grading never calls a model on its own
            raise ProviderError(
                "harness grade cannot call a model; give judge assertions a real model "
                "('model:' on the assertion, 'judge:' in the spec or defaults.judge)",
                provider=self.settings.name,
            )
        found = self.answers.by_key.get((item.case.id, item.model, item.attempt))
        if found is None:
            raise ProviderError(
                f"no answer in {self.source} for case {item.case.id!r} (attempt {item.attempt})",
                provider=self.settings.name,
                model=request.model,
            )
        return found

    async def stream(self, request: Request) -> AsyncIterator[StreamEvent]:
        """The answer as one response event."""
        yield StreamEvent("response", response=await self.complete(request))

    async def aclose(self) -> None:
        """Nothing to close."""


class ItemScope(Recorder):
    """A recorder with cassettes off that tells the outputs driver which item runs."""

    def __init__(self) -> None:
        super().__init__(Path("."), "off")

    def scope(self, key: CassetteKey | Keyed) -> contextlib.AbstractContextManager[None]:
        """Mark ``key`` (the item being graded) as current for the calls in this block."""
        return self._current(key) if isinstance(key, Item) else contextlib.nullcontext()

    @contextlib.contextmanager
    def _current(self, item: Item) -> Iterator[None]:
        token = _CURRENT.set(item)
        try:
            yield
        finally:
            _CURRENT.reset(token)


def grading_setup(
    spec: Spec, answers: Answers, config: ProjectConfig, source: str
) -> tuple[Spec, ProjectConfig, Any]:
    """The spec cut to the answered cases, a config that knows the answers' providers, and
    a driver factory serving the answers. Judge models keep their real providers."""
    answered = {case for case, _, _ in answers.by_key}
    cut = dataclasses.replace(spec, cases=tuple(c for c in spec.cases if c.id in answered))
    providers = dict(config.providers)
    graded = {m.partition(":")[0] for m in answers.models}
    for name in graded:
        providers[name] = ProviderSettings(name=name, type=OUTPUTS)

    def factory(settings: ProviderSettings, prices: Mapping[str, ModelPrice]) -> Driver:
        if settings.name in graded:
            return OutputsDriver(settings, answers, source)
        from harness.drivers.http import default_transport
        from harness.drivers.registry import create_driver

        return create_driver(settings, transport=default_transport(settings), prices=prices)

    return cut, dataclasses.replace(config, providers=providers), factory
