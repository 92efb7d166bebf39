"""The API over real HTTP with the platforms pointed at the emulator, for the accounts tests
(no Temporal: connecting accounts needs none). Import the fixtures into a test module."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.api.main import create_app
from app.settings import Settings
from emulator.testing import EmulatorHandle
from tests.utils.databases import backends, fresh_database
from tests.utils.emulated import emulator_settings
from tests.utils.factories import new_organization
from tests.utils.servers import serve

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


def accounts_settings(
    database_url: str, emulator: EmulatorHandle, tmp: Path, **extra: object
) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "database_url": database_url,
        "data_dir": tmp,
        **emulator_settings(emulator),
        "oauth_redirect_base_url": CALLBACK_BASE,
    }
    return Settings(**(values | extra))  # type: ignore[arg-type]


@asynccontextmanager
async def clients(
    url: str, settings: Settings, emulator: EmulatorHandle
) -> AsyncIterator[AccountsApi]:
    """Two new organizations on a served API: the caller's and a stranger's."""
    organization_id, key = await new_organization(settings, "Accounts")
    _, other_key = await new_organization(settings, "Other")
    async with (
        httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}) as client,
        httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {other_key}"}) as other,
    ):
        yield AccountsApi(url, client, other, organization_id, settings, emulator)


@asynccontextmanager
async def accounts_api(
    database_url: str, emulator: EmulatorHandle, tmp: Path, **extra: object
) -> AsyncIterator[AccountsApi]:
    """An API of its own, for settings other than the shared one's."""
    settings = accounts_settings(database_url, emulator, tmp, **extra)
    async with serve(create_app(settings)) as url, clients(url, settings, emulator) as harness:
        yield harness


@pytest.fixture(scope="module", params=backends())
def accounts_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with fresh_database(request.param, tmp_path_factory.mktemp("accounts")) as url:
        yield url


@pytest.fixture(scope="module")
async def accounts_server(
    accounts_database: str,
    emulator_server: EmulatorHandle,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[str, Settings]]:
    """One API per module and database: tests are kept apart by organization, which is
    what the API promises anyway."""
    settings = accounts_settings(accounts_database, emulator_server, tmp_path_factory.mktemp("var"))
    async with serve(create_app(settings)) as url:
        yield url, settings


@pytest.fixture
async def accounts(
    accounts_server: tuple[str, Settings], emulator: EmulatorHandle
) -> AsyncIterator[AccountsApi]:
    url, settings = accounts_server
    async with clients(url, settings, emulator) as harness:
        yield harness
