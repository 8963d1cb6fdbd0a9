"""Message parts (image, file, audio) in each wire format, and which drivers take which."""

from __future__ import annotations

import pytest

from harness.drivers import anthropic_wire, gemini_wire, ollama, openai
from harness.drivers.base import (
    AudioPart,
    FilePart,
    ImagePart,
    Message,
    Request,
    TextPart,
)
from harness.drivers.registry import driver_class
from harness.errors import UnsupportedFeatureError

PARTS = (
    TextPart("Describe:"),
    ImagePart(data="aW1n", media_type="image/png"),
    FilePart(data="cGRm", media_type="application/pdf", name="a.pdf"),
    AudioPart(data="d2F2", media_type="audio/wav"),
)
MESSAGE = Message("user", PARTS)


def test_openai_sends_image_url_file_and_input_audio() -> None:
    assert openai.message_json(MESSAGE)["content"] == [
        {"type": "text", "text": "Describe:"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,aW1n"}},
        {
            "type": "file",
            "file": {"file_data": "data:application/pdf;base64,cGRm", "filename": "a.pdf"},
        },
        {"type": "input_audio", "input_audio": {"data": "d2F2", "format": "wav"}},
    ]
    mp3 = Message("user", (AudioPart("eA==", "audio/mpeg"),))
    assert openai.message_json(mp3)["content"][0]["input_audio"]["format"] == "mp3"


def test_anthropic_sends_image_and_document_blocks_and_refuses_audio() -> None:
    body = anthropic_wire.build_body(
        Request("m", (Message("user", PARTS[:3]),)), None, stream=False
    )
    assert body["messages"][0]["content"][1:] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "aW1n"}},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": "cGRm"},
        },
    ]
    with pytest.raises(UnsupportedFeatureError, match="no audio parts"):
        anthropic_wire.build_body(Request("m", (MESSAGE,)), None, stream=False)


def test_gemini_sends_every_part_inline() -> None:
    body = gemini_wire.build_body(Request("m", (MESSAGE,)), None)
    parts = body["contents"][0]["parts"]
    assert [next(iter(p)) for p in parts] == ["text", "inlineData", "inlineData", "inlineData"]
    assert parts[2] == {"inlineData": {"mimeType": "application/pdf", "data": "cGRm"}}


def test_ollama_sends_images_and_refuses_files() -> None:
    assert ollama.message_json(Message("user", PARTS[:2]))["images"] == ["aW1n"]
    with pytest.raises(UnsupportedFeatureError, match="not file parts"):
        ollama.message_json(Message("user", PARTS[:3]))


@pytest.mark.parametrize(
    ("wire", "accepts"),
    [
        pytest.param("openai", {"text", "image", "file", "audio"}, id="openai"),
        pytest.param("anthropic", {"text", "image", "file"}, id="anthropic"),
        pytest.param("gemini", {"text", "image", "file", "audio"}, id="gemini"),
        pytest.param("ollama", {"text", "image"}, id="ollama"),
        pytest.param("llamacpp", {"text"}, id="llamacpp"),
        pytest.param("echo", {"text", "image", "file", "audio"}, id="echo"),
    ],
)
def test_each_driver_says_which_parts_it_takes(wire: str, accepts: set[str]) -> None:
    assert driver_class(wire).accepts == accepts
