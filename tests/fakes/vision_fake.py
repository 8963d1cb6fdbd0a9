"""A fake vision model on the OpenAI Chat Completions wire: it names the colour it sees.

The local models take no images, so the image example spec (specs/colours.yaml) was recorded
against this server. For each ``image_url`` part holding a PNG data URI it decodes the
pixels, takes their mean colour and answers with the nearest name in :data:`PALETTE`
(``"red"``; several images: ``"red, blue"``); a URL it cannot fetch is ``"unknown"``. Two
models differ on purpose: ``fake-vision-mini`` confuses orange with red.

    python -m tests.fakes.server --kind vision --port 8000   # then: --record-mode all
"""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

from tests.fakes.openai_fake import chat_reply
from tests.fakes.server import FakeServer, ReceivedRequest, Reply

PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "orange": (245, 140, 20),
    "yellow": (240, 220, 40),
    "green": (40, 170, 60),
    "blue": (40, 70, 220),
    "purple": (130, 50, 170),
    "black": (10, 10, 10),
    "white": (245, 245, 245),
}


def setup(server: FakeServer) -> None:
    """Register the Chat Completions route."""
    server.route("POST", "/v1/chat/completions", chat)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def mean_colour(png: bytes) -> tuple[int, int, int]:
    """The mean RGB of an 8-bit RGB or RGBA PNG (all five row filters)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width, height, channels = 8, b"", 0, 0, 3
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", data[:10])
            if depth != 8 or colour not in (2, 6):
                raise ValueError("only 8-bit RGB/RGBA PNGs")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    previous, total, at = bytearray(stride), [0, 0, 0], 0
    for _ in range(height):
        kind, row = raw[at], bytearray(raw[at + 1 : at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            left = row[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            pred = (0, left, up, (left + up) // 2, _paeth(left, up, corner))[kind]
            row[i] = (row[i] + pred) & 0xFF
        for x in range(width):
            for c in range(3):
                total[c] += row[x * channels + c]
        previous = row
    n = max(width * height, 1)
    return (total[0] // n, total[1] // n, total[2] // n)


def colour_name(rgb: tuple[int, int, int], model: str) -> str:
    """The palette name nearest ``rgb`` (the mini model sees orange as red)."""
    name = min(
        PALETTE, key=lambda k: sum((a - b) ** 2 for a, b in zip(PALETTE[k], rgb, strict=True))
    )
    return "red" if name == "orange" and model.endswith("-mini") else name


def _seen(part: dict[str, Any], model: str) -> str:
    url = str((part.get("image_url") or {}).get("url", ""))
    head, _, data = url.partition(",")
    if not head.startswith("data:image/png;base64"):
        return "unknown"
    try:
        return colour_name(mean_colour(base64.b64decode(data)), model)
    except (ValueError, zlib.error, struct.error, IndexError):
        return "unknown"


async def chat(request: ReceivedRequest, server: FakeServer) -> Reply:
    """POST /v1/chat/completions: name the colour of every image in the last user message."""
    body = request.json
    messages = body.get("messages", []) if isinstance(body, dict) else []
    last = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    content = last.get("content")
    parts = content if isinstance(content, list) else []
    images = [p for p in parts if isinstance(p, dict) and p.get("type") == "image_url"]
    model = str(body.get("model", ""))
    text = ", ".join(_seen(p, model) for p in images) if images else "I see no image."
    answer = {
        "text": text,
        "prompt_tokens": 85 * len(images) + 12,
        "completion_tokens": len(text.split()),
        "cached": 0,
        "reasoning": 0,
    }
    return chat_reply(server, model, text, answer, "fp_fake_vision")
