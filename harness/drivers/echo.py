"""The ``echo`` model: answers with the rendered prompt, no model and no network.

Use it to check templates and specs before spending a call: ``models: [echo]`` (or
``echo:<any name>``, to run several echo "models" side by side). A one-message prompt is
echoed as its text; a conversation as one ``role: text`` block per message, the same text
the store keeps as the item's prompt. Image, file and audio parts are echoed as a
``[image: image/png]`` placeholder. Registered through the ``harness.drivers`` entry points like
every other driver.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from harness.drivers.base import (
    ALL_PARTS,
    Driver,
    Message,
    Request,
    Response,
    StreamEvent,
    TextPart,
    Usage,
    part_kind,
)

PROVIDER = "echo"


def echo_text(request: Request) -> str:
    """What the echo model answers for ``request``."""
    if len(request.messages) == 1:
        return _text(request.messages[0])
    return "\n\n".join(f"{m.role}: {_text(m)}" for m in request.messages)


def _text(message: Message) -> str:
    if isinstance(message.content, str):
        return message.content
    out = []
    for part in message.content:
        if isinstance(part, TextPart):
            out.append(part.text)
        else:
            out.append(f"[{part_kind(part)}: {getattr(part, 'media_type', '')}]")
    return "".join(out)


class EchoDriver(Driver):
    """A driver whose answer is the prompt it was sent."""

    accepts = ALL_PARTS  # every part, echoed as a placeholder

    async def complete(self, request: Request) -> Response:
        """Echo the prompt; counts words as tokens so token columns are filled."""
        started = time.perf_counter()
        text = echo_text(request)
        words = len(text.split())
        return Response(
            text=text,
            provider=self.settings.name,
            model=request.model,
            finish_reason="stop",
            usage=Usage(input_tokens=words, output_tokens=words),
            cost_usd=0.0,
            latency_ms=(time.perf_counter() - started) * 1000,
            ttft_ms=0.0,
        )

    async def stream(self, request: Request) -> AsyncIterator[StreamEvent]:
        """The whole echo as one text event, then the response."""
        response = await self.complete(request)
        yield StreamEvent("text", text=response.text)
        yield StreamEvent("response", response=response)

    async def aclose(self) -> None:
        """Nothing to close."""
