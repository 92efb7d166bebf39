"""Connections that refuse private, loopback and link-local addresses unless allowed.

The check runs where the socket is opened, on the addresses the name resolves to, and the
connection goes to the address that was checked: a name that resolves to a public address
for a check and a private one for the connection (DNS rebinding) gains nothing, and every
redirect hop is checked the same way. Shared by the platforms whose destination a user
chooses: `http.request`'s URL, an AI account's base URL.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable

import httpcore
import httpx

from activities.errors import PlatformError
from activities.transports import Pool, PoolBackend, pooled_transport


class AddressNotAllowedError(PlatformError):
    """The destination `host` resolves to `address`, on a private network the organization
    may not reach."""

    def __init__(self, *, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to {address}, a private or local address")
        self.host = host
        self.address = address


_IPV4_IN_LAST_32_BITS = tuple(
    ipaddress.IPv6Network(network)
    for network in (
        "::/96",  # IPv4-compatible (deprecated, still routed by some stacks)
        "::ffff:0:0/96",  # IPv4-mapped
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
        "64:ff9b::/96",  # NAT64, well-known prefix
    )
)
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")
"""Local-use NAT64 (RFC 8215): where the IPv4 address sits depends on the prefix length the
operator chose, so no address of it can be read as public."""
_ISATAP_INTERFACE_IDS = frozenset({0x00005EFE, 0x01005EFE, 0x02005EFE, 0x03005EFE})


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address `ip` carries by a standard embedding: mapped, compatible, translated,
    NAT64, 6to4, Teredo (server and client) and ISATAP. On a network that translates or
    tunnels such addresses, a connection to `ip` reaches those IPv4 addresses."""
    found = [
        ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        for network in _IPV4_IN_LAST_32_BITS
        if ip in network
    ]
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if (int(ip) >> 32) & 0xFFFFFFFF in _ISATAP_INTERFACE_IDS:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _global(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


def is_public(address: str) -> bool:
    """Whether `address` is on the internet: globally reachable, not multicast, and neither
    the local-use NAT64 prefix nor a wrapping of an IPv4 address that is not public."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv4Address):
        return _global(ip)
    if ip in _LOCAL_NAT64:
        return False
    return _global(ip) and all(_global(v4) for v4 in embedded_ipv4(ip))


async def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from None
    # Keep the resolver's order (it prefers what works here) but drop repeats.
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _GuardedBackend(PoolBackend):
    """The pools' backend, connecting only to addresses checked here."""

    def __init__(self, permit_private: Callable[[], Awaitable[bool]]) -> None:
        super().__init__()
        self._permit_private = permit_private

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await _resolve(host, port)
        for address in addresses:
            if not is_public(address) and not await self._permit_private():
                raise AddressNotAllowedError(host=host, address=address)
        failure: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in addresses:
            try:
                return await super().connect_tcp(
                    address, port, timeout=timeout, local_address=local_address,
                    socket_options=socket_options,
                )  # fmt: skip
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not reachable from workflows")


PERMIT_PRIVATE = "flowhold.permit_private"
"""Request extension: `async () -> bool`, whether this request may reach a private address.
httpx copies extensions onto every redirect hop."""


async def _never() -> bool:
    return False


async def _always() -> bool:
    return True


def _pool(
    ssl_context: ssl.SSLContext, permit: Callable[[], Awaitable[bool]]
) -> httpx.AsyncHTTPTransport:
    return pooled_transport(_GuardedBackend(permit), ssl_context)


class GuardedTransport(httpx.AsyncBaseTransport):
    """The worker's connections to destinations users choose, shared by every organization.
    No proxies.

    Connections are pooled by origin, and a pooled connection is reused without a new check,
    so connections to private addresses must never serve an organization that may not reach
    them: they live in a pool of their own. A request first goes through the public pool,
    whose connections only ever reach public addresses; if its destination turns out to be
    private (refused at connect, before anything is sent), the request's `PERMIT_PRIVATE`
    extension is asked, and only a yes sends it through the private pool.
    """

    def __init__(self) -> None:
        context = httpx.create_ssl_context(trust_env=False)
        self._public = _pool(context, _never)
        self._private = _pool(context, _always)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response: httpx.Response = await self._public.handle_async_request(request)
            return response
        except AddressNotAllowedError:
            permit = request.extensions.get(PERMIT_PRIVATE)
            if permit is None or not await permit():
                raise
        response = await self._private.handle_async_request(request)
        return response

    async def aclose(self) -> None:
        await self._public.aclose()
        await self._private.aclose()


HTTP_POOL: Pool[GuardedTransport] = Pool(
    "http", make=lambda endpoints: GuardedTransport(), close=lambda pool: pool.aclose()
)
"""`http.request`'s guarded pools."""
