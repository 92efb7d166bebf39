"""The platform emulator for engine tests: one server per session, reset for every test, and
the platform endpoints that point the engine at it. Import the fixtures into a conftest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from activities.endpoints import PlatformEndpoints
from emulator.config import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from emulator.testing import GRAPH_VERSION, EmulatorHandle, running_emulator


def emulator_endpoints(
    emulator: EmulatorHandle, redirect_base_url: str = "http://127.0.0.1:8000"
) -> PlatformEndpoints:
    """The engine's view of the emulator: both platforms and the sandbox OAuth client."""
    return PlatformEndpoints(
        x_api_base_url=emulator.url,
        x_authorize_url=f"{emulator.url}/i/oauth2/authorize",
        x_client_id=SANDBOX_CLIENT_ID,
        x_client_secret=SANDBOX_CLIENT_SECRET,
        instagram_api_base_url=emulator.url,
        instagram_api_version=GRAPH_VERSION,
        redirect_base_url=redirect_base_url,
        request_timeout=10,
    )


def emulator_settings(emulator: EmulatorHandle) -> dict[str, Any]:
    """Settings that point the engine's platforms and sandbox OAuth client at the emulator."""
    return {
        "x_api_base_url": emulator.url,
        "x_authorize_url": f"{emulator.url}/i/oauth2/authorize",
        "x_client_id": SANDBOX_CLIENT_ID,
        "x_client_secret": SANDBOX_CLIENT_SECRET,
        "instagram_api_base_url": emulator.url,
        "instagram_api_version": GRAPH_VERSION,
    }


@pytest.fixture(scope="session")
async def emulator_server() -> AsyncIterator[EmulatorHandle]:
    async with running_emulator() as handle:
        yield handle


@pytest.fixture
def emulator(emulator_server: EmulatorHandle) -> EmulatorHandle:
    """The shared emulator, emptied and with the default configuration."""
    emulator_server.reset()
    return emulator_server
