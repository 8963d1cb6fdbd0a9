"""Large base64 values in recorded requests live in content-addressed blob files."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.cassettes.blobs import MIN_CHARS, blob_dir, collapse, externalize, read_blob, ref
from harness.cassettes.scrub import pretty_body
from harness.cassettes.storage import json_body

IMAGE = "data:image/png;base64," + base64.b64encode(bytes(range(256)) * 8).decode()
PROSE = "word " * 400  # long, but text: stays in the cassette


def body(image: str) -> dict[str, object]:
    return {
        "messages": [{"content": [{"type": "text", "text": PROSE}, {"image_url": {"url": image}}]}]
    }


def test_only_long_base64_values_are_replaced(tmp_path: Path) -> None:
    out = externalize(body(IMAGE), tmp_path)
    url = out["messages"][0]["content"][1]["image_url"]["url"]  # type: ignore[index]
    assert url == "harness-blob:sha256:" + hashlib.sha256(IMAGE.encode()).hexdigest()
    assert out["messages"][0]["content"][0]["text"] == PROSE  # type: ignore[index]
    assert read_blob(url, tmp_path) == IMAGE
    assert collapse({"short": "aGk="}) == {"short": "aGk="}
    assert len(IMAGE) >= MIN_CHARS


def test_a_blob_is_written_once(tmp_path: Path) -> None:
    externalize(body(IMAGE), tmp_path)
    (blob,) = tmp_path.iterdir()
    before = blob.stat().st_mtime_ns
    externalize([body(IMAGE), body(IMAGE)], tmp_path)
    assert list(tmp_path.iterdir()) == [blob] and blob.stat().st_mtime_ns == before


def test_blobs_sit_beside_the_specs_cassettes() -> None:
    path = Path("cassettes/colours/red/vllm/fake-vision.yaml")
    assert blob_dir(path) == Path("cassettes/colours/_blobs")


@pytest.mark.parametrize(
    ("live", "matches"),
    [
        pytest.param(IMAGE, True, id="same-image"),
        pytest.param(IMAGE.replace("AAEC", "AAED", 1), False, id="other-image"),
    ],
)
def test_a_live_request_matches_the_recorded_one_by_hash(
    tmp_path: Path, live: str, matches: bool
) -> None:
    recorded = pretty_body(json.dumps(body(IMAGE)).encode(), tmp_path)
    assert recorded is not None and IMAGE not in str(recorded)
    r1 = SimpleNamespace(body=json.dumps(body(live)).encode())
    r2 = SimpleNamespace(body=recorded)
    if matches:
        json_body(r1, r2)
    else:
        with pytest.raises(AssertionError):
            json_body(r1, r2)


def test_committed_image_cassettes_hold_no_base64() -> None:
    root = Path(__file__).resolve().parents[2] / "cassettes" / "colours"
    texts = [p.read_text() for p in root.rglob("*.yaml")]
    assert len(texts) == 12
    assert all("base64," not in t for t in texts)
    assert all(max(map(len, t.splitlines())) < 1000 or "string:" in t for t in texts)
    assert len(list((root / "_blobs").iterdir())) == 6, "each image stored once for both models"
    assert ref(IMAGE).startswith("harness-blob:sha256:")
