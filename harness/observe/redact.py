"""Keep secrets out of log lines and spans, by the cassette scrubber's rules.

The values of every environment variable that looks like a key (``*_KEY``, ``*_TOKEN``,
``*_SECRET``, ``*_PASSWORD``, see :data:`harness.cassettes.scrub.SECRET_ENV`) and of
the providers' ``api_key_env`` variables are replaced by ``REDACTED`` wherever they
appear; so are credentials in ``Authorization: Bearer ...`` text and credential query
parameters (``?key=...``) of URLs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from harness.cassettes.scrub import CREDENTIAL_QUERY, MIN_SECRET_LEN, REDACTED, env_secrets

_BEARER = re.compile(r"\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
_QUERY = re.compile(
    r"([?&](?:" + "|".join(re.escape(k) for k in sorted(CREDENTIAL_QUERY)) + r")=)[^&#\s\"']+",
    re.IGNORECASE,
)
_HEADER = re.compile(
    r"((?:x-api-key|api-key|x-goog-api-key|authorization)[\"']?\s*[:=]\s*[\"']?)"
    r"[^\s\"',}]{8,}",
    re.IGNORECASE,
)


class Redactor:
    """Replaces secret values and credential-shaped text in strings and nested values."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        found = {s for s in secrets if len(s) >= MIN_SECRET_LEN}
        # longest first: a secret that contains another is replaced whole
        self.secrets = sorted(found, key=len, reverse=True)

    @classmethod
    def from_env(
        cls, names: Iterable[str] = (), environ: Mapping[str, str] | None = None
    ) -> Redactor:
        """Every secret-looking environment variable's value, plus the named variables'."""
        return cls(env_secrets(names, environ))

    def text(self, text: str) -> str:
        """``text`` with every secret and credential replaced by ``REDACTED``."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        if "=" in text:
            text = _QUERY.sub(r"\1" + REDACTED, text)
        text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
        return _HEADER.sub(r"\1" + REDACTED, text)

    def value(self, value: Any) -> Any:
        """A JSON-like value with every string redacted (dicts and lists walked)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value
