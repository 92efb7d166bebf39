"""Fixtures of the emulator's own tests: an emulator over real HTTP, fresh for each test, an X user
with a token, and HTTP clients for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.emulator.control import XAccount
from tests.emulator.testing import EmulatorHandle, running_emulator


@pytest.fixture(scope="session")
async def emulator_server() -> AsyncIterator[EmulatorHandle]:
    """One server for the emulator's tests: starting and stopping uvicorn per test costs more
    than all the requests of a test."""
    async with running_emulator() as handle:
        yield handle


@pytest.fixture
def emulator(emulator_server: EmulatorHandle) -> EmulatorHandle:
    """The shared server with a fresh state and the default configuration."""
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def ada(emulator: EmulatorHandle) -> XAccount:
    return emulator.add_x_user("ada", name="Ada Lovelace")


@pytest.fixture
async def http(emulator: EmulatorHandle) -> AsyncIterator[httpx.AsyncClient]:
    """A client without credentials."""
    async with httpx.AsyncClient(base_url=emulator.url, timeout=10) as client:
        yield client


@pytest.fixture
async def x(emulator: EmulatorHandle, ada: XAccount) -> AsyncIterator[httpx.AsyncClient]:
    """A client calling X as ada."""
    headers = {"Authorization": f"Bearer {ada.access_token}"}
    async with httpx.AsyncClient(base_url=emulator.url, headers=headers, timeout=10) as client:
        yield client
