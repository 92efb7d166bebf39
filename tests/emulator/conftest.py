"""Fixtures of the emulator's own tests: an X user and an Instagram account with tokens, and HTTP
clients for them, on the session's emulator (tests/conftest.py), emptied for each test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from emulator.control import InstagramAccount, XAccount
from emulator.testing import EmulatorHandle, http_client


@pytest.fixture
def ada(emulator: EmulatorHandle) -> XAccount:
    return emulator.add_x_user("ada", name="Ada Lovelace")


@pytest.fixture
async def http(emulator: EmulatorHandle) -> AsyncIterator[httpx.AsyncClient]:
    """A client without credentials."""
    async with http_client(emulator.url) as client:
        yield client


@pytest.fixture
async def x(emulator: EmulatorHandle, ada: XAccount) -> AsyncIterator[httpx.AsyncClient]:
    """A client calling X as ada."""
    headers = {"Authorization": f"Bearer {ada.access_token}"}
    async with http_client(emulator.url, headers=headers) as client:
        yield client


@pytest.fixture
def account(emulator: EmulatorHandle) -> InstagramAccount:
    """An Instagram account with a long-lived token."""
    return emulator.add_instagram_user("ada.makes")


@pytest.fixture
async def graph(
    emulator: EmulatorHandle, account: InstagramAccount
) -> AsyncIterator[httpx.AsyncClient]:
    """A Graph API client for the account (token in the query, as Meta's samples send it)."""
    params = {"access_token": account.access_token}
    async with http_client(emulator.graph_url(), params=params) as client:
        yield client
