"""The API over real HTTP with the platforms pointed at the emulator, for the accounts tests.
Import the fixtures into a test module."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from app.settings import Settings
from emulator.testing import EmulatorHandle
from tests.utils.api_servers import ApiServer, SharedApis
from tests.utils.emulated import emulator_settings
from tests.utils.factories import new_organization
from tests.utils.servers import http_client

CALLBACK_BASE = "https://flowhold.example"
"""Where X is told to send people back; tests read the redirect and call the API themselves."""
BAD_HOSTS = [
    pytest.param([], ["allowed_hosts"], id="empty"),
    pytest.param(["*"], ["allowed_hosts", 0], id="star"),
    pytest.param(["api.example.com", "https://evil.example/"], ["allowed_hosts", 1], id="url"),
    pytest.param(["api.example.com:443"], ["allowed_hosts", 0], id="port"),
    pytest.param(["*.com"], ["allowed_hosts", 0], id="tld"),
    pytest.param([f"h{n}.example.com" for n in range(51)], ["allowed_hosts"], id="too-many"),
]
"""Host lists create and update refuse alike, and the error path that names the problem."""


@dataclass
class AccountsApi:
    url: str
    client: httpx.AsyncClient
    """Authorized as the organization's key."""
    other: httpx.AsyncClient
    """Authorized as another organization's key."""
    organization_id: str
    settings: Settings
    emulator: EmulatorHandle


def accounts_settings(emulator: EmulatorHandle) -> dict[str, Any]:
    """Settings of an API whose platforms are the emulator's, and whose OAuth callbacks are
    the example host's."""
    return {**emulator_settings(emulator), "oauth_redirect_base_url": CALLBACK_BASE}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@asynccontextmanager
async def clients(server: ApiServer, emulator: EmulatorHandle) -> AsyncIterator[AccountsApi]:
    """Two new organizations on a served API: the caller's and a stranger's."""
    organization_id, key = await new_organization(server.settings, "Accounts")
    _, other_key = await new_organization(server.settings, "Other")
    async with (
        http_client(base_url=server.url, headers=bearer(key)) as client,
        http_client(base_url=server.url, headers=bearer(other_key)) as other,
    ):
        yield AccountsApi(server.url, client, other, organization_id, server.settings, emulator)


@dataclass
class AccountsApis:
    """The session's accounts APIs on the test's kind of database: call it with settings that
    override, for an API that differs (one server per set of settings, shared)."""

    servers: SharedApis
    backend: str
    emulator: EmulatorHandle

    @asynccontextmanager
    async def __call__(self, **extra: Any) -> AsyncIterator[AccountsApi]:
        settings = accounts_settings(self.emulator) | extra
        server = await self.servers.get(self.backend, **settings)
        async with clients(server, self.emulator) as harness:
            yield harness


@pytest.fixture
def accounts_api(api_servers: SharedApis, backend: str, emulator: EmulatorHandle) -> AccountsApis:
    return AccountsApis(api_servers, backend, emulator)


@pytest.fixture
async def accounts(accounts_api: AccountsApis) -> AsyncIterator[AccountsApi]:
    """Two new organizations on the session's accounts API: tests are kept apart by
    organization, which is what the API promises anyway."""
    async with accounts_api() as harness:
        yield harness
