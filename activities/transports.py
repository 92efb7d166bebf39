"""The worker's HTTP connection pools, shared by every activity it runs.

Building a client per call costs a TLS context (the CA bundle read again) and a new
connection each time; one pool per kind of destination, made when the worker starts and
closed when it stops, lets calls reuse both. Each call still makes its own light client with
its own timeouts, redirect policy and hooks over a borrowed pool that closing the client
leaves open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from activities.endpoints import PlatformEndpoints
from activities.http.network import LIMITS, GuardedTransport
from activities.x.client import XAdapter


class Borrowed(httpx.AsyncBaseTransport):
    """A shared transport as one client sees it: closing the client leaves it open."""

    def __init__(self, shared: httpx.AsyncBaseTransport) -> None:
        self._shared = shared

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._shared.handle_async_request(request)

    async def aclose(self) -> None:
        """The worker closes the shared transport, when it stops."""


@dataclass
class Transports:
    """`http.request`'s guarded pools, the Graph API's pool and X's (tweepy's) adapter."""

    http: GuardedTransport = field(repr=False)
    graph: httpx.AsyncHTTPTransport = field(repr=False)
    x: XAdapter = field(repr=False)

    @classmethod
    def create(cls, endpoints: PlatformEndpoints) -> Transports:
        return cls(
            http=GuardedTransport(),
            graph=httpx.AsyncHTTPTransport(trust_env=False, limits=LIMITS),
            x=XAdapter(endpoints.x_api_base_url, endpoints.request_timeout),
        )

    def for_http(self) -> Borrowed:
        return Borrowed(self.http)

    def for_graph(self) -> Borrowed:
        return Borrowed(self.graph)

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.graph.aclose()
        self.x.shutdown()
