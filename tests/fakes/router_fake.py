"""A fake support-routing model on the OpenAI Chat Completions wire, for prompt comparisons.

The llama.cpp build on the machine that recorded specs/support_prompts.yaml crashed on every
completion (a general protection fault in libggml-cpu), so that spec's cassettes were
recorded against this server instead. It routes the last ``Message:`` of the prompt to
billing, technical or account by keywords, and its answer depends on the prompt, as a small
model's would: after few-shot examples (a ``Team:`` line) it answers with one word; asked
plainly it answers in a sentence and, being literal, names the first team the question
offers when no keyword matches. ``fake-router-mini`` knows fewer keywords.

    python -m tests.fakes.server --kind router --port 8000   # then: --record-mode all
"""

from __future__ import annotations

from typing import Any

from tests.fakes.openai_fake import _text_of, chat_reply
from tests.fakes.server import FakeServer, ReceivedRequest, Reply

KEYWORDS: dict[str, tuple[str, ...]] = {
    "billing": ("billed", "invoice", "price", "refund", "charged", "subscription"),
    "technical": ("error", "crash", "sync", "upload", "slow", "time out"),
    "account": ("password", "name on my account", "email address", "profile", "login"),
}
MINI_KNOWS = {"billing": 2, "technical": 3, "account": 2}  # the first N keywords of each


def setup(server: FakeServer) -> None:
    """Register the Chat Completions route."""
    server.route("POST", "/v1/chat/completions", chat)


def route(message: str, model: str) -> str | None:
    """The team whose keywords the message holds (None: no keyword matched)."""
    text = message.lower()
    for team, words in KEYWORDS.items():
        known = words[: MINI_KNOWS[team]] if model.endswith("-mini") else words
        if any(w in text for w in known):
            return team
    return None


def answer_text(prompt: str, model: str) -> str:
    """What the fake says for a whole prompt (every message's text joined)."""
    messages = [
        line[len("Message:") :].strip()
        for line in prompt.splitlines()
        if line.startswith("Message:")
    ]
    team = route(messages[-1], model) if messages else None
    few_shot = "Team:" in prompt
    if few_shot:
        return team or "technical"
    if team is None:
        return "That sounds like one for billing."
    return f"The {team} team should handle this."


async def chat(request: ReceivedRequest, server: FakeServer) -> Reply:
    """POST /v1/chat/completions."""
    body: Any = request.json
    messages = body.get("messages", []) if isinstance(body, dict) else []
    prompt = "\n".join(_text_of(m.get("content")) for m in messages)
    model = str(body.get("model", ""))
    text = answer_text(prompt, model)
    a = {
        "text": text,
        "prompt_tokens": len(prompt.split()),
        "completion_tokens": len(text.split()),
        "cached": 0,
        "reasoning": 0,
    }
    return chat_reply(server, model, text, a, "fp_fake_router")
