"""Connecting to Temporal (plain, TLS, mTLS or an API key) with the engine's data converter."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client, Interceptor
from temporalio.converter import DataConverter, PayloadCodec
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from app.settings import Settings
from app.vault import parse_keys
from temporal.data_converter import DATA_CONVERTER
from temporal.payload_codec import VaultPayloadCodec
from temporal.tracing import tracing_interceptors


@dataclass(frozen=True)
class TemporalConnection:
    """Where Temporal is and how to reach it: plain for the embedded server, TLS with a CA, a
    client certificate (mTLS) or an API key for a cluster or Temporal Cloud; and the codec
    that encrypts payloads, if any."""

    target: str
    namespace: str
    tls: TLSConfig | bool = False
    api_key: str | None = field(default=None, repr=False)
    codec: PayloadCodec | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> TemporalConnection:
        """The connection the settings describe; ValueError naming a certificate file that
        cannot be read."""
        tls: TLSConfig | bool = False
        if settings.temporal_uses_tls:
            tls = TLSConfig(
                server_root_ca_cert=_pem(settings.temporal_tls_ca_file, "TEMPORAL_TLS_CA_FILE"),
                client_cert=_pem(settings.temporal_tls_cert_file, "TEMPORAL_TLS_CERT_FILE"),
                client_private_key=_pem(settings.temporal_tls_key_file, "TEMPORAL_TLS_KEY_FILE"),
                domain=settings.temporal_tls_server_name or None,
            )
        codec = (
            VaultPayloadCodec(parse_keys(settings.vault_keys))
            if settings.payload_encryption
            else None
        )
        return cls(
            target=settings.temporal_target,
            namespace=settings.temporal_namespace,
            tls=tls,
            api_key=settings.temporal_api_key or None,
            codec=codec,
        )


def _pem(path: str, setting: str) -> bytes | None:
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ValueError(f"{setting}: cannot read {path!r} ({error.strerror})") from None


def data_converter(codec: PayloadCodec | None = None) -> DataConverter:
    """Pydantic-aware JSON (`temporal.data_converter`), encrypted by `codec` if given."""
    if codec is None:
        return DATA_CONVERTER
    return dataclasses.replace(DATA_CONVERTER, payload_codec=codec)


async def connect(
    connection: TemporalConnection,
    *,
    runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    """A client for `connection`, with the engine's data converter.

    `runtime`: the SDK's telemetry (a worker's Prometheus endpoint), else the default one;
    `interceptors`: tracing (`temporal/tracing.py`), which workers built on it inherit."""
    return await Client.connect(
        connection.target,
        namespace=connection.namespace,
        tls=connection.tls,
        api_key=connection.api_key,
        data_converter=data_converter(connection.codec),
        runtime=runtime,
        interceptors=interceptors,
    )


def local(target: str, namespace: str = "default") -> TemporalConnection:
    """A plain connection to a server on this machine (the embedded one, tests, benchmarks)."""
    return TemporalConnection(target=target, namespace=namespace)


class LazyClient:
    """Connects on first use and keeps the connection, so the API starts while Temporal is down."""

    def __init__(self, connection: TemporalConnection) -> None:
        self.connection = connection
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    @property
    def target(self) -> str:
        return self.connection.target

    async def get(self) -> Client:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await asyncio.wait_for(
                        connect(self.connection, interceptors=tracing_interceptors()), timeout=5
                    )
        client: Client = self._client
        return client

    async def check(self) -> None:
        """Raise unless the server answers a health check now."""
        client = await self.get()
        await client.service_client.check_health(timeout=timedelta(seconds=3))
