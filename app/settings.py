"""Configuration from the environment (and an optional `.env` file).

Every setting is documented in README.md and `.env.example`; keep the three in step.
"""

from __future__ import annotations

import functools
import re
import zlib
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.db.engine import PoolLimits
from app.vault import parse_keys
from app.vault.derivation import keyed_hash

PROJECT_ROOT = Path(__file__).resolve().parent.parent

SANDBOX_X_CLIENT_ID = "flowhold-sandbox-engine"
"""The OAuth client sandbox mode registers with the emulator."""

# Development defaults that must never protect real data: production refuses them.
INSECURE_SECRET = "change-this-development-secret"  # noqa: S105
INSECURE_VAULT_KEY = "dev:Zmxvd2hvbGQtZGV2ZWxvcG1lbnQtdmF1bHQta2V5ISE="


MAKE_A_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"  # noqa: S105
MAKE_A_VAULT_KEY = "python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'"

WORKER_WORKFLOW_TASK_SLOTS = 100
WORKER_ACTIVITY_SLOTS = 100
"""A worker's defaults (`Settings.worker_max_concurrent_*`), also for workers built without
settings (tests, benchmarks); bench/tenant_fairness.py measures them."""


DEFAULT_SQLITE_PRAGMAS = "journal_mode=wal,synchronous=normal"
_SQLITE_PRAGMA_VALUES = {
    "journal_mode": ("delete", "truncate", "persist", "memory", "wal", "off"),
    "synchronous": ("off", "normal", "full", "extra"),
}
"""The pragmas the embedded server's setting takes, and their values. The Temporal CLI
passes any pragma on without a word, so a typo would silently change nothing."""


def sqlite_pragma_list(value: str) -> tuple[str, ...]:
    """`name=value` pragmas of `TEMPORAL_SQLITE_PRAGMAS`, lower-cased; ValueError naming the
    first one that is not a known pragma with one of its values."""
    pragmas: list[str] = []
    for item in (part.strip().lower() for part in value.split(",")):
        if not item:
            continue
        name, _, setting = (side.strip() for side in item.partition("="))
        allowed = _SQLITE_PRAGMA_VALUES.get(name)
        if allowed is None:
            raise ValueError(
                f"TEMPORAL_SQLITE_PRAGMAS: {name!r} is not one of "
                f"{', '.join(_SQLITE_PRAGMA_VALUES)}: write name=value separated by commas"
            )
        if setting not in allowed:
            raise ValueError(
                f"TEMPORAL_SQLITE_PRAGMAS: {name} takes {', '.join(allowed)}, not {setting!r}"
            )
        pragmas.append(f"{name}={setting}")
    return tuple(pragmas)


