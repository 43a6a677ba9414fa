"""Settings read from ``ASSEMBLY_*`` environment variables.

Every variable is documented on its field and in docs/operations.md. ``Settings.from_env`` validates
all of them at start-up and raises :class:`SettingsError` with a one-line message naming the first bad
variable, so the CLI can print it and exit without a traceback.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import urlsplit

__all__ = ("Settings", "SettingsError", "normalize_database_url")

LogFormat = Literal["json", "console"]

_SECRET_MIN_LENGTH = 32


class SettingsError(ValueError):
    """A setting has a bad value; the message is one line naming the variable."""


def normalize_database_url(raw: str, *, variable: str = "ASSEMBLY_DATABASE_URL") -> str:
    """Return ``raw`` as a SQLAlchemy asyncpg URL, or raise for anything that is not PostgreSQL.

    ``postgres://``, ``postgresql://`` and ``postgresql+asyncpg://`` are accepted. Any other scheme
    (SQLite above all) is refused: the product runs on PostgreSQL only.
    """
    value = raw.strip()
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        msg = f"{variable}: not a valid URL ({exc})"
        raise SettingsError(msg) from None
    scheme = parts.scheme.lower()
    if scheme not in {"postgres", "postgresql", "postgresql+asyncpg"}:
        shown = scheme or "none"
        msg = f"{variable}: must be a PostgreSQL URL (postgresql://user@host:port/db), got scheme '{shown}'"
        raise SettingsError(msg)
    if not parts.path.strip("/"):
        msg = f"{variable}: names no database (postgresql://user@host:port/DATABASE)"
        raise SettingsError(msg)
    try:
        _ = parts.port
    except ValueError:
        msg = f"{variable}: the port is not a number between 0 and 65535"
        raise SettingsError(msg) from None
    if not parts.hostname and "host=" not in parts.query:
        msg = f"{variable}: names no host (postgresql://user@HOST:port/db)"
        raise SettingsError(msg)
    return "postgresql+asyncpg://" + value.split("://", 1)[1]


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        msg = f"{name}: must be a whole number between {low} and {high}, got {raw!r}"
        raise SettingsError(msg) from None
    if not low <= value <= high:
        msg = f"{name}: must be between {low} and {high}, got {value}"
        raise SettingsError(msg)
    return value


def _bool(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    msg = f"{name}: must be true or false, got {raw!r}"
    raise SettingsError(msg)


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        msg = f"{name}: must be one of {', '.join(choices)}, got {raw!r}"
        raise SettingsError(msg)
    return value


def _origins(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = env.get(name, "")
    origins = tuple(item.strip() for item in raw.split(",") if item.strip())
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"}:
            msg = f"{name}: {origin!r} is not an origin like https://example.org"
            raise SettingsError(msg)
    return origins


def _networks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = env.get(name, "")
    items = tuple(item.strip() for item in raw.split(",") if item.strip())
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            msg = f"{name}: {item!r} is not an IP address or network (e.g. 10.0.0.0/8)"
            raise SettingsError(msg) from None
    return items


@dataclass(frozen=True, slots=True)
class Settings:
    """Validated configuration of one `assembly` process."""

    database_url: str | None = None
    """ASSEMBLY_DATABASE_URL: PostgreSQL server to use. Unset: ``assembly demo`` starts an embedded one."""

    host: str = "127.0.0.1"
    """ASSEMBLY_HOST: address ``assembly serve`` listens on."""

    port: int = 8000
    """ASSEMBLY_PORT: TCP port ``assembly serve`` listens on."""

    workers: int = 1
    """ASSEMBLY_WORKERS: number of server worker processes."""

    secret_key: str = field(default="", repr=False)
    """ASSEMBLY_SECRET_KEY: key that signs access tokens (at least 32 characters). Never logged."""

    jwt_issuer: str = "assembly"
    """ASSEMBLY_JWT_ISSUER: ``iss`` claim written into and required of access tokens."""

    jwt_audience: str = "assembly-api"
    """ASSEMBLY_JWT_AUDIENCE: ``aud`` claim written into and required of access tokens."""

    access_token_ttl_seconds: int = 900
    """ASSEMBLY_ACCESS_TOKEN_TTL: lifetime of an access token in seconds."""

    refresh_token_ttl_seconds: int = 14 * 24 * 3600
    """ASSEMBLY_REFRESH_TOKEN_TTL: lifetime of a refresh token in seconds."""

    cors_origins: tuple[str, ...] = ()
    """ASSEMBLY_CORS_ORIGINS: comma-separated browser origins allowed by CORS. Empty: CORS is off."""

    max_request_body_bytes: int = 1_048_576
    """ASSEMBLY_MAX_REQUEST_BODY: largest request body accepted, in bytes (larger gets 413)."""

    db_pool_size: int = 10
    """ASSEMBLY_DB_POOL_SIZE: database connections each worker keeps open."""

    db_max_overflow: int = 10
    """ASSEMBLY_DB_MAX_OVERFLOW: extra connections a worker may open under load."""

    db_connect_timeout_seconds: int = 5
    """ASSEMBLY_DB_CONNECT_TIMEOUT: seconds to wait for a database connection before answering 503."""

    log_level: str = "info"
    """ASSEMBLY_LOG_LEVEL: debug, info, warning or error."""

    log_format: LogFormat = "json"
    """ASSEMBLY_LOG_FORMAT: ``json`` (one JSON object a line) or ``console`` (for people)."""

    data_dir: str | None = None
    """ASSEMBLY_DATA_DIR: where the embedded PostgreSQL and demo files live (see docs/operations.md)."""

    hsts: bool = False
    """ASSEMBLY_HSTS: send Strict-Transport-Security; turn on only behind HTTPS."""

    trusted_proxies: tuple[str, ...] = ()
    """ASSEMBLY_TRUSTED_PROXIES: addresses or networks of reverse proxies whose X-Forwarded-For is believed."""

    log_origin: str = "assembly.local/audit"
    """ASSEMBLY_LOG_ORIGIN: name of the audit log (its checkpoints' origin and its key's name); fixed for a log."""

    log_signing_key: str = field(default="", repr=False)
    """ASSEMBLY_LOG_SIGNING_KEY: the log's Ed25519 signer key (``PRIVATE+KEY+...``). Empty: a key file
    ``audit-log.key`` in the data directory, generated on first use. Never logged."""

    sequencer: bool = False
    """ASSEMBLY_SEQUENCER: run the audit-log sequencer beside ``assembly serve``/``demo`` (default true
    from the environment; false in settings built by code, such as the tests')."""

    sequencer_batch: int = 256
    """ASSEMBLY_SEQUENCER_BATCH: most entries the sequencer integrates under one checkpoint."""
    delivery_worker: bool = True
    """ASSEMBLY_DELIVERY_WORKER: run the webhook delivery worker inside each server process (``false``: only
    ``assembly worker`` processes deliver)."""

    webhook_allow_private: bool = False
    """ASSEMBLY_WEBHOOK_ALLOW_PRIVATE: accept http:// and loopback/private subscriber URLs (tests, closed networks)."""

    webhook_max_attempts: int = 8
    """ASSEMBLY_WEBHOOK_MAX_ATTEMPTS: attempts before a delivery becomes a dead letter."""

    webhook_retry_base_ms: int = 2000
    """ASSEMBLY_WEBHOOK_RETRY_BASE_MS: first retry delay ceiling; doubles each attempt (with full jitter)."""

    webhook_retry_cap_seconds: int = 3600
    """ASSEMBLY_WEBHOOK_RETRY_CAP: longest delay between two attempts, in seconds."""

    webhook_timeout_seconds: int = 10
    """ASSEMBLY_WEBHOOK_TIMEOUT: seconds a subscriber has to answer one delivery."""

    delivery_poll_ms: int = 1000
    """ASSEMBLY_DELIVERY_POLL_MS: how often an idle worker looks for due deliveries."""

    def __post_init__(self) -> None:
        if self.database_url:
            object.__setattr__(self, "database_url", normalize_database_url(self.database_url))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate every ``ASSEMBLY_*`` variable; raise :class:`SettingsError` on the first bad one."""
        env = os.environ if environ is None else environ
        raw_url = env.get("ASSEMBLY_DATABASE_URL", "").strip()
        secret = env.get("ASSEMBLY_SECRET_KEY", "")
        if secret and len(secret) < _SECRET_MIN_LENGTH:
            msg = f"ASSEMBLY_SECRET_KEY: must be at least {_SECRET_MIN_LENGTH} characters long"
            raise SettingsError(msg)
        log_format = _choice(env, "ASSEMBLY_LOG_FORMAT", "json", ("json", "console"))
        return cls(
            database_url=normalize_database_url(raw_url) if raw_url else None,
            host=env.get("ASSEMBLY_HOST", "127.0.0.1").strip() or "127.0.0.1",
            port=_int(env, "ASSEMBLY_PORT", 8000, 1, 65535),
            workers=_int(env, "ASSEMBLY_WORKERS", 1, 1, 64),
            secret_key=secret,
            jwt_issuer=env.get("ASSEMBLY_JWT_ISSUER", "assembly").strip() or "assembly",
            jwt_audience=env.get("ASSEMBLY_JWT_AUDIENCE", "assembly-api").strip() or "assembly-api",
            access_token_ttl_seconds=_int(env, "ASSEMBLY_ACCESS_TOKEN_TTL", 900, 30, 86_400),
            refresh_token_ttl_seconds=_int(env, "ASSEMBLY_REFRESH_TOKEN_TTL", 14 * 24 * 3600, 60, 365 * 86_400),
            cors_origins=_origins(env, "ASSEMBLY_CORS_ORIGINS"),
            max_request_body_bytes=_int(env, "ASSEMBLY_MAX_REQUEST_BODY", 1_048_576, 1024, 64 * 1_048_576),
            db_pool_size=_int(env, "ASSEMBLY_DB_POOL_SIZE", 10, 1, 200),
            db_max_overflow=_int(env, "ASSEMBLY_DB_MAX_OVERFLOW", 10, 0, 200),
            db_connect_timeout_seconds=_int(env, "ASSEMBLY_DB_CONNECT_TIMEOUT", 5, 1, 120),
            log_level=_choice(env, "ASSEMBLY_LOG_LEVEL", "info", ("debug", "info", "warning", "error")),
            log_format="console" if log_format == "console" else "json",
            data_dir=env.get("ASSEMBLY_DATA_DIR", "").strip() or None,
            hsts=_bool(env, "ASSEMBLY_HSTS", default=False),
            trusted_proxies=_networks(env, "ASSEMBLY_TRUSTED_PROXIES"),
            log_origin=env.get("ASSEMBLY_LOG_ORIGIN", "").strip() or "assembly.local/audit",
            log_signing_key=env.get("ASSEMBLY_LOG_SIGNING_KEY", "").strip(),
            sequencer=_bool(env, "ASSEMBLY_SEQUENCER", default=True),
            sequencer_batch=_int(env, "ASSEMBLY_SEQUENCER_BATCH", 256, 1, 10_000),
            delivery_worker=_bool(env, "ASSEMBLY_DELIVERY_WORKER", default=True),
            webhook_allow_private=_bool(env, "ASSEMBLY_WEBHOOK_ALLOW_PRIVATE", default=False),
            webhook_max_attempts=_int(env, "ASSEMBLY_WEBHOOK_MAX_ATTEMPTS", 8, 1, 100),
            webhook_retry_base_ms=_int(env, "ASSEMBLY_WEBHOOK_RETRY_BASE_MS", 2000, 1, 3_600_000),
            webhook_retry_cap_seconds=_int(env, "ASSEMBLY_WEBHOOK_RETRY_CAP", 3600, 1, 7 * 86_400),
            webhook_timeout_seconds=_int(env, "ASSEMBLY_WEBHOOK_TIMEOUT", 10, 1, 300),
            delivery_poll_ms=_int(env, "ASSEMBLY_DELIVERY_POLL_MS", 1000, 10, 60_000),
        )

    def with_database(self, url: str) -> Settings:
        """Return a copy that points at ``url`` (used when the embedded PostgreSQL has started)."""
        return replace(self, database_url=normalize_database_url(url))

    def require_database_url(self) -> str:
        """Return the database URL or raise a one-line error saying how to get one."""
        if not self.database_url:
            msg = "ASSEMBLY_DATABASE_URL is not set (only `assembly demo` starts an embedded PostgreSQL)"
            raise SettingsError(msg)
        return self.database_url

    def require_secret_key(self) -> str:
        """Return the token signing key or raise a one-line error saying how to set one."""
        if not self.secret_key:
            msg = (
                "ASSEMBLY_SECRET_KEY is not set: give it at least 32 random characters "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
            raise SettingsError(msg)
        return self.secret_key

    def with_generated_secret(self) -> Settings:
        """Return a copy with a random signing key, for tests and the demo only."""
        return replace(self, secret_key=secrets.token_urlsafe(48))
