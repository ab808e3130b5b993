"""Typed settings: defaults in `config/*.toml`, overridden by `AWARENESS_*` environment variables
(`__` for nesting). Read once at start-up and passed down; nothing reads the environment later."""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from awareness.paths import resource_dir
from awareness.scoring.clocks import RegimesConfig
from awareness.scoring.config import ScoringConfig, SectorsConfig
from awareness.scoring.vendors import VendorsConfig
from awareness.warninglists import DEFAULT_LISTS, available

ENV_PREFIX = "AWARENESS_"
# Each file feeds one part of the settings: defaults.toml the top level, the others one section.
CONFIG_FILES: dict[str, str | None] = {
    "defaults.toml": None,
    "scoring.toml": "scoring",
    "regimes.toml": "regimes",
    "vendors.toml": "vendors",
}
# The sectors, their dependencies and names come from one profile, `profiles/<name>.toml`.
PROFILES = "profiles"
DEFAULT_PROFILE = "us-ppd21"


class SettingsError(Exception):
    """Settings that cannot be used; the message names every offending setting."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseOptions(_Section):
    pool_size: int = Field(40, ge=1, le=500)
    max_overflow: int = Field(10, ge=0, le=500)
    pool_timeout_seconds: float = Field(10.0, gt=0)
    connect_timeout_seconds: float = Field(5.0, gt=0)
    sqlite_busy_timeout_ms: int = Field(30_000, ge=0)


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    shutdown_timeout_seconds: float = Field(10.0, ge=0)
    # Limits on the wire, before a request reaches the app (see config/defaults.toml).
    max_header_bytes: int = Field(32_768, ge=1024)
    max_headers: int = Field(100, ge=10)
    header_timeout_seconds: float = Field(10.0, gt=0)
    keep_alive_seconds: float = Field(5.0, gt=0)
    max_connections: int = Field(10_000, ge=1)


class LimitSettings(_Section):
    max_body_bytes: int = Field(1_048_576, ge=1024)
    max_batch_body_bytes: int = Field(33_554_432, ge=1024)
    max_batch_items: int = Field(1000, ge=1, le=1000)
    max_indicators_per_incident: int = Field(500, ge=1)
    max_indicators_per_batch: int = Field(2000, ge=1)
    max_affected_assets_per_incident: int = Field(1000, ge=1)
    requests_per_second: float = Field(200.0, ge=0)
    burst: int = Field(400, ge=1)


class IngestSettings(_Section):
    max_future_seconds: int = Field(300, ge=0)
    idempotency_retention_hours: float = Field(48.0, ge=24)
    known_benign_lists: tuple[str, ...] = DEFAULT_LISTS

    @field_validator("known_benign_lists")
    @classmethod
    def _known_lists(cls, slugs: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(slugs) - set(available()))
        if unknown:
            raise ValueError(
                f"unknown warninglists {unknown}; `python -m awareness.warninglists` lists them"
            )
        return slugs


class AuthSettings(_Section):
    cache_seconds: float = Field(5.0, ge=0)
    failures_per_second: float = Field(1.0, ge=0)
    failures_burst: int = Field(30, ge=1)


class MetricsSettings(_Section):
    public: bool = False
    token: SecretStr | None = None


class CorrelatorSettings(_Section):
    enabled: bool = True
    batch_size: int = Field(2000, ge=1, le=10_000)
    batch_seconds: float = Field(0.5, gt=0, le=10)
    ledger_rows: int = Field(50_000, ge=0)
    poll_seconds: float = Field(1.0, gt=0)
    tick_grace_seconds: float = Field(60.0, ge=0)
    retry_seconds: float = Field(2.0, gt=0)


class FeedSettings(_Section):
    # Messages waiting for one client; a client that falls this far behind is disconnected
    # (it resumes with `after=`) rather than slowing anyone else.
    client_queue: int = Field(1000, ge=1)
    keepalive_seconds: float = Field(15.0, gt=0)
    replay_page: int = Field(500, ge=1, le=10_000)
    poll_seconds: float = Field(2.0, gt=0)
    ticket_seconds: float = Field(30.0, gt=0, le=600)
    retention_days: float = Field(30.0, gt=0)
    compression: bool = False
    max_sockets_per_key: int = Field(20, ge=1)
    revocation_check_seconds: float = Field(2.0, gt=0, le=5)


class SmtpSettings(_Section):
    host: str = "localhost"
    port: int = Field(587, ge=1, le=65535)
    # starttls: plain connection upgraded with STARTTLS (port 587); tls: SMTPS from the first
    # byte (port 465); none: only for a relay on the same host or a test server.
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "awareness@localhost"


class DeliverySettings(_Section):
    enabled: bool = True
    # Targets that resolve to loopback, private, link-local or reserved addresses are refused,
    # so a subscription cannot make the service probe its own network.
    allow_private_targets: bool = False
    timeout_seconds: float = Field(15.0, gt=0, le=60)
    # Waits before each retry of an event, in seconds; after the last, that wait repeats.
    retry_schedule: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
    # Each wait is drawn in [wait * (1 - jitter), wait * (1 + jitter)].
    retry_jitter: float = Field(0.1, ge=0, lt=1)
    # A subscription that has failed for this long without one success is disabled.
    disable_after_hours: float = Field(120.0, gt=0)
    # Deliveries made at once, across subscriptions; one subscription sends one at a time.
    concurrency: int = Field(32, ge=1, le=1000)
    poll_seconds: float = Field(1.0, gt=0)
    retry_seconds: float = Field(2.0, gt=0)
    # Attempts older than this are removed from the delivery history.
    history_days: float = Field(30.0, gt=0)
    # The key that encrypts webhook secrets and PagerDuty routing keys at rest (a Fernet key:
    # `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`).
    # Unset: a key file is created on first use at `secrets_key_file`.
    secrets_key: SecretStr | None = None
    secrets_key_file: str = "awareness-secrets.key"
    # Where links in deliveries point: the board as responders reach it.
    public_url: str = "http://127.0.0.1:8000"
    pagerduty_url: str = "https://events.pagerduty.com/v2/enqueue"
    smtp: SmtpSettings = SmtpSettings()
    # Escalation: a warning at or above this level that nobody acknowledges within its level's
    # time goes to the next tier's subscriptions, and again after as long, up to the last tier.
    escalation_level: Literal["blue", "yellow", "orange", "red"] = "orange"
    escalate_after_minutes: dict[str, float] = Field(
        default_factory=lambda: {"orange": 15.0, "red": 5.0}
    )
    # A sector's level warnings raised within this many minutes of a later one that waits
    # behind them (a retry, a burst) are delivered as one: the latest.
    coalesce_minutes: float = Field(10.0, ge=0)
    # Warnings older than this are not escalated any more (a restart after a long outage does
    # not page every tier for last week's warnings).
    escalation_window_hours: float = Field(24.0, gt=0)

    @model_validator(mode="after")
    def _every_escalated_level_has_a_time(self) -> DeliverySettings:
        levels = ("blue", "yellow", "orange", "red")
        wanted = levels[levels.index(self.escalation_level) :]
        missing = [level for level in wanted if level not in self.escalate_after_minutes]
        if missing:
            raise ValueError(f"escalate_after_minutes needs a time for {missing}")
        if any(minutes <= 0 for minutes in self.escalate_after_minutes.values()):
            raise ValueError("escalate_after_minutes must be positive")
        return self

    @field_validator("retry_schedule")
    @classmethod
    def _some_waits(cls, waits: tuple[float, ...]) -> tuple[float, ...]:
        if not waits or any(wait < 0 for wait in waits):
            raise ValueError("give at least one wait, none negative")
        return waits


class CoverageSettings(_Section):
    # Who counts as covered in a sector's coverage (GET /v1/sectors/{sector}/coverage): an
    # asset report within inventory_days, any report (incident or asset) within report_days.
    inventory_days: int = Field(30, ge=1)
    report_days: int = Field(90, ge=1)


class VulnerabilitySettings(_Section):
    # The sector view counts KEV entries added within this many days.
    kev_recent_days: int = Field(30, ge=1)
    enabled: bool = True
    poll_seconds: float = Field(30.0, gt=0)
    retry_seconds: float = Field(5.0, gt=0)
    # Assets matched per transaction.
    batch: int = Field(500, ge=1, le=10_000)


class ReportingSettings(_Section):
    # Reminders of an unfiled reporting stage, in percent of its window (100: the deadline).
    reminders: tuple[int, ...] = (75, 100)
    # Incidents aware longer ago than this have no more reminders (nor overdue listings).
    horizon_days: float = Field(62.0, gt=0)
    enabled: bool = True
    poll_seconds: float = Field(30.0, gt=0)
    retry_seconds: float = Field(5.0, gt=0)

    @field_validator("reminders")
    @classmethod
    def _percents(cls, values: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 0 < value <= 100 for value in values):
            raise ValueError("each reminder is a percent of the window, 1 to 100")
        return tuple(sorted(set(values)))


class AuditSettings(_Section):
    # 0 keeps the audit trail forever.
    retention_days: float = Field(400.0, ge=0)
    refusal_window_seconds: float = Field(60.0, gt=0, le=86400)


class LogSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "text"] = "json"
    access: bool = True

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    database_url: str | None = None
    # The sector profile (config/profiles/<name>.toml): us-ppd21 or cn-cii.
    profile: str = DEFAULT_PROFILE
    database: DatabaseOptions = DatabaseOptions()
    server: ServerSettings = ServerSettings()
    limits: LimitSettings = LimitSettings()
    ingest: IngestSettings = IngestSettings()
    auth: AuthSettings = AuthSettings()
    correlator: CorrelatorSettings = CorrelatorSettings()
    feed: FeedSettings = FeedSettings()
    delivery: DeliverySettings = DeliverySettings()
    reporting: ReportingSettings = ReportingSettings()
    vulnerabilities: VulnerabilitySettings = VulnerabilitySettings()
    log: LogSettings = LogSettings()
    audit: AuditSettings = AuditSettings()
    coverage: CoverageSettings = CoverageSettings()
    metrics: MetricsSettings = MetricsSettings()
    scoring: ScoringConfig = ScoringConfig()
    sectors: SectorsConfig = SectorsConfig()
    regimes: RegimesConfig = RegimesConfig({})
    vendors: VendorsConfig = VendorsConfig({})

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        scheme = value.split("://", 1)[0]
        rewrites = {
            "sqlite": "sqlite+aiosqlite",
            "postgres": "postgresql+asyncpg",
            "postgresql": "postgresql+asyncpg",
        }
        scheme = rewrites.get(scheme, scheme)
        if scheme not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
            raise ValueError("use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB")
        return scheme + "://" + value.split("://", 1)[1]

    @property
    def effective_database_url(self) -> str:
        """Unset means an embedded SQLite file in the working directory."""
        return self.database_url or f"sqlite+aiosqlite:///{Path.cwd() / 'awareness.db'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFiles(settings_cls))


_config_dir: ContextVar[Path | None] = ContextVar("awareness_config_dir", default=None)
_profile: ContextVar[str | None] = ContextVar("awareness_profile", default=None)


class _TomlFiles(PydanticBaseSettingsSource):
    """Reads `config/*.toml` from the directory `load_settings` was given."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        directory = _config_dir.get()
        if directory is None:
            return {}
        merged: dict[str, Any] = {}
        for name, section in CONFIG_FILES.items():
            path = directory / name
            if not path.is_file():
                continue
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
            if section is None:
                merged.update(data)
            else:
                merged[section] = data
        sectors = _profile_file(directory, _profile.get() or DEFAULT_PROFILE)
        if sectors is not None:
            merged["sectors"] = sectors
        return merged


