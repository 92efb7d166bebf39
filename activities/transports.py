"""The worker's HTTP connection pools, shared by every activity it runs.

Building a client per call costs a TLS context (the CA bundle read again) and a new
connection each time; one pool per kind of destination, made on first use and closed when
the worker stops, lets calls reuse both. Each call still makes its own light client with
its own timeouts, redirect policy and hooks over a borrowed pool that closing the client
leaves open. Each platform declares its pools (`Pool`) where it uses them; this module
knows none of them.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from activities.endpoints import PlatformEndpoints
from app.traces import client_span, ended_with, tracing_enabled

LIMITS = httpx.Limits(max_connections=500, max_keepalive_connections=100, keepalive_expiry=30)
"""Of every pool: many runs call the same hosts at once."""

T = TypeVar("T")


@dataclass(frozen=True)
class Pool(Generic[T]):
    """One kind of shared pool: how to make it for the worker's endpoints and how to close it."""

    name: str
    make: Callable[[PlatformEndpoints], T]
    close: Callable[[T], Awaitable[None] | None]


class Borrowed(httpx.AsyncBaseTransport):
    """A shared transport as one client sees it: closing the client leaves it open."""

    def __init__(self, shared: httpx.AsyncBaseTransport) -> None:
        self._shared = shared

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not tracing_enabled():
            return await self._shared.handle_async_request(request)
        with client_span(request.method, str(request.url), request.headers) as span:
            response = await self._shared.handle_async_request(request)
            ended_with(span, response.status_code)
            return response

    async def aclose(self) -> None:
        """The worker closes the shared transport, when it stops."""


@dataclass
class Transports:
    """The pools made so far, by kind; one of each per worker."""

    endpoints: PlatformEndpoints
    _made: dict[str, tuple[Pool[Any], Any]] = field(default_factory=dict, repr=False)

    def get(self, pool: Pool[T]) -> T:
        """The worker's pool of this kind, made now if no call needed it before."""
        made = self._made.get(pool.name)
        if made is None:
            made = self._made[pool.name] = (pool, pool.make(self.endpoints))
        shared: T = made[1]
        return shared

    async def aclose(self) -> None:
        made, self._made = self._made, {}
        for pool, shared in made.values():
            closing = pool.close(shared)
            if inspect.isawaitable(closing):
                await closing
