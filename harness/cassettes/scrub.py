"""Keep secrets and volatile values off disk: what a cassette stores of a request and response.

Request and response headers are kept by allow-list (everything else, credentials,
cookies, organization ids, dates, rate-limit counters, is dropped), credential query
parameters are replaced, and every known secret value is replaced wherever it
appears: in the URL, the bodies and the kept headers. Known secret values are the
credentials the request itself carried plus the values of the environment variables
that hold provider keys.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from harness.cassettes.blobs import externalize

REDACTED = "REDACTED"

KEEP_REQUEST_HEADERS = frozenset(
    {"accept", "content-type", "anthropic-version", "anthropic-beta", "openai-beta"}
)
"""Request headers a cassette keeps; the rest (credentials, user agents) never reach disk."""

KEEP_RESPONSE_HEADERS = frozenset(
    {"content-type", "retry-after", "retry-after-ms", "x-request-id", "request-id"}
)
"""Response headers a cassette keeps: what drivers read. Dates, cookies, organization
ids, rate-limit counters and server timings are dropped (secret or volatile)."""

CREDENTIAL_HEADERS = re.compile(
    r"authorization|api[-_]?key|cookie|token|secret|session|organization|project|signature",
    re.IGNORECASE,
)
CREDENTIAL_QUERY = frozenset(
    {
        "key",
        "api_key",
        "apikey",
        "api-key",
        "access_token",
        "token",
        "auth",
        "sig",
        "signature",
        "client_secret",
        "password",
        "code",
    }
)
SECRET_ENV = re.compile(r"(_KEY|APIKEY|_TOKEN|_SECRET|_PASSWORD)$", re.IGNORECASE)
"""Environment variables whose values are treated as secrets (``OPENAI_API_KEY``, ...)."""
MIN_SECRET_LEN = 8  # shorter values would blank out ordinary words in bodies
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def env_secrets(names: Iterable[str] = (), environ: Mapping[str, str] | None = None) -> set[str]:
    """Values of the named variables plus every variable that looks like a key."""
    environ = os.environ if environ is None else environ
    wanted = set(names)
    return {
        value
        for name, value in environ.items()
        if (name in wanted or SECRET_ENV.search(name)) and len(value) >= MIN_SECRET_LEN
    }


@dataclass(frozen=True, slots=True)
class Scrubbed:
    """A request as a cassette stores and matches it, plus the secrets it carried."""

    method: str
    uri: str
    body: bytes
    headers: dict[str, str]
    secrets: frozenset[str] = field(default_factory=frozenset)


@dataclass(slots=True)
class Scrubber:
    """Replaces secrets in requests and responses before they are matched or stored."""

    secrets: set[str] = field(default_factory=set)

    def request(self, request: httpx.Request, body: bytes) -> Scrubbed:
        """The stored form of a request: allow-listed headers, no credentials anywhere.

        A JSON body is re-written canonically (sorted keys), so matching ignores key order.
        """
        carried = set(self.secrets)
        for name, value in request.headers.items():
            if CREDENTIAL_HEADERS.search(name):
                carried.update(_credential_values(value))
        url = urlsplit(str(request.url))
        query = []
        for key, value in parse_qsl(url.query, keep_blank_values=True):
            if key.lower() in CREDENTIAL_QUERY:
                carried.update(_credential_values(value))
                value = REDACTED
            query.append((key, value))
        netloc = url.netloc
        if url.hostname in _LOOPBACK:
            # managed local servers get a new port every run; the port would churn the file
            netloc = "localhost"
        secrets = frozenset(s for s in carried if len(s) >= MIN_SECRET_LEN)
        uri = urlunsplit((url.scheme, netloc, url.path, urlencode(query), ""))
        headers = {
            k.lower(): _replace_text(v, secrets)
            for k, v in request.headers.items()
            if k.lower() in KEEP_REQUEST_HEADERS
        }
        return Scrubbed(
            method=request.method,
            uri=_replace_text(uri, secrets),
            body=canonical_body(replace_bytes(body, secrets)),
            headers=dict(sorted(headers.items())),
            secrets=secrets,
        )

    def response_headers(
        self, headers: httpx.Headers, secrets: frozenset[str]
    ) -> dict[str, list[str]]:
        """Allow-listed response headers as vcrpy stores them (name -> list of values)."""
        kept: dict[str, list[str]] = {}
        for name, value in headers.multi_items():
            name = name.lower()
            if name in KEEP_RESPONSE_HEADERS:
                kept.setdefault(name, []).append(_replace_text(value, secrets))
        return dict(sorted(kept.items()))


def _credential_values(value: str) -> set[str]:
    values = {value.strip()}
    scheme, _, rest = value.strip().partition(" ")
    if rest and scheme.lower() in ("bearer", "basic", "token"):
        values.add(rest.strip())
    for part in value.split(";"):  # cookies: name=value; name2=value2
        _, eq, cookie = part.strip().partition("=")
        if eq:
            values.add(cookie.strip())
    return {v for v in values if v}


def _replace_text(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def replace_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    """``data`` with every secret value replaced by ``REDACTED``."""
    for secret in secrets:
        raw = secret.encode()
        if raw in data:
            data = data.replace(raw, REDACTED.encode())
    return data


def canonical_body(body: bytes) -> bytes:
    """JSON bodies as compact JSON with sorted keys (what matching compares); others unchanged."""
    parsed = parse_json(body)
    if parsed is None:
        return body
    # no indent: the C encoder does this; pretty_body indents only when a cassette is saved
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def pretty_body(body: bytes | str | None, blobs: Path | None = None) -> bytes | str | None:
    """JSON bodies as sorted, indented JSON, as cassettes store them for readable diffs;
    with ``blobs``, large base64 values are stored there and referenced by hash."""
    parsed = parse_json(body)
    if parsed is None:
        return body
    if blobs is not None:
        parsed = externalize(parsed, blobs)
    return json.dumps(parsed, sort_keys=True, indent=2, ensure_ascii=False).encode()


def parse_json(body: bytes | str | None) -> Any:
    """The JSON value of a body, or None when it is empty or not JSON."""
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None