def _guessable(secret: bytes) -> bool:
    """Whether a secret is far from random: too few distinct symbols, or so repetitive that it
    compresses (random bytes and random text do not)."""
    too_few_symbols = len(set(secret)) < min(12, len(secret) // 4)
    return too_few_symbols or len(zlib.compress(secret, 9)) < len(secret) * 0.75


_ORIGIN = re.compile(r"https?://([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?")
"""An exact browser origin: scheme, host, optional port; nothing after."""


def _split_origins(value: str) -> tuple[str, ...]:
    return tuple(origin.strip() for origin in value.split(",") if origin.strip())


class Settings(BaseSettings):
    """The engine's settings; environment variables use the same names in upper case."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    """`production` refuses default secrets and SQLite-only conveniences are not assumed."""

    data_dir: Path = PROJECT_ROOT / "var"
    """Where the SQLite database and the embedded Temporal server keep their files."""

    database_url: str = ""
    """SQLAlchemy URL; empty means SQLite at `<data_dir>/flowhold.db`.
    PostgreSQL: `postgresql+psycopg://user:password@host:5432/dbname`."""

    secret_key: str = INSECURE_SECRET
    """Keys the hashes of API keys (HMAC-SHA256)."""

    vault_keys: str = INSECURE_VAULT_KEY
    """Credential encryption keys, `id:base64(32 bytes)` separated by commas; the first encrypts."""

    temporal_address: str = ""
    """`host:port` of an existing Temporal server; empty: `make run` starts the embedded one."""

    temporal_namespace: str = "default"
    temporal_task_queue: str = "flowhold"

    temporal_tls: bool = False
    """Connect to Temporal over TLS (implied by a client certificate or an API key)."""

    temporal_tls_ca_file: str = ""
    """PEM file of the certificate authority that signed the server's certificate; empty:
    the system's roots."""

    temporal_tls_cert_file: str = ""
    """PEM client certificate for mTLS (Temporal Cloud's certificate authentication), with
    `TEMPORAL_TLS_KEY_FILE`."""

    temporal_tls_key_file: str = ""
    """PEM private key of `TEMPORAL_TLS_CERT_FILE`."""

    temporal_tls_server_name: str = Field(default="", max_length=253)
    """The name the server's certificate must carry, when it is not the address's host."""

    temporal_api_key: str = ""
    """API key for Temporal Cloud (sent as a bearer token, over TLS); never logged."""

    temporal_namespace_retention_days: int = Field(default=7, ge=1, le=3650)
    """How long Temporal keeps a finished run's history, for the namespace that
    `python -m app.cli temporal-setup` creates (an existing namespace keeps its own)."""

    payload_encryption: bool = False
    """Encrypt every input, output and state the engine hands to Temporal with the vault's
    keys (AES-256-GCM), so nothing sits in Temporal in the clear; the API's codec endpoint
    shows them to the Temporal UI (README, Operating)."""

    payload_codec_token: str = ""
    """Bearer token the codec endpoint (`/codec/decode`) requires; empty: the endpoint is
    off. Give it to the Temporal UI's users through your proxy or SSO, never to API clients."""

    worker_health_file: str = ""
    """A file the worker touches every few seconds while Temporal answers it; a health check
    reads its age (`python -m app.cli worker-health`). Empty: none."""

    temporal_port: int = Field(default=7233, ge=1, le=65535)
    """gRPC port of the embedded Temporal dev server."""

    temporal_ui_port: int = Field(default=8233, ge=1, le=65535)
    """Web UI port of the embedded Temporal dev server."""

    temporal_sqlite_pragmas: str = Field(default=DEFAULT_SQLITE_PRAGMAS, max_length=200)
    """SQLite pragmas of the embedded Temporal dev server's file, `name=value` separated by
    commas (`journal_mode` and `synchronous` only); empty: SQLite's defaults. The default
    about doubles runs per second; `synchronous=normal` may lose the last committed writes
    on an operating-system crash or power cut (not on a process crash): README."""

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    log_format: Literal["json", "text"] = "text"
    """`json`: one JSON object a line with the run, node and attempt it is about (for a log
    collector); `text`: one readable line, for a terminal (`make run`)."""

    metrics_enabled: bool = True
    """Serve Prometheus metrics at the API's `/metrics` (no organization's name or id in them)."""

    metrics_token: str = Field(default="", max_length=200)
    """When set, `/metrics` answers only `Authorization: Bearer <it>`; empty: to anyone who can
    reach the API (keep it behind the proxy then)."""

    worker_metrics_address: str = Field(default="", max_length=100)
    """`host:port` where a worker serves the Temporal SDK's and the engine's Prometheus
    metrics; empty: none."""

    database_pool_size: int = Field(default=10, ge=1, le=1000)
    """Database connections each process keeps open (API, worker)."""

    database_pool_overflow: int = Field(default=10, ge=0, le=1000)
    """Connections a process may open beyond `database_pool_size` at busy times."""

    graph_checks_at_once: int = Field(default=2, ge=1, le=64)
    """Graphs an API process checks and compiles at once, off its event loop; more wait their
    turn (30 s at most, then 503 with `Retry-After`)."""

    database_pool_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    """How long a request waits for a free connection before it is answered 503 with
    `Retry-After`."""

    worker_shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    """How long a stopping worker lets running activities finish before cancelling them."""

    worker_max_concurrent_workflow_tasks: int = Field(
        default=WORKER_WORKFLOW_TASK_SLOTS, ge=2, le=1000
    )
    """Workflow tasks one worker process runs at once (at least 2, for Temporal's sticky
    cache). They share one Python lock, which time-slices them: with many slots a short task
    finishes while long ones run; with few, it waits at the server for a long one to end
    (bench/tenant_fairness.py)."""

    worker_max_concurrent_activities: int = Field(default=WORKER_ACTIVITY_SLOTS, ge=1, le=10000)
    """Activities (platform calls) one worker process runs at once; they mostly wait on the
    network, so many fit. When all are busy, the next free one goes to the organization
    whose turn it is."""

    # -- platforms, accounts and the vault ---------------------------------------------

    x_api_base_url: str = "https://api.x.com"
    """Where X API v2 calls and the OAuth token endpoint go (sandbox mode: the emulator)."""

    x_authorize_url: str = "https://x.com/i/oauth2/authorize"
    """X's OAuth 2.0 consent page."""

    x_client_id: str = ""
    """OAuth 2.0 client id of your X app; connecting X accounts needs it."""

    x_client_secret: str = ""
    """OAuth 2.0 client secret of a confidential X app; empty for a public (PKCE-only) client."""

    instagram_api_base_url: str = "https://graph.instagram.com"
    """Instagram Graph API host (sandbox mode points it at the emulator)."""

    instagram_api_version: str = Field(default="v21.0", pattern=r"^v[0-9]+\.[0-9]+$")
    """Graph API version in request paths."""

    oauth_redirect_base_url: str = ""
    """Public base URL of this API for OAuth callbacks; empty: `http://API_HOST:API_PORT`."""

    http_allow_private_networks: bool = False
    """Let every organization's HTTP requests reach private, loopback and link-local addresses
    (otherwise only organizations that allow it). For single-user machines and tests."""

    sandbox: bool = False
    """Sandbox mode: X and Instagram are the platform emulator on `sandbox_port` (which `make
    run` starts), whatever the X and Instagram settings say; the OAuth client is the
    sandbox's. Every process (API, worker, launcher) derives this from the settings alone."""

    sandbox_host: str = Field(default="127.0.0.1", max_length=253, pattern=r"^[A-Za-z0-9.\-]+$")
    """Host of the platform emulator in sandbox mode: `make run` starts it on this machine;
    in the compose file it is the `emulator` service."""

    sandbox_port: int = Field(default=8900, ge=1, le=65535)
    """Port of the platform emulator in sandbox mode."""

    failed_authentications_per_minute: int = Field(default=30, ge=1)
    """Failed authentications one address may make per minute (per API process) before it
    gets 429s."""

    failed_deliveries_per_minute: int = Field(default=60, ge=1)
    """Webhook deliveries one address may fail per minute (unknown webhook, bad signature or
    token; per API process) before it gets 429s."""

    stream_keep_alive_seconds: float = Field(default=15.0, gt=0, le=3600)
    """Seconds of silence after which a run's stream sends a `: ping` comment, so proxies do
    not close the stream of a run that waits for days."""

    stream_key_check_seconds: float = Field(default=5.0, gt=0, le=3600)
    """How often an open run stream checks that its API key is still live (it also checks
    before every event): a revoked or expired key's stream ends within this."""

    public_url: str = Field(default="", max_length=500)
    """Base URL the API is reached at from outside (e.g. `https://flows.example.com`), used in
    webhook URLs; empty: the URL of the request that asks for them."""

    cors_origins: str = Field(default="", max_length=5000)
    """Origins of builders served elsewhere that may call the API from a browser: exact
    origins (`https://builder.example.com`) separated by commas; empty: no CORS headers at
    all. `*` (any origin) is refused in production."""

    @field_validator("worker_metrics_address")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        if value and not re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+):[0-9]{1,5}", value):
            raise ValueError(f"write host:port, such as 0.0.0.0:9464, not {value[:100]!r}")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _cors_origins_are_origins(cls, value: str) -> str:
        for origin in _split_origins(value):
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"CORS_ORIGINS: {origin!r} is not an origin: write scheme://host[:port], "
                    "with no path and no trailing slash"
                )
        return value

    @model_validator(mode="after")
    def _client_certificate_comes_with_its_key(self) -> Settings:
        if bool(self.temporal_tls_cert_file) != bool(self.temporal_tls_key_file):
            raise ValueError(
                "TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE go together: set both or neither"
            )
        return self

    @field_validator("temporal_sqlite_pragmas")
    @classmethod
    def _sqlite_pragmas_are_known(cls, value: str) -> str:
        sqlite_pragma_list(value)
        return value

    @field_validator("vault_keys")
    @classmethod
    def _vault_keys_parse(cls, value: str) -> str:
        parse_keys(value)
        return value

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> Settings:
        # ValueErrors: pydantic reports them in the ValidationError that `make run` prints.
        if self.environment != "production":
            return self
        defaults = [
            name
            for name, value, default in (
                ("SECRET_KEY", self.secret_key, INSECURE_SECRET),
                ("VAULT_KEYS", self.vault_keys, INSECURE_VAULT_KEY),
            )
            if value == default or not value
        ]
        if "*" in self.cors_origin_list:
            raise ValueError(
                "CORS_ORIGINS '*' lets any web page call the API in production: list the "
                "builders' origins"
            )
        if defaults:
            raise ValueError(
                "refusing to start in production with development defaults for "
                + ", ".join(defaults)
            )
        if len(self.secret_key) < 32:
            raise ValueError("SECRET_KEY must be at least 32 characters in production")
        if _guessable(self.secret_key.encode()):
            raise ValueError(
                "SECRET_KEY looks guessable (few distinct characters or a repeated pattern): "
                f"make one with {MAKE_A_SECRET}"
            )
        for key_id, key in parse_keys(self.vault_keys).keys.items():
            if _guessable(key):
                raise ValueError(
                    f"VAULT_KEYS: key {key_id!r} looks guessable: make one with {MAKE_A_VAULT_KEY}"
                )
        return self

    @model_validator(mode="after")
    def _sandbox_means_the_emulator(self) -> Settings:
        """In sandbox mode, nothing may reach the real platforms: their URLs and the OAuth
        client are the emulator's, whatever else is configured."""
        if self.sandbox:
            emulator = self.sandbox_url
            self.x_api_base_url = emulator
            self.x_authorize_url = f"{emulator}/i/oauth2/authorize"
            self.x_client_id = SANDBOX_X_CLIENT_ID
            self.x_client_secret = self.sandbox_client_secret
            self.instagram_api_base_url = emulator
        return self

    @property
    def sandbox_url(self) -> str:
        return f"http://{self.sandbox_host}:{self.sandbox_port}"

    @property
    def sandbox_client_secret(self) -> str:
        """The sandbox OAuth client's secret, the same in every process that shares
        SECRET_KEY, so none needs to be told it (nor stored)."""
        return keyed_hash(self.secret_key, "sandbox-client-secret", "x")

    @property
    def cors_origin_list(self) -> tuple[str, ...]:
        return _split_origins(self.cors_origins)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'flowhold.db'}"

    @property
    def database_pool(self) -> PoolLimits:
        return PoolLimits(
            size=self.database_pool_size,
            overflow=self.database_pool_overflow,
            timeout_seconds=self.database_pool_timeout_seconds,
        )

    @property
    def temporal_sqlite_pragma_list(self) -> tuple[str, ...]:
        return sqlite_pragma_list(self.temporal_sqlite_pragmas)

    @property
    def temporal_target(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.temporal_port}"

    @property
    def temporal_uses_tls(self) -> bool:
        return bool(
            self.temporal_tls
            or self.temporal_tls_cert_file
            or self.temporal_tls_ca_file
            or self.temporal_api_key
        )

    @property
    def oauth_redirect_base(self) -> str:
        return (self.oauth_redirect_base_url or f"http://{self.api_host}:{self.api_port}").rstrip(
            "/"
        )


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
