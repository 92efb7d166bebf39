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
import select
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpcore
import httpx

from activities.endpoints import PlatformEndpoints
from app.traces import client_span, ended_with, tracing_enabled

LIMITS = httpx.Limits(max_connections=500, max_keepalive_connections=100, keepalive_expiry=30)
"""Of every pool: many runs call the same hosts at once."""

T = TypeVar("T")


def _readable(sock: socket.socket) -> bool:
    """Whether a read would not block: data waits, or the peer closed (so a pooled idle
    connection is stale). A closed socket counts as readable, as in httpcore."""
    if sock.fileno() < 0:
        return True
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class _Stream(httpcore.AsyncNetworkStream):
    """anyio's stream, except that "is it readable" is asked of its socket directly.

    httpcore asks that of every idle connection of a pool each time a request enters the
    pool, and anyio answers any attribute question by building all of a socket's attributes,
    one of them with a `getpeername` system call: system calls per request in proportion to
    the pool's idle connections (16 a run in `bench.worker_cpu`, ~8 % of the worker's CPU)."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, sock: socket.socket | None) -> None:
        self._inner = inner
        self._socket = sock

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
    ) -> httpcore.AsyncNetworkStream:
        # TLS runs over the same socket, whose readability still tells a stale connection.
        tls = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        return _Stream(tls, self._socket)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return self._socket is None or _readable(self._socket)
        return self._inner.get_extra_info(info)


class PoolBackend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend, with streams that answer the pool's readability check
    cheaply (`_Stream`)."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
        return _Stream(stream, stream.get_extra_info("socket"))

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(
            path, timeout=timeout, socket_options=socket_options
        )
        return _Stream(stream, stream.get_extra_info("socket"))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def pooled_transport(
    network_backend: httpcore.AsyncNetworkBackend | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> httpx.AsyncHTTPTransport:
    """A shared transport with the pools' `LIMITS`, no proxies from the environment, and a
    `PoolBackend` unless given another network backend."""
    transport = httpx.AsyncHTTPTransport(trust_env=False, limits=LIMITS)
    # httpx offers no public hook for the network backend; its pool takes one.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
        max_connections=LIMITS.max_connections,
        max_keepalive_connections=LIMITS.max_keepalive_connections,
        keepalive_expiry=LIMITS.keepalive_expiry,
        network_backend=network_backend or PoolBackend(),
    )
    return transport


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
