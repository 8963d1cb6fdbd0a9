"""The project config, ``harness.yaml``: providers, model settings and run defaults.

Found upward from the working directory, or given with ``--config``. Keys only ever
come from the environment: the file names the variable (``api_key_env``), never the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from harness.drivers.base import ModelPrice, ProviderSettings, Timeouts
from harness.drivers.ratelimits import parse_duration
from harness.errors import SpecError, SpecProblem
from harness.limits import Limits, LimitsFile, configure
from harness.spec.models import AssertionFile, ParamsFile
from harness.spec.problems import validate_file_model
from harness.spec.yaml_loader import load_yaml

CONFIG_NAME = "harness.yaml"
BUILTIN_TYPES = ("openai", "anthropic", "gemini", "ollama", "llamacpp")


def _driver_type(value: str) -> str:
    """A wire type is valid when a driver is registered for it: a built-in, or any
    package's entry in the ``harness.drivers`` group (looked up only for other names)."""
    if value in BUILTIN_TYPES:
        return value
    from harness.drivers.registry import plugin_types

    plugins = plugin_types()
    if value in plugins:
        return value
    names = [*BUILTIN_TYPES, *sorted(set(plugins) - set(BUILTIN_TYPES))]
    choices = ", ".join(repr(n) for n in names[:-1]) + f" or {names[-1]!r}"
    raise ValueError(
        f"input should be {choices} (got {value!r}); a third-party driver must be installed "
        "and registered in the 'harness.drivers' entry-point group"
    )


