"""Matching and files: vcrpy matchers, the stable serializer, atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from vcr.matchers import requests_match
from vcr.request import Request

from harness.cassettes.storage import MATCH_ON, AtomicPersister, YAMLSerializer


def _req(uri: str, body: bytes, method: str = "POST") -> Request:
    return Request(method, uri, body, {})


@pytest.mark.parametrize(
    ("a", "b", "match"),
    [
        pytest.param(
            _req("http://localhost:1/v1/x", b'{"a":1,"b":2}'),
            _req("http://localhost:2/v1/x", b'{"b": 2, "a": 1}'),
            True,
            id="port-and-key-order-ignored",
        ),
        pytest.param(
            _req("http://h/v1/x", b'{"a":1}'), _req("http://h/v1/x", b'{"a":2}'), False, id="body"
        ),
        pytest.param(_req("http://h/v1/x", b""), _req("http://h/v1/y", b""), False, id="path"),
        pytest.param(
            _req("http://h/v1/x", b"", "GET"), _req("http://h/v1/x", b""), False, id="method"
        ),
        pytest.param(
            _req("http://h/v1/x?alt=sse", b""), _req("http://h/v1/x", b""), False, id="query"
        ),
    ],
)
def test_matching(a: Request, b: Request, match: bool) -> None:
    assert requests_match(a, b, MATCH_ON) is match


def test_serializer_is_stable_and_round_trips() -> None:
    data = {"z": 1, "a": {"text": "line 1\nline 2\n", "n": None}, "m": "ümlaut"}
    text = YAMLSerializer.serialize(data)
    assert text == YAMLSerializer.serialize(dict(reversed(list(data.items()))))
    assert text.index("a:") < text.index("m:") < text.index("z:")
    assert "text: |\n" in text and "ümlaut" in text
    assert YAMLSerializer.deserialize(text) == data


def test_persister_writes_atomically(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "model.yaml"
    request = _req("http://h/v1", b"{}")
    response = {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": b"x"}}
    cassette = {"requests": [request], "responses": [response]}
    AtomicPersister.save_cassette(path, cassette, YAMLSerializer)
    assert [p.name for p in path.parent.iterdir()] == ["model.yaml"]  # no temporary left
    requests, responses = AtomicPersister.load_cassette(path, YAMLSerializer)
    assert requests[0].uri == "http://h/v1"
    assert responses[0]["body"]["string"] == b"x"


def test_persister_refuses_python_tags(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("interactions: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ValueError, match="problem loading the cassette"):
        AtomicPersister.load_cassette(path, YAMLSerializer)
