"""The vcrpy internals harness relies on still exist and behave: this fails on a vcrpy
release that changes them (see harness/cassettes/vcr_adapter.py)."""

from __future__ import annotations

from pathlib import Path

import yaml
from vcr.cassette import Cassette
from vcr.record_mode import RecordMode
from vcr.request import Request

from harness.cassettes.storage import MATCH_ON, AtomicPersister, YAMLSerializer
from harness.cassettes.vcr_adapter import CassetteLoader, loaded_count, save_cassette


def _load(path: Path, mode: RecordMode) -> Cassette:
    return Cassette.load(
        path=str(path),
        serializer=YAMLSerializer,
        persister=AtomicPersister,
        record_mode=mode,
        match_on=MATCH_ON,
    )


def _response(text: str) -> dict[str, object]:
    return {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": text}}


def test_save_writes_and_loaded_count_tells_old_from_new(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    first = _load(path, RecordMode.ONCE)
    assert loaded_count(first) == 0
    request = Request("POST", "http://x/v1/a", b'{"a":1}', {})
    first.append(request, _response("one"))
    save_cassette(first)
    assert path.exists()

    again = _load(path, RecordMode.NEW_EPISODES)
    assert loaded_count(again) == 1
    again.append(Request("POST", "http://x/v1/b", b'{"b":2}', {}), _response("two"))
    assert loaded_count(again) == 1 and len(again.data) == 2


def test_the_loader_base_is_a_safe_yaml_loader() -> None:
    assert issubclass(CassetteLoader, yaml.SafeLoader) or hasattr(
        CassetteLoader, "construct_yaml_str"
    )
    assert yaml.load("a: [1, 2]", Loader=CassetteLoader) == {"a": [1, 2]}
