"""The worker's shared connection pools: calls reuse connections instead of opening new ones
(and TLS contexts), a connection to a private address never serves an organization that may
not reach it, and closing the services closes the pools."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.abc
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.http.request import HttpActivities
from activities.instagram.actions import InstagramActivities
from activities.instagram.graph import GRAPH_POOL
from activities.network import HTTP_POOL
from activities.services import ActionServices
from activities.transports import Borrowed, pooled_transport
from activities.x.actions import XActivities
from activities.x.client import X_POOL
from emulator.testing import EmulatorHandle
from tests.activities.support import action, new_account, new_organization, services_for
from tests.utils.emulated import emulator_endpoints
from tests.utils.servers import serve


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/peer")
    async def peer(request: Request) -> dict[str, Any]:
        assert request.client is not None
        return {"port": request.client.port}

    return app


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[str]:
    async with serve(_app()) as base_url:
        yield base_url


@pytest.fixture
async def fresh(
    module_database_url: str, emulator: EmulatorHandle
) -> AsyncIterator[ActionServices]:
    """Services of their own, so their pools start empty."""
    services = services_for(module_database_url, emulator_endpoints(emulator))
    yield services
    await services.close()


async def _request(services: ActionServices, organization: str, url: str) -> dict[str, Any]:
    request = action("http.request", {"url": url}, organization_id=organization)
    result: dict[str, Any] = await ActivityEnvironment().run(
        HttpActivities(services).request, request
    )
    return result


async def test_http_requests_reuse_one_connection(fresh: ActionServices, server: str) -> None:
    organization = await new_organization(fresh.database, private_networks=True)
    ports = {(await _request(fresh, organization, f"{server}/peer"))["body"]["port"]
             for _ in range(3)}  # fmt: skip
    assert len(ports) == 1


class _Searches(importlib.abc.MetaPathFinder):
    """Records every module the import system searches for (not found in `sys.modules`)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, name: str, path: Any, target: Any = None) -> None:
        self.names.append(name)


async def test_a_call_searches_for_no_module(fresh: ActionServices, server: str) -> None:
    # httpcore asks for `sniffio` at every step of a request (eight per call); while it was
    # not installed, each ask searched every `sys.path` entry again and cost a worker ~0.2 ms
    # of CPU per HTTP call.
    organization = await new_organization(fresh.database, private_networks=True)
    await _request(fresh, organization, f"{server}/peer")  # the first may import what it uses
    searches = _Searches()
    sys.meta_path.insert(0, searches)
    try:
        await _request(fresh, organization, f"{server}/peer")
    finally:
        sys.meta_path.remove(searches)
    assert searches.names == []


async def test_a_private_connection_never_serves_an_organization_that_may_not_reach_it(
    fresh: ActionServices, server: str
) -> None:
    allowed = await new_organization(fresh.database, private_networks=True)
    refused = await new_organization(fresh.database)
    assert (await _request(fresh, allowed, f"{server}/peer"))["status"] == 200
    with pytest.raises(ApplicationError) as caught:
        await _request(fresh, refused, f"{server}/peer")
    assert (caught.value.type, caught.value.non_retryable) == ("AddressNotAllowed", True)
    assert (await _request(fresh, allowed, f"{server}/peer"))["status"] == 200


async def _three_calls(
    services: ActionServices, platform: str, name: str, parameters: dict[str, Any], user: Any
) -> None:
    """Three calls of the activity `name` as a new account of `platform` for `user`."""
    organization = await new_organization(services.database)
    account = await new_account(
        services, organization_id=organization, platform=platform, kind="token",
        secret={"access_token": user.access_token},
        external_id=getattr(user, "user_id", None) or user.ig_user_id,
    )  # fmt: skip
    activities: Any = XActivities(services) if platform == "x" else InstagramActivities(services)
    request = action(name, parameters, organization_id=organization, account_id=account)
    for _ in range(3):
        await ActivityEnvironment().run(getattr(activities, name.split(".")[1]), request)


async def test_x_calls_reuse_one_connection(
    fresh: ActionServices, emulator: EmulatorHandle
) -> None:
    await _three_calls(fresh, "x", "x.me", {}, emulator.add_x_user("ada"))
    pools = fresh.transports.get(X_POOL).poolmanager.pools
    # urllib3's container refuses iteration (not thread-safe); keys() gives a copy.
    assert sum(pools[key].num_connections for key in pools.keys()) == 1  # noqa: SIM118


async def test_graph_calls_reuse_one_connection(
    fresh: ActionServices, emulator: EmulatorHandle
) -> None:
    user = emulator.add_instagram_user("ada.makes")
    parameters = {"target": "account", "metrics": ["reach"]}
    await _three_calls(fresh, "instagram", "instagram.insights", parameters, user)
    assert len(fresh.transports.get(GRAPH_POOL)._pool.connections) == 1


async def test_closing_the_services_closes_the_pools(module_database_url: str, server: str) -> None:
    services = services_for(module_database_url)
    organization = await new_organization(services.database, private_networks=True)
    await _request(services, organization, f"{server}/peer")
    pool = services.transports.get(HTTP_POOL)._private._pool
    assert len(pool.connections) == 1
    await services.close()
    assert pool.connections == []


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _three_requests(handler: Handler) -> None:
    """Three GETs, a moment apart, through one pooled transport, to a server of raw HTTP."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = pooled_transport()
    try:
        async with httpx.AsyncClient(transport=Borrowed(transport)) as client:
            for _ in range(3):
                assert (await client.get(f"http://127.0.0.1:{port}/")).text == "ok"
                await asyncio.sleep(0.05)  # a server's close reaches the idle connection
    finally:
        await transport.aclose()
        server.close()
        await server.wait_closed()


ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def test_a_pooled_connection_the_server_closed_is_not_used_again() -> None:
    """The pools tell a stale idle connection by its socket (`activities.transports._Stream`):
    a server that closes each connection after answering, without saying so, still answers
    every request on a new one."""
    connections = 0

    async def answer_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ANSWER)
        await writer.drain()
        writer.close()

    await _three_requests(answer_then_close)
    assert connections == 3


async def test_a_pooled_connection_is_reused_while_the_server_keeps_it() -> None:
    """The same check does not take a live idle connection for a stale one."""
    connections = 0

    async def keep_open(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(ANSWER)
                await writer.drain()
        writer.close()

    await _three_requests(keep_open)
    assert connections == 1
