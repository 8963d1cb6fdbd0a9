"""The batch-API seam: how a wire format sends many calls as one batch, at half the price.

A driver offers a batch API by naming a :class:`BatchAPI` subclass in its ``batch_api``
class attribute (``"module:Class"``, imported only when a run uses batches), exactly as
a third-party driver would::

    class MyDriver(HTTPDriver):
        batch_api = "my_package.batch:MyBatch"

A :class:`BatchAPI` knows four things about its provider's batch endpoints: how to
submit lines (:meth:`~BatchAPI.submit`), how to read a batch's state
(:meth:`~BatchAPI.poll`), how to fetch the answers (:meth:`~BatchAPI.results`), and
whether a provider of its wire type has the endpoints at all (:meth:`~BatchAPI.available`).
Each line is the very call a live request would make (:class:`BatchLine`), and each
answer (:class:`BatchAnswer`) is the body a live call would have received, so the
driver's own ``parse_body`` reads it. Nothing here knows about items or the store.
"""

from __future__ import annotations

import abc
import asyncio
import importlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from harness.drivers.http import error_from_status, translate_errors
from harness.drivers.retry import with_retries
from harness.errors import PluginError

if TYPE_CHECKING:
    from harness.drivers.base import Driver, ProviderSettings
    from harness.drivers.http_driver import HTTPCall, HTTPDriver

__all__ = [
    "BatchAPI",
    "BatchAnswer",
    "BatchHTTP",
    "BatchJob",
    "BatchLine",
    "BatchState",
    "batch_api_of",
]


@dataclass(frozen=True, slots=True)
class BatchLine:
    """One request of a batch: the live call (path, body, headers) and its batch-unique id."""

    custom_id: str
    call: HTTPCall
    url_path: str
    """The live call's full URL path (``/v1/chat/completions``): OpenAI lines name it."""


@dataclass(frozen=True, slots=True)
class BatchJob:
    """What must be remembered to find a batch again: its id (and an uploaded input file),
    and the run's own name for it (``tag``), which the batch carries where the API lets it."""

    batch_id: str | None = None
    input_file_id: str | None = None
    tag: str = ""


@dataclass(frozen=True, slots=True)
class BatchState:
    """A batch as the last poll saw it.

    Attributes:
        done: processing ended (completed, failed, expired or cancelled).
        state: the provider's own word for it (``in_progress``, ``ended``, ...).
        finished: requests that ended so far; ``failed`` of them without an answer.
        total: requests in the batch, when the provider says.
        info: the provider's batch object (kept for downloading the results).
    """

    done: bool
    state: str
    finished: int = 0
    failed: int = 0
    total: int | None = None
    info: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class BatchAnswer:
    """One line's outcome: the HTTP status and body a live call would have got, or why
    there is none (``status`` None: the request expired, was cancelled or never ran)."""

    custom_id: str
    status: int | None
    body: bytes = b""
    reason: str = ""

    @property
    def succeeded(self) -> bool:
        """A 2xx answer the driver can parse."""
        return self.status is not None and 200 <= self.status < 300


