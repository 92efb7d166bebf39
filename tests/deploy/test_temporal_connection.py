"""Reaching Temporal as a cluster or Temporal Cloud is reached: over TLS with a private CA,
with a client certificate (mTLS), with an API key; and what each setting refuses."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio.testing import WorkflowEnvironment

from app.settings import Settings
from temporal.client import TemporalConnection, connect
from tests.deploy.tls_proxy import SERVER_NAME, Certificates, make_certificates, tls_proxy

API_KEY = "temporal-cloud-api-key-for-tests-5f0c"  # an API key as Temporal Cloud issues one


def settings(address: str, **extra: Any) -> Settings:
    return Settings(_env_file=None, environment="test", temporal_address=address, **extra)


@pytest.fixture
def certificates(tmp_path: Path) -> Certificates:
    return make_certificates(tmp_path)


def upstream(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


async def answers(connection: TemporalConnection) -> bool:
    try:
        client = await asyncio.wait_for(connect(connection), timeout=20)
        await client.service_client.check_health()
    except (RuntimeError, TimeoutError):
        return False
    return True


async def test_tls_with_a_private_ca_and_a_server_name(
    temporal_env: WorkflowEnvironment, certificates: Certificates
) -> None:
    async with tls_proxy(upstream(temporal_env), certificates, client_certificates=False) as proxy:
        trusted = settings(
            proxy.address,
            temporal_tls_ca_file=str(certificates.ca),
            temporal_tls_server_name=SERVER_NAME,
        )
        assert await answers(TemporalConnection.from_settings(trusted))
        # Without our CA, the system's roots do not vouch for the server: no connection.
        assert not await answers(
            TemporalConnection.from_settings(settings(proxy.address, temporal_tls=True))
        )


async def test_mtls_needs_the_client_certificate(
    temporal_env: WorkflowEnvironment, certificates: Certificates, tmp_path: Path
) -> None:
    common = {"temporal_tls_ca_file": str(certificates.ca), "temporal_tls_server_name": SERVER_NAME}
    (tmp_path / "other").mkdir()
    stranger = make_certificates(tmp_path / "other", ca_name="Another CA")
    async with tls_proxy(upstream(temporal_env), certificates, client_certificates=True) as proxy:
        with_certificate = settings(
            proxy.address,
            temporal_tls_cert_file=str(certificates.client_cert),
            temporal_tls_key_file=str(certificates.client_key),
            **common,
        )
        signed_elsewhere = settings(
            proxy.address,
            temporal_tls_cert_file=str(stranger.client_cert),
            temporal_tls_key_file=str(stranger.client_key),
            **common,
        )
        assert await answers(TemporalConnection.from_settings(with_certificate))
        assert not await answers(
            TemporalConnection.from_settings(settings(proxy.address, **common))
        )
        assert not await answers(TemporalConnection.from_settings(signed_elsewhere))


async def test_the_api_key_goes_as_a_bearer_token_over_tls(
    temporal_env: WorkflowEnvironment, certificates: Certificates
) -> None:
    async with tls_proxy(upstream(temporal_env), certificates, client_certificates=False) as proxy:
        with_key = settings(
            proxy.address,
            temporal_api_key=API_KEY,
            temporal_tls_ca_file=str(certificates.ca),
            temporal_tls_server_name=SERVER_NAME,
        )
        connection = TemporalConnection.from_settings(with_key)
        assert connection.tls, "an API key is never sent in the clear"
        assert API_KEY not in repr(connection)
        assert await answers(connection)
    assert proxy.headers, "no request reached the server"
    assert all(headers.get("authorization") == f"Bearer {API_KEY}" for headers in proxy.headers)


def test_a_client_certificate_without_its_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE"):
        settings("temporal:7233", temporal_tls_cert_file="/run/secrets/client.pem")


def test_a_certificate_file_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    with pytest.raises(ValueError, match="TEMPORAL_TLS_CA_FILE: cannot read"):
        TemporalConnection.from_settings(
            settings("temporal:7233", temporal_tls_ca_file=str(missing))
        )


def test_the_embedded_server_is_reached_in_the_clear() -> None:
    connection = TemporalConnection.from_settings(Settings(_env_file=None))
    assert connection.tls is False
    assert connection.api_key is None
    assert connection.codec is None