ProviderType = Annotated[str, AfterValidator(_driver_type)]
"""A provider's wire type: a built-in driver or a ``harness.drivers`` plugin."""
DEFAULT_PATIENCE = 600.0
"""Seconds a provider may answer nothing but rate limits before its items give up."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TimeoutFile(_Strict):
    """Timeouts in seconds."""

    connect: float = Field(default=10.0, gt=0)
    read: float = Field(default=120.0, gt=0)
    total: float = Field(default=600.0, gt=0)


class ProviderFile(_Strict):
    """A provider entry: usable as ``<name>:<model>`` in specs."""

    type: ProviderType
    base_url: str | None = None
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    headers: dict[str, str] = Field(default_factory=dict)
    concurrency: Annotated[int, Field(ge=1)] | Literal["auto"] | None = None
    requests_per_minute: float | None = Field(default=None, gt=0)
    tokens_per_minute: float | None = Field(default=None, gt=0)
    timeout: TimeoutFile | float | None = None
    max_retries: int = Field(default=4, ge=0, le=20)
    api_version: str | None = None
    model_path: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    rate_limit_patience: float | str | None = None
    batch: bool = False  # send this provider's calls through its batch API (half the price)

    @field_validator("rate_limit_patience")
    @classmethod
    def _patience(cls, value: float | str | None) -> float | None:
        return None if value is None else patience_seconds(value)


def patience_seconds(value: float | str) -> float:
    """Seconds in a patience: a number of seconds, or ``90s``, ``10m``, ``1h``, ``1h30m``.

    Raises:
        ValueError: not a duration, or not positive (the message says what is accepted).
    """
    seconds = parse_duration(str(value)) if not isinstance(value, int | float) else value
    if seconds is None or seconds <= 0:
        raise ValueError(
            f"{value!r} is not a duration: give seconds (600) or a number with a unit "
            "(90s, 10m, 1h)"
        )
    return float(seconds)


class PriceFile(_Strict):
    """USD per million tokens."""

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)
    cached_input_per_mtok: float | None = Field(default=None, ge=0)
    batch_input_per_mtok: float | None = Field(default=None, ge=0)
    batch_output_per_mtok: float | None = Field(default=None, ge=0)


class ModelFile(_Strict):
    """Settings for one ``provider:model``."""

    price: PriceFile | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    # `--executor ray`: this model's items run on workers holding these Ray resources
    # (CPU, GPU or a custom one); each such worker serves the model once and reuses it
    resources: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)


class DefaultsFile(_Strict):
    """Run defaults; command-line flags override them. ``params``, ``expect``,
    ``transform`` and ``tags`` are inherited by every spec (see harness.spec.defaults)."""

    models: list[str] = Field(default_factory=list)
    params: ParamsFile = Field(default_factory=ParamsFile)
    expect: list[AssertionFile] = Field(default_factory=list)
    transform: Any = None
    tags: list[str] = Field(default_factory=list)
    concurrency: int = Field(default=16, ge=1)
    record_mode: Literal["none", "once", "new_episodes", "all", "off"] | None = None
    judge: str | None = None
    # semantic-similar's embedder when the spec names none (default: the local one)
    embedder: str | None = None
    store: str | None = None
    reports: str | None = None
    cassettes: str | None = None
    specs: str | None = None


class OtelFile(_Strict):
    """OpenTelemetry tracing of every run (needs the ``otel`` extra); ``otel: true`` is
    the defaults. Where spans go is set by the standard ``OTEL_*`` variables."""

    enabled: bool = True
    capture_content: bool = False
    service_name: str | None = None


class ConfigFile(_Strict):
    """The whole ``harness.yaml``."""

    providers: dict[str, ProviderFile] = Field(default_factory=dict)
    models: dict[str, ModelFile] = Field(default_factory=dict)
    defaults: DefaultsFile = Field(default_factory=DefaultsFile)
    limits: LimitsFile = Field(default_factory=LimitsFile)
    otel: OtelFile | bool | None = None


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    """The loaded project config with paths resolved against its folder."""

    root: Path
    path: Path | None
    providers: dict[str, ProviderSettings] = field(default_factory=dict)
    prices: dict[str, ModelPrice] = field(default_factory=dict)
    model_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    defaults: DefaultsFile = field(default_factory=DefaultsFile)
    limits: Limits = field(default_factory=Limits)
    otel: OtelFile | None = None
    defaults_origins: dict[str, str] = field(default_factory=dict)
    model_resources: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per ``provider:model``, the Ray resources its workers need (``--executor ray``)."""

    @property
    def store_path(self) -> Path:
        """The SQLite results store (default ``reports/harness.db``)."""
        return self.root / (self.defaults.store or "reports/harness.db")

    @property
    def reports_dir(self) -> Path:
        """Where run folders go (default ``reports/``)."""
        return self.root / (self.defaults.reports or "reports")

    @property
    def cassettes_dir(self) -> Path:
        """Where cassettes go (default ``cassettes/``)."""
        return self.root / (self.defaults.cassettes or "cassettes")


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``harness.yaml`` in ``start`` or a parent folder."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | None = None, *, start: Path | None = None) -> ProjectConfig:
    """Load ``harness.yaml`` (given, or found upward); no file gives the defaults.

    Raises:
        SpecError: the file is invalid; every problem names its line and key.
    """
    path = path or find_config(start)
    configure(Limits())  # harness.yaml itself is read with the default limits
    if path is None:
        return ProjectConfig(root=(start or Path.cwd()).resolve(), path=None)
    shown = _shown(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([SpecProblem(shown, 1, 1, f"cannot read config: {exc}")]) from None
    loaded = load_yaml(text)
    problems = [SpecProblem(shown, p.line, p.col, m) for p, m in loaded.problems]
    if loaded.data is None and not problems:
        loaded.data = {}
    if problems:
        raise SpecError(problems)
    if not isinstance(loaded.data, dict):
        raise SpecError([SpecProblem(shown, 1, 1, "harness.yaml must be a mapping of keys")])
    parsed, problems = validate_file_model(ConfigFile, loaded, shown)
    from harness.spec.defaults import defaults_origins, defaults_problems

    problems += defaults_problems(loaded, shown, path.parent)
    if parsed is None or problems:
        raise SpecError(problems)
    config = _build(parsed, path)
    configure(config.limits)
    origins = defaults_origins(loaded, shown)
    return replace(config, defaults_origins=origins) if origins else config


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _build(parsed: ConfigFile, path: Path) -> ProjectConfig:
    providers: dict[str, ProviderSettings] = {}
    for name, p in parsed.providers.items():
        if isinstance(p.timeout, TimeoutFile):
            timeouts = Timeouts(p.timeout.connect, p.timeout.read, p.timeout.total)
        elif isinstance(p.timeout, float | int):
            timeouts = Timeouts(read=float(p.timeout), total=max(float(p.timeout), 600.0))
        else:
            timeouts = Timeouts()
        options = dict(p.options)
        if p.model_path:
            options["model_path"] = p.model_path
        providers[name] = ProviderSettings(
            name=name,
            type=p.type,
            base_url=p.base_url,
            api_key_env=p.api_key_env,
            headers=dict(p.headers),
            concurrency=p.concurrency,
            requests_per_minute=p.requests_per_minute,
            tokens_per_minute=p.tokens_per_minute,
            timeouts=timeouts,
            max_retries=p.max_retries,
            api_version=p.api_version,
            options=options,
            rate_limit_patience=float(p.rate_limit_patience or DEFAULT_PATIENCE),
            batch=p.batch,
        )
    prices = {
        model_id: ModelPrice(
            m.price.input_per_mtok,
            m.price.output_per_mtok,
            m.price.cached_input_per_mtok,
            m.price.batch_input_per_mtok,
            m.price.batch_output_per_mtok,
        )
        for model_id, m in parsed.models.items()
        if m.price is not None
    }
    params = {model_id: dict(m.params) for model_id, m in parsed.models.items() if m.params}
    resources = {m_id: dict(m.resources) for m_id, m in parsed.models.items() if m.resources}
    return ProjectConfig(
        root=path.resolve().parent,
        path=path,
        providers=providers,
        prices=prices,
        model_params=params,
        defaults=parsed.defaults,
        limits=parsed.limits.to_limits(),
        otel=OtelFile(enabled=parsed.otel) if isinstance(parsed.otel, bool) else parsed.otel,
        model_resources=resources,
    )
