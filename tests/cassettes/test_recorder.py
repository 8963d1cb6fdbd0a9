"""Recording and replay through Recorder: the per-item routing, the modes, the errors."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from harness.cassettes import TIMINGS_EXTENSION, Recorder
from harness.cassettes.modes import RecordMode
from harness.drivers.sse import iter_ndjson, iter_sse
from harness.errors import CassetteError, CassetteMissingError, CassetteStaleError
from tests.cassettes.conftest import API_KEY, ORG, client_for, make_item
from tests.fakes.server import FakeServer, ReceivedRequest, Reply


async def _call(recorder: Recorder, url: str, case: str, body: dict[str, object]) -> httpx.Response:
    async with client_for(recorder, url) as client:
        with recorder.scope(make_item(case)):
            response = await client.post("/v1/echo", json=body)
            await response.aread()
    return response


async def _record_then_stop(server: FakeServer, root: Path) -> str:
    recorder = Recorder(root, "once")
    await _call(recorder, server.base_url, "c1", {"prompt": "hello", "n": 1})
    await server.stop()
    return server.base_url


async def test_replay_after_the_server_is_gone(echo_server: FakeServer, root: Path) -> None:
    recorder = Recorder(root, "once")
    live = await _call(recorder, echo_server.base_url, "c1", {"prompt": "hello", "n": 1})
    await echo_server.stop()

    replayer = Recorder(root, "none")
    replayed = await _call(replayer, echo_server.base_url, "c1", {"n": 1, "prompt": "hello"})

    assert replayed.status_code == live.status_code == 200
    assert replayed.json()["echo"] == live.json()["echo"] == {"prompt": "hello", "n": 1}
    assert replayed.headers["x-request-id"] == live.headers["x-request-id"]
    assert (replayer.replayed, replayer.recorded) == (1, 0)
    assert recorder.written == [root / "spec" / "c1" / "fake" / "model.yaml"]


async def test_replay_carries_recorded_timings(echo_server: FakeServer, root: Path) -> None:
    url = await _record_then_stop(echo_server, root)
    replayed = await _call(Recorder(root, "none"), url, "c1", {"prompt": "hello", "n": 1})
    timings = replayed.extensions[TIMINGS_EXTENSION]
    assert timings["latency_ms"] > 0
    assert timings["ttft_ms"] is None  # not a stream: no first token to time


async def test_missing_cassette_errors_in_mode_none(root: Path) -> None:
    with pytest.raises(CassetteMissingError, match=r"^no cassette for spec::c9::fake:model::1$"):
        await _call(Recorder(root, "none"), "http://127.0.0.1:9", "c9", {"prompt": "x"})


@pytest.mark.parametrize(
    ("body", "differs"),
    [
        pytest.param(
            {"prompt": "changed", "n": 1},
            "body differ, first at prompt: 'hello' -> 'changed'",
            id="prompt-changed",
        ),
        pytest.param(
            {"prompt": "hello", "n": 1, "schema": {}},
            "body differ, first at schema: (absent) -> {}",
            id="param-added",
        ),
    ],
)
async def test_stale_cassette_errors_in_mode_none(
    echo_server: FakeServer, root: Path, body: dict[str, object], differs: str
) -> None:
    url = await _record_then_stop(echo_server, root)
    with pytest.raises(CassetteStaleError) as info:
        await _call(Recorder(root, "none"), url, "c1", body)
    message = str(info.value)
    assert message.startswith(
        f"cassette is stale for spec::c1::fake:model::1: the request's {differs}; "
    )
    assert "re-record with: harness run --record-mode all -k spec::c1::fake:model (" in message


async def test_once_replays_an_existing_cassette_and_refuses_new_requests(
    echo_server: FakeServer, root: Path
) -> None:
    url = await _record_then_stop(echo_server, root)
    again = Recorder(root, "once")
    assert (await _call(again, url, "c1", {"prompt": "hello", "n": 1})).status_code == 200
    with pytest.raises(CassetteStaleError):
        await _call(again, url, "c1", {"prompt": "new"})


async def test_new_episodes_replays_matches_and_records_the_rest(
    echo_server: FakeServer, root: Path
) -> None:
    await _call(Recorder(root, "once"), echo_server.base_url, "c1", {"prompt": "a"})
    recorder = Recorder(root, "new_episodes")
    async with client_for(recorder, echo_server.base_url) as client:
        with recorder.scope(make_item("c1")):
            await client.post("/v1/echo", json={"prompt": "a"})
            await client.post("/v1/echo", json={"prompt": "b"})
    assert (recorder.replayed, recorder.recorded) == (1, 1)
    assert len(echo_server.requests) == 2  # "a" once when first recorded, then only "b"
    text = (root / "spec/c1/fake/model.yaml").read_text()
    assert text.count("method: POST") == 2


async def test_all_rewrites_with_only_this_runs_interactions(
    echo_server: FakeServer, root: Path
) -> None:
    await _call(Recorder(root, "once"), echo_server.base_url, "c1", {"prompt": "old"})
    await _call(Recorder(root, "all"), echo_server.base_url, "c1", {"prompt": "new"})
    text = (root / "spec/c1/fake/model.yaml").read_text()
    assert '"new"' in text
    assert '"old"' not in text
    assert len(echo_server.requests) == 2


async def test_off_passes_through_and_writes_nothing(echo_server: FakeServer, root: Path) -> None:
    recorder = Recorder(root, "off")
    response = await _call(recorder, echo_server.base_url, "c1", {"prompt": "x"})
    assert response.status_code == 200
    assert TIMINGS_EXTENSION not in response.extensions
    assert not root.exists()


async def test_calls_outside_a_scope_cannot_replay(root: Path) -> None:
    recorder = Recorder(root, "none")
    async with client_for(recorder, "http://127.0.0.1:9") as client:
        with pytest.raises(CassetteError, match="outside an item's cassette scope"):
            await client.post("/v1/echo", json={})


async def test_cassette_errors_cross_httpx_untouched(root: Path) -> None:
    # drivers translate httpx errors only: ours must not arrive wrapped in one
    recorder = Recorder(root, "none")
    async with client_for(recorder, "http://127.0.0.1:9") as client:
        with recorder.scope(make_item("c1")), pytest.raises(CassetteMissingError) as info:
            await client.post("/v1/echo", json={})
    assert not isinstance(info.value, httpx.HTTPError | OSError)


async def test_a_retried_request_replays_its_answers_in_order(root: Path) -> None:
    answers = iter([httpx.Response(500, json={"error": "busy"}), httpx.Response(200, json={})])
    recorder = Recorder(root, "once")
    inner = httpx.MockTransport(lambda request: next(answers))
    statuses = []
    async with httpx.AsyncClient(transport=recorder.wrap(inner)) as client:
        with recorder.scope(make_item("c1")):
            for _ in range(2):
                statuses.append((await client.post("http://api.test/v1", json={})).status_code)
    replayer = Recorder(root, "none")
    replayed = []
    async with httpx.AsyncClient(transport=replayer.wrap(_no_network())) as client:
        with replayer.scope(make_item("c1")):
            for _ in range(2):
                replayed.append((await client.post("http://api.test/v1", json={})).status_code)
    assert statuses == replayed == [500, 200]


def _no_network() -> httpx.MockTransport:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"replay reached the network: {request.url}")

    return httpx.MockTransport(refuse)


@pytest.mark.parametrize(
    ("query", "reader", "content_type"),
    [
        pytest.param("", "sse", "text/event-stream", id="sse"),
        pytest.param("?format=ndjson", "ndjson", "application/x-ndjson", id="ndjson"),
    ],
)
async def test_streams_replay_the_same_events(
    echo_server: FakeServer, root: Path, query: str, reader: str, content_type: str
) -> None:
    async def events(recorder: Recorder, url: str) -> tuple[list[str], httpx.Response]:
        async with client_for(recorder, url) as client:
            with recorder.scope(make_item("stream")):
                request = client.build_request("POST", f"/v1/stream{query}", json={"prompt": "p"})
                response = await client.send(request, stream=True)
                if reader == "sse":
                    got = [e.data async for e in iter_sse(response)]
                else:
                    got = [line async for line in iter_ndjson(response)]
                await response.aclose()
        return got, response

    live, _ = await events(Recorder(root, "once"), echo_server.base_url)
    await echo_server.stop()
    replayed, response = await events(Recorder(root, "none"), echo_server.base_url)

    assert replayed == live
    assert len(live) == (4 if reader == "sse" else 3)
    assert response.headers["content-type"].startswith(content_type)
    timings = response.extensions[TIMINGS_EXTENSION]
    assert 0 < timings["ttft_ms"] <= timings["latency_ms"]


async def test_gzip_bodies_are_stored_decoded(root: Path) -> None:
    import gzip

    payload = json.dumps({"answer": "compressed"}).encode()
    inner = httpx.MockTransport(
        lambda request: httpx.Response(
            200,
            content=gzip.compress(payload),
            headers={"content-encoding": "gzip", "content-type": "application/json"},
        )
    )
    recorder = Recorder(root, "once")
    async with httpx.AsyncClient(transport=recorder.wrap(inner)) as client:
        with recorder.scope(make_item("gz")):
            live = await client.post("http://api.test/v1", json={})
    assert live.json() == {"answer": "compressed"}
    assert '{"answer": "compressed"}' in (root / "spec/gz/fake/model.yaml").read_text()


async def test_two_hundred_concurrent_items_each_replay_their_own_answer(
    echo_server: FakeServer, root: Path
) -> None:
    async def run(recorder: Recorder, url: str) -> dict[str, object]:
        async with client_for(recorder, url) as client:

            async def one(i: int) -> tuple[str, object]:
                with recorder.scope(make_item(f"case-{i}")):
                    await asyncio.sleep(0.001 * (i % 7))  # interleave the items
                    response = await client.post("/v1/echo", json={"prompt": f"p{i}"})
                    return f"case-{i}", response.json()["echo"]["prompt"]

            return dict(await asyncio.gather(*(one(i) for i in range(200))))

    recorded = await run(Recorder(root, "once"), echo_server.base_url)
    await echo_server.stop()
    replayed = await run(Recorder(root, "none"), echo_server.base_url)

    assert recorded == replayed == {f"case-{i}": f"p{i}" for i in range(200)}
    assert len(list(root.rglob("*.yaml"))) == 200


async def test_parallel_judge_calls_share_the_items_cassette(root: Path) -> None:
    inner = httpx.MockTransport(lambda r: httpx.Response(200, json=json.loads(r.content)))
    recorder = Recorder(root, "once")
    async with httpx.AsyncClient(transport=recorder.wrap(inner)) as client:
        with recorder.scope(make_item("c1")):
            await asyncio.gather(
                client.post("http://model.test/v1/chat", json={"role": "model"}),
                client.post("http://judge.test/v1/chat", json={"role": "judge"}),
            )
    assert [p.name for p in root.rglob("*.yaml")] == ["model.yaml"]
    text = (root / "spec/c1/fake/model.yaml").read_text()
    assert '"model"' in text and '"judge"' in text


async def test_secrets_never_reach_disk(echo_server: FakeServer, root: Path) -> None:
    recorder = Recorder(root, "once")
    async with client_for(recorder, echo_server.base_url) as client:
        with recorder.scope(make_item("secret")):
            await client.post(f"/v1/echo?key={API_KEY}", json={"prompt": f"mine is {API_KEY}"})
            await client.post("/v1/echo", json={"x": 1}, headers={"cookie": f"sid={API_KEY}"})
    files = list(root.rglob("*"))
    text = "".join(f.read_text() for f in files if f.is_file())
    assert text  # something was written
    assert API_KEY not in text
    assert ORG not in text
    assert "set-cookie" not in text.lower()
    assert "authorization" not in text.lower()
    assert "key=REDACTED" in text


async def test_identical_traffic_rerecords_to_an_identical_file(root: Path) -> None:
    async def record(mode: RecordMode) -> bytes:
        server = FakeServer(_stable_setup)  # a fresh server: new port, same answers
        await server.start()
        try:
            recorder = Recorder(root, mode)
            async with client_for(recorder, server.base_url) as client:
                with recorder.scope(make_item("det")):
                    await client.post("/v1/echo", json={"b": 2, "a": 1})
                    stream = await client.post("/v1/stream", json={"prompt": "s"})
                    assert stream.status_code == 200
        finally:
            await server.stop()
        return (root / "spec/det/fake/model.yaml").read_bytes()

    first = await record("once")
    second = await record("all")
    assert first == second
    assert b"date:" not in first and b"127.0.0.1" not in first


def _stable_setup(server: FakeServer) -> None:
    from tests.cassettes.conftest import echo_setup

    echo_setup(server)


@pytest.mark.parametrize("attempt", [pytest.param(1, id="first"), pytest.param(3, id="third")])
async def test_each_attempt_has_its_own_cassette(root: Path, attempt: int) -> None:
    inner = httpx.MockTransport(lambda r: httpx.Response(200, json={}))
    recorder = Recorder(root, "once")
    item = make_item("c1", model="ollama:llama3.1:8b", attempt=attempt)
    async with httpx.AsyncClient(transport=recorder.wrap(inner)) as client:
        with recorder.scope(item):
            await client.post("http://127.0.0.1:11434/api/chat", json={})
    suffix = "" if attempt == 1 else f".attempt-{attempt}"
    expected = root / "spec" / "c1" / "ollama" / f"llama3.1%3A8b{suffix}.yaml"
    assert recorder.cassette_path(item) == expected
    assert expected.is_file()


def _volatile_setup(answer: str) -> Callable[[FakeServer], None]:
    """A server like llama.cpp's: a fresh id, timestamp and request id on every call."""

    async def reply(req: ReceivedRequest, server: FakeServer) -> Reply:
        volatile = {"id": f"chatcmpl-{uuid.uuid4()}", "created": time.time_ns()}
        if req.path.endswith("/stream"):
            events = [{**volatile, "n": i, "text": answer} for i in range(2)]
            chunks = [f"data: {json.dumps(e)}\n\n".encode() for e in events]
            return Reply(chunks=[*chunks, b"data: [DONE]\n\n"], content_type="text/event-stream")
        return Reply(
            json={**volatile, "text": answer},
            headers={"x-request-id": uuid.uuid4().hex},
        )

    def setup(server: FakeServer) -> None:
        server.route("POST", "/v1/echo", reply)
        server.route("POST", "/v1/stream", reply)

    return setup


@pytest.mark.parametrize(
    ("second_answer", "same_file"),
    [
        pytest.param("hello", True, id="same-answer-new-ids"),
        pytest.param("goodbye", False, id="changed-answer"),
    ],
)
async def test_rerecord_ignores_volatile_ids_but_not_answers(
    root: Path, second_answer: str, same_file: bool
) -> None:
    async def record(mode: RecordMode, answer: str) -> bytes:
        server = FakeServer(_volatile_setup(answer))
        await server.start()
        try:
            recorder = Recorder(root, mode)
            async with client_for(recorder, server.base_url) as client:
                with recorder.scope(make_item("vol")):
                    await client.post("/v1/echo", json={"q": 1})
                    await client.post("/v1/stream", json={"q": 2})
            recorder.close()
        finally:
            await server.stop()
        return (root / "spec/vol/fake/model.yaml").read_bytes()

    first = await record("once", "hello")
    second = await record("all", second_answer)
    assert (first == second) is same_file
    assert (b"goodbye" in second) is not same_file