def profiles(directory: Path) -> list[str]:
    """The profiles a config folder offers."""
    return sorted(path.stem for path in (directory / PROFILES).glob("*.toml"))


def _profile_file(directory: Path, name: str) -> dict[str, Any] | None:
    """The profile's table; None for the default profile in a folder that has no file for it
    (its sectors are the code's defaults, the same)."""
    path = directory / PROFILES / f"{name}.toml"
    if not path.is_file():
        # A config folder of an earlier version: its one sectors.toml is the default profile.
        legacy = directory / "sectors.toml"
        if name == DEFAULT_PROFILE and legacy.is_file():
            path = legacy
        elif name == DEFAULT_PROFILE:
            return None
        else:
            offered = ", ".join(profiles(directory)) or "none"
            raise SettingsError(
                f"{ENV_PREFIX}PROFILE: no profile {name!r} in {directory / PROFILES} "
                f"(profiles there: {offered})"
            )
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
    return data


def load_settings(config_dir: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from the config directory and the environment, or explain what is wrong."""
    directory = config_dir or Path(
        os.environ.get(f"{ENV_PREFIX}CONFIG_DIR") or resource_dir("config")
    )
    if not directory.is_dir():
        raise SettingsError(f"{ENV_PREFIX}CONFIG_DIR: {directory} is not a directory")
    profile = overrides.get("profile") or os.environ.get(f"{ENV_PREFIX}PROFILE") or DEFAULT_PROFILE
    token = _config_dir.set(directory)
    chosen = _profile.set(profile)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_explain(exc, directory, profile)) from None
    finally:
        _profile.reset(chosen)
        _config_dir.reset(token)


def _explain(exc: ValidationError, directory: Path, profile: str) -> str:
    lines = ["invalid settings:"]
    files = CONFIG_FILES | {f"{PROFILES}/{profile}.toml": "sectors"}
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        env_name = ENV_PREFIX + "__".join(part.upper() for part in loc)
        file = next((f for f, s in files.items() if s and loc and loc[0] == s), None)
        where = f"{directory / (file or 'defaults.toml')}: {'.'.join(loc[1:] if file else loc)}"
        lines.append(f"  {env_name} ({where}): {error['msg']}")
    return "\n".join(lines)