class BatchHTTP:
    """The batch endpoints' HTTP calls, on the driver's own pooled connection and key.

    Every call is retried on transient errors (``max_retries``) and translated to
    :mod:`harness.errors` types like a model call.
    """

    def __init__(self, driver: HTTPDriver, *, max_retries: int = 4) -> None:
        self.driver = driver
        self.max_retries = max_retries

    async def send(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One call (a ``path`` with ``://`` is a whole URL); the body is read.

        Raises:
            ProviderError: the server refused (typed as for a model call).
        """

        async def once() -> httpx.Response:
            return await self._once(method, path, json_body, files, data, headers, params)

        response, _ = await with_retries(
            once, max_retries=self.max_retries, base_delay=self.driver.retry_base_delay
        )
        return response

    async def send_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`send` and the answer's JSON."""
        return json.loads((await self.send(method, path, **kwargs)).content)

    async def _once(
        self,
        method: str,
        path: str,
        json_body: Any,
        files: Mapping[str, tuple[str, bytes, str]] | None,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
    ) -> httpx.Response:
        connection = self.driver.connection
        merged = connection.headers.copy()
        merged.update(headers or {})
        content: bytes | None = None
        if files is not None:
            del merged["content-type"]  # httpx writes the multipart boundary
        elif json_body is not None:
            content = json.dumps(json_body, ensure_ascii=False, separators=(",", ":")).encode()
        else:
            del merged["content-type"]
        request = httpx.Request(
            method,
            connection.url(path, params),
            headers=merged,
            content=content,
            files=files,
            data=data,
            extensions=connection.extensions,
        )
        request.read()
        settings = self.driver.settings
        with translate_errors(settings.name, "batch"):
            async with asyncio.timeout(settings.timeouts.total):
                response = await connection.transport.handle_async_request(request)
                response.request = request
                try:
                    await response.aread()
                finally:
                    await response.aclose()
        if response.status_code >= 400:
            body = response.text
            raise error_from_status(
                response.status_code,
                body,
                response.headers,
                provider=settings.name,
                model="batch",
                message=self.driver.error_message(body),
            )
        return response


class BatchAPI(abc.ABC):
    """A provider's batch endpoints; subclass it for a wire format (see the module docstring).

    Args:
        driver: the provider's driver (its connection, key and settings are used).
        max_retries: retries of transient errors on the batch endpoints.
    """

    max_requests: ClassVar[int] = 10_000
    """Most requests in one batch (the runner splits bigger groups)."""
    max_bytes: ClassVar[int] = 100_000_000
    """Most bytes of request bodies in one batch."""
    one_model: ClassVar[bool] = True
    """Whether a batch may hold requests for one model only."""

    def __init__(self, driver: HTTPDriver, *, max_retries: int = 4) -> None:
        self.driver = driver
        self.http = BatchHTTP(driver, max_retries=max_retries)

    @classmethod
    def available(cls, settings: ProviderSettings) -> bool:
        """Whether this provider has the endpoints (a compatible server may not)."""
        return True

    @abc.abstractmethod
    async def submit(
        self,
        model: str,
        lines: Sequence[BatchLine],
        job: BatchJob,
        remember: Callable[[BatchJob], None],
    ) -> BatchJob:
        """Create the batch (continuing ``job``: an input file uploaded before a crash is
        reused); call ``remember`` with each id as soon as the provider gives it."""

    async def find(self, tag: str) -> BatchJob | None:
        """The batch submitted with ``tag`` if the provider can say (None: it cannot, or
        there is none): a run killed between the provider taking a batch and the store
        recording its id finds it here instead of sending it again."""
        return None

    @abc.abstractmethod
    async def poll(self, job: BatchJob) -> BatchState:
        """The batch's state now."""

    @abc.abstractmethod
    async def results(self, job: BatchJob, state: BatchState) -> list[BatchAnswer]:
        """Every answer of an ended batch (lines without one may be left out)."""


def offers_batch(settings: ProviderSettings) -> bool:
    """Whether a provider's driver declares a batch API that this provider has."""
    from harness.drivers.registry import driver_class

    try:
        declared = batch_api_of(driver_class(settings.type))
    except PluginError:
        return False
    return declared is not None and declared.available(settings)


def batch_api_of(driver: Driver | type[Driver]) -> type[BatchAPI] | None:
    """The batch API a driver (or driver class) declares in ``batch_api``, or None.

    Raises:
        PluginError: the declared class cannot be imported or is not a BatchAPI.
    """
    cls = driver if isinstance(driver, type) else type(driver)
    declared: object = getattr(cls, "batch_api", None)
    if declared is None:
        return None
    if isinstance(declared, str):
        module, _, attr = declared.partition(":")
        try:
            declared = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise PluginError(
                f"{cls.__name__}.batch_api {declared!r} cannot be loaded: {exc}"
            ) from exc
    if not (isinstance(declared, type) and issubclass(declared, BatchAPI)):
        raise PluginError(f"{cls.__name__}.batch_api is not a harness BatchAPI")
    return declared


def jsonl(rows: Sequence[Any]) -> bytes:
    """Rows as JSON lines, encoded as the live calls encode their bodies."""
    lines = (
        json.dumps(r, ensure_ascii=False, separators=(",", ":"), allow_nan=False) for r in rows
    )
    return ("\n".join(lines) + "\n").encode()


def read_jsonl(data: bytes) -> list[Any]:
    """The JSON values of a JSONL download (blank lines skipped)."""
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def body_bytes(value: Any) -> bytes:
    """A JSON answer body as the live call's bytes."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
