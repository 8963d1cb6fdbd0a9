"""The batch-API seam: which drivers offer one, how a plugin declares its own, prices, wire bits."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import httpx
import pytest

from harness.drivers.anthropic import AnthropicDriver
from harness.drivers.base import ModelPrice, ProviderSettings, Usage
from harness.drivers.batch_anthropic import AnthropicBatch
from harness.drivers.batch_anthropic import _answer as anthropic_answer
from harness.drivers.batch_base import (
    BatchAnswer,
    BatchAPI,
    BatchJob,
    BatchLine,
    BatchState,
    batch_api_of,
)
from harness.drivers.batch_gemini import GeminiBatch
from harness.drivers.batch_gemini import _answer as gemini_answer
from harness.drivers.batch_openai import OpenAIBatch
from harness.drivers.batch_openai import _answer as openai_answer
from harness.drivers.echo import EchoDriver
from harness.drivers.gemini import GeminiDriver
from harness.drivers.openai import OpenAIDriver
from harness.drivers.pricing import batch_cost_usd, cost_usd
from harness.errors import AuthenticationError, PluginError

OPENAI = ProviderSettings(name="openai", type="openai", base_url="https://api.openai.com/v1")
BENCH = ProviderSettings(name="bench", type="openai", base_url="http://127.0.0.1:9/v1")
MILLION = Usage(input_tokens=1_000_000, output_tokens=1_000_000)


@pytest.mark.parametrize(
    ("driver", "api"),
    [
        pytest.param(OpenAIDriver(OPENAI), OpenAIBatch, id="openai"),
        pytest.param(
            AnthropicDriver(ProviderSettings(name="anthropic", type="anthropic")),
            AnthropicBatch,
            id="anthropic",
        ),
        pytest.param(
            GeminiDriver(ProviderSettings(name="gemini", type="gemini")), GeminiBatch, id="gemini"
        ),
        pytest.param(EchoDriver(ProviderSettings(name="echo", type="echo")), None, id="echo"),
    ],
)
def test_built_in_drivers_declare_their_batch_api(driver: object, api: type | None) -> None:
    assert batch_api_of(driver) is api  # type: ignore[arg-type]


class AcmeBatch(BatchAPI):
    """A third party's batch API: declared on its driver like the built-ins'."""

    async def submit(
        self,
        model: str,
        lines: Sequence[BatchLine],
        job: BatchJob,
        remember: Callable[[BatchJob], None],
    ) -> BatchJob:
        return BatchJob("acme-1")

    async def poll(self, job: BatchJob) -> BatchState:
        return BatchState(done=True, state="done")

    async def results(self, job: BatchJob, state: BatchState) -> list[BatchAnswer]:
        return []


class AcmeDriver(OpenAIDriver):
    batch_api = AcmeBatch


class BrokenDriver(OpenAIDriver):
    batch_api = "no_such_module:Batch"


class WrongDriver(OpenAIDriver):
    batch_api = "json:dumps"


def test_a_plugin_driver_declares_its_own_batch_api_by_class() -> None:
    assert batch_api_of(AcmeDriver(BENCH)) is AcmeBatch


@pytest.mark.parametrize(
    ("driver", "message"),
    [
        pytest.param(BrokenDriver(BENCH), "no_such_module:Batch", id="missing"),
        pytest.param(WrongDriver(BENCH), "is not a harness BatchAPI", id="not-a-batch-api"),
    ],
)
def test_a_broken_declaration_is_a_plugin_error_naming_it(driver: object, message: str) -> None:
    with pytest.raises(PluginError, match=message):
        batch_api_of(driver)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("settings", "available"),
    [
        pytest.param(OPENAI, True, id="official"),
        pytest.param(
            ProviderSettings(name="openai", type="openai", base_url="http://x"), True, id="named"
        ),
        pytest.param(BENCH, False, id="compatible"),
        pytest.param(
            ProviderSettings(name="bench", type="openai", batch=True), True, id="configured"
        ),
    ],
)
def test_openai_batch_is_there_for_openai_or_when_configured(
    settings: ProviderSettings, available: bool
) -> None:
    assert OpenAIBatch.available(settings) is available


def test_batch_price_is_half_the_live_price_by_default() -> None:
    prices = {"bench:m": ModelPrice(1.0, 2.0)}
    live = cost_usd(BENCH, "m", MILLION, prices)
    assert live == pytest.approx(3.0)
    assert batch_cost_usd(BENCH, "m", MILLION, prices) == pytest.approx(1.5)


def test_batch_price_from_harness_yaml_wins() -> None:
    prices = {"bench:m": ModelPrice(1.0, 2.0, None, 0.2, 0.6)}
    assert batch_cost_usd(BENCH, "m", MILLION, prices) == pytest.approx(0.8)


def test_a_batch_output_price_alone_keeps_half_the_input_price() -> None:
    prices = {"bench:m": ModelPrice(1.0, 2.0, None, None, 0.6)}
    assert batch_cost_usd(BENCH, "m", MILLION, prices) == pytest.approx(0.5 + 0.6)


def test_unknown_usage_or_price_stays_unknown() -> None:
    assert batch_cost_usd(BENCH, "m", MILLION, {}) is None
    assert batch_cost_usd(BENCH, "m", Usage(), {"bench:m": ModelPrice(1, 2, None, 1, 1)}) is None


async def test_batch_endpoints_errors_are_typed_like_model_calls() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"message": "bad key"}})

    driver = OpenAIDriver(BENCH, transport=httpx.MockTransport(refuse))
    api = OpenAIBatch(driver, max_retries=0)
    with pytest.raises(AuthenticationError, match="bad key"):
        await api.poll(BatchJob("batch_1"))


async def test_openai_upload_is_multipart_with_purpose_batch_and_one_line_per_call() -> None:
    seen: list[httpx.Request] = []

    def serve(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/files"):
            return httpx.Response(200, json={"id": "file-1"})
        return httpx.Response(200, json={"id": "batch_1", "status": "validating"})

    from harness.drivers.http_driver import HTTPCall

    driver = OpenAIDriver(BENCH, transport=httpx.MockTransport(serve))
    lines = [
        BatchLine(f"item-{n}", HTTPCall("/chat/completions", {"n": n}), "/v1/chat/completions")
        for n in (1, 2)
    ]
    remembered: list[BatchJob] = []
    job = await OpenAIBatch(driver).submit("m", lines, BatchJob(), remembered.append)

    assert job == BatchJob("batch_1", "file-1")
    assert remembered == [BatchJob(None, "file-1"), BatchJob("batch_1", "file-1")]
    upload, create = seen
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert b'name="purpose"\r\n\r\nbatch' in upload.content
    rows = [json.loads(x) for x in upload.content.split(b"\n") if x.startswith(b'{"custom_id')]
    assert rows == [
        {"custom_id": "item-1", "method": "POST", "url": "/v1/chat/completions", "body": {"n": 1}},
        {"custom_id": "item-2", "method": "POST", "url": "/v1/chat/completions", "body": {"n": 2}},
    ]
    assert json.loads(create.content)["input_file_id"] == "file-1"

    # a crash after the upload: the same file is used, nothing is uploaded again
    seen.clear()
    await OpenAIBatch(driver).submit("m", lines, BatchJob(None, "file-1"), remembered.append)
    assert [r.url.path for r in seen] == ["/v1/batches"]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        pytest.param(
            openai_answer({"custom_id": "a", "response": {"status_code": 200, "body": {"x": 1}}}),
            BatchAnswer("a", 200, b'{"x":1}'),
            id="openai-answer",
        ),
        pytest.param(
            openai_answer({"custom_id": "a", "response": None, "error": {"code": "batch_expired"}}),
            BatchAnswer("a", None, reason="batch_expired"),
            id="openai-expired",
        ),
        pytest.param(
            anthropic_answer(
                {
                    "custom_id": "a",
                    "result": {
                        "type": "errored",
                        "error": {"type": "error", "error": {"type": "overloaded_error"}},
                    },
                }
            ),
            529,
            id="anthropic-overloaded",
        ),
        pytest.param(
            anthropic_answer({"custom_id": "a", "result": {"type": "expired"}}),
            BatchAnswer("a", None, reason="the request was expired"),
            id="anthropic-expired",
        ),
        pytest.param(gemini_answer({"error": {"code": 8}}, "a"), 429, id="gemini-rpc-code"),
        pytest.param(gemini_answer({"error": {"code": 400}}, "a"), 400, id="gemini-http-code"),
    ],
)
def test_batch_lines_become_the_status_a_live_call_would_get(
    answer: BatchAnswer, expected: BatchAnswer | int
) -> None:
    if isinstance(expected, int):
        assert answer.status == expected and not answer.succeeded
    else:
        assert answer == expected
