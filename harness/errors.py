"""The whole error tree of harness.

Everything the harness raises on purpose is a ``HarnessError``; nothing above a
driver ever sees an ``httpx`` exception, and nothing a user types ever ends in a
bare traceback::

    HarnessError
    ├── SpecError                 a spec, cases file or harness.yaml is wrong (every problem)
    ├── ConfigError               the project config or command-line options are wrong
    ├── PartError                 an image, file or audio part of a message cannot be read
    ├── PluginError               a driver plugin failed to load (names its package)
    ├── CassetteError             recording / replay problems
    │   ├── CassetteMissingError  no cassette for an item in replay-only mode
    │   └── CassetteStaleError    the request changed since it was recorded
    ├── BudgetExceededError       --max-cost reached: no new calls start
    ├── ToolLoopError             a tool loop cannot go on (a tool without a result, on_error: fail)
    ├── ExtraMissingError         an optional extra is not installed (prints the pip line)
    └── ProviderError             a model call failed; says provider, model and what to do
        ├── AuthenticationError   bad or missing key (never retried)
        ├── MissingAPIKeyError    the key's environment variable is not set (before any request)
        ├── BadRequestError       the server rejected the request (never retried)
        │   ├── ContextLengthError        prompt + output exceed the model's window
        │   └── UnsupportedFeatureError   e.g. a server that rejects a structured-output mode
        ├── ContentFilterError    the provider refused on policy grounds
        ├── RateLimitError        429; carries retry_after and the parsed rate_limits
        ├── ServerError           5xx and 529 overloaded (retried)
        ├── TimeoutError_         connect, read or total timeout (retried)
        ├── ConnectionError_      refused or dropped connection (retried)
        └── ResponseParseError    the body could not be understood (malformed JSON, cut stream)
"""

from __future__ import annotations

from dataclasses import dataclass


class HarnessError(Exception):
    """Base of every error harness raises on purpose."""


@dataclass(frozen=True, slots=True)
class SpecProblem:
    """One problem in a user file, printed as ``path:line:col: where: message``."""

    path: str
    line: int
    col: int
    message: str
    where: str = ""

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{self.path}:{self.line}:{self.col}: {where}{self.message}"


class SpecError(HarnessError):
    """A spec (or its cases file) is invalid; holds every problem found in one pass."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ConfigError(HarnessError):
    """The project config (harness.yaml) or a command-line option is invalid."""


class PartError(HarnessError):
    """A message part (image, file, audio) could not be read: missing, outside the project,
    too large, or a malformed data URI."""


class PluginError(HarnessError):
    """A driver plugin from the ``harness.drivers`` entry-point group failed to load."""


class ExtraMissingError(HarnessError):
    """An optional dependency is missing; the message holds the exact install command."""


class BudgetExceededError(HarnessError):
    """The run's cost budget is spent; no new model calls start."""


class ToolLoopError(HarnessError):
    """A tool loop cannot go on: the model called a tool the spec gives no result for, or a
    tool with ``on_error: fail`` failed; the message names the tool and what to do."""


class CassetteError(HarnessError):
    """Recording or replaying a cassette failed."""


class CassetteMissingError(CassetteError):
    """Replay-only mode and no cassette exists for the item."""


class CassetteStaleError(CassetteError):
    """The recorded request no longer matches what the item sends."""


class ProviderError(HarnessError):
    """A model call failed. Subclasses say why; ``retryable`` says whether to try again."""

    retryable: bool = False
    kind: str = "provider_error"
    retries: int = 0
    """Retries made before this error was given up on (set by the retry loop)."""
    rate_limits: object = None
    """The provider's limits as the failed answer reported them (a
    ``harness.drivers.ratelimits.RateLimits``), set by the driver when it said any."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        model: str = "",
        status_code: int | None = None,
        retry_after: float | None = None,
        body: str | None = None,
    ) -> None:
        self.provider = provider
        self.model = model
        self.status_code = status_code
        self.retry_after = retry_after
        self.body = body
        prefix = f"{provider}:{model}: " if provider or model else ""
        super().__init__(f"{prefix}{message}")


class AuthenticationError(ProviderError):
    """The provider rejected the credentials (401/403). Check the API key variable."""

    kind = "auth"


class MissingAPIKeyError(AuthenticationError):
    """The environment variable that holds the provider's key is not set."""

    kind = "missing_key"


class BadRequestError(ProviderError):
    """The provider rejected the request as malformed (400/404/422)."""

    kind = "bad_request"


class ContextLengthError(BadRequestError):
    """The prompt and requested output do not fit the model's context window."""

    kind = "context_length"


class UnsupportedFeatureError(BadRequestError):
    """The server does not support a requested feature (e.g. a structured-output mode)."""

    kind = "unsupported"


class ContentFilterError(ProviderError):
    """The provider blocked the prompt or the output on policy grounds."""

    kind = "content_filter"


class RateLimitError(ProviderError):
    """HTTP 429; ``retry_after`` holds the server's hint in seconds when it gave one.

    The runner retries these for as long as the provider's ``rate_limit_patience``
    allows, not ``max_retries`` times.
    """

    retryable = True
    kind = "rate_limit"


class ServerError(ProviderError):
    """HTTP 5xx or Anthropic's 529 overloaded."""

    retryable = True
    kind = "server"


class TimeoutError_(ProviderError):
    """The connect, read or total timeout passed."""

    retryable = True
    kind = "timeout"


class ConnectionError_(ProviderError):
    """The connection was refused, reset or dropped."""

    retryable = True
    kind = "connection"


class ResponseParseError(ProviderError):
    """The provider's answer could not be parsed (malformed JSON, truncated stream)."""

    retryable = True
    kind = "parse"
