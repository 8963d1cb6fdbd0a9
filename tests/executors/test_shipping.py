"""Cassettes travel with the chunks: packed at the head, unpacked on a worker, and back."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cassettes.key import CassetteKey
from harness.errors import CassetteError
from harness.executors.ray.shipping import Harvest, pack, unpack, write_back


def _key(case: str) -> CassetteKey:
    return CassetteKey("qa", case, "openai:gpt-4o", 1, None)


def test_replay_ships_the_existing_cassettes_of_a_chunk(tmp_path: Path) -> None:
    head, worker = tmp_path / "head", tmp_path / "worker"
    path = _key("a").path(head)
    path.parent.mkdir(parents=True)
    path.write_text("interactions: []\n")
    files = pack(head, [_key("a"), _key("missing")], "none")
    assert files == {"qa/a/openai/gpt-4o.yaml": b"interactions: []\n"}
    unpack(worker, files)
    assert _key("a").path(worker).read_text() == "interactions: []\n"
    assert pack(head, [_key("a")], "all") == {}  # re-recording reads nothing


def test_recorded_cassettes_and_their_blobs_come_back_once(tmp_path: Path) -> None:
    worker, head = tmp_path / "worker", tmp_path / "head"
    cassette = _key("a").path(worker)
    cassette.parent.mkdir(parents=True)
    cassette.write_text("recorded\n")
    blob = worker / "qa" / "_blobs" / "abc.b64"
    blob.parent.mkdir(parents=True)
    blob.write_text("QUJD")
    harvest = Harvest(worker)
    written = [cassette]
    files = harvest.take(written)
    assert written == [] and set(files) == {"qa/a/openai/gpt-4o.yaml", "qa/_blobs/abc.b64"}
    assert harvest.take([cassette]) == {"qa/a/openai/gpt-4o.yaml": b"recorded\n"}  # blob once
    write_back(head, files)
    assert _key("a").path(head).read_text() == "recorded\n"
    assert (head / "qa" / "_blobs" / "abc.b64").read_text() == "QUJD"


@pytest.mark.parametrize("path", ["../outside.yaml", "/etc/passwd", "qa/../../x.yaml", ""])
def test_a_shipped_path_outside_the_cassettes_folder_is_refused(tmp_path: Path, path: str) -> None:
    with pytest.raises(CassetteError, match="outside the folder"):
        write_back(tmp_path, {path: b"x"})
