"""The private-network guard sees through IPv6 addresses that carry an IPv4 one: every
standard way of embedding an IPv4 address, around every private, loopback, link-local or
reserved IPv4 range, counts as that range (issue 12, point 7)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.http.request import HttpActivities
from activities.network import is_public
from activities.services import ActionServices
from tests.activities.support import action, new_organization

IPv4 = ipaddress.IPv4Address
IPv6 = ipaddress.IPv6Address

NOT_PUBLIC_IPV4 = [
    ipaddress.IPv4Network(network)
    for network in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/29", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "255.255.255.255/32",
    )
]  # fmt: skip
"""Private, shared, loopback, link-local, documentation, benchmarking, multicast and
reserved IPv4 (the IANA special-purpose registry's ranges that are not globally reachable)."""


TEREDO_SERVER = IPv4("65.54.227.120")


def _teredo(v4: IPv4, server: IPv4 = TEREDO_SERVER) -> IPv6:
    # 2001:0::/32, the server's address, flags and port, then the client's address inverted.
    obfuscated = int(v4) ^ 0xFFFFFFFF
    return IPv6((0x20010000 << 96) | (int(server) << 64) | (0x8000 << 48) | obfuscated)


WRAPPINGS: dict[str, Callable[[IPv4], IPv6]] = {
    "::a.b.c.d (IPv4-compatible)": lambda v4: IPv6(int(v4)),
    "::ffff:a.b.c.d (IPv4-mapped)": lambda v4: IPv6(f"::ffff:{v4}"),
    "::ffff:0:a.b.c.d (IPv4-translated)": lambda v4: IPv6(f"::ffff:0:{v4}"),
    "64:ff9b::/96 (NAT64)": lambda v4: IPv6(f"64:ff9b::{v4}"),
    "64:ff9b:1::/48 (local NAT64, /96)": lambda v4: IPv6(f"64:ff9b:1::{v4}"),
    "64:ff9b:1::/48 (local NAT64, /48)": lambda v4: IPv6(
        # RFC 6052 with a /48 prefix: 16 bits of the IPv4 address, the u octet, the rest.
        (0x0064FF9B0001 << 80) | ((int(v4) >> 16) << 64) | ((int(v4) & 0xFFFF) << 40)
    ),
    "2002::/16 (6to4)": lambda v4: IPv6((0x2002 << 112) | (int(v4) << 80) | 1),
    "2001::/32 (Teredo client)": _teredo,
    "2001::/32 (Teredo server)": lambda v4: _teredo(IPv4("8.8.8.8"), server=v4),
    "ISATAP interface id": lambda v4: IPv6(f"2001:db8:1:2:0:5efe:{v4}"),
    "ISATAP interface id, global": lambda v4: IPv6(f"2001:db8:1:2:200:5efe:{v4}"),
}


@st.composite
def not_public_ipv4(draw: st.DrawFn) -> IPv4:
    network = draw(st.sampled_from(NOT_PUBLIC_IPV4))
    offset = draw(st.integers(0, network.num_addresses - 1))
    return IPv4(int(network.network_address) + offset)


@given(address=not_public_ipv4(), wrapping=st.sampled_from(sorted(WRAPPINGS)))
def test_an_ipv6_form_wrapping_a_private_ipv4_address_is_not_public(
    address: IPv4, wrapping: str
) -> None:
    assert not is_public(str(address))
    assert not is_public(str(WRAPPINGS[wrapping](address))), wrapping


@pytest.mark.parametrize(
    "address",
    ["::127.0.0.1", "::ffff:0:127.0.0.1", "64:ff9b::7f00:1", "64:ff9b::10.0.0.1",
     "64:ff9b::169.254.169.254", "64:ff9b:1::8.8.8.8", "2002:7f00:1::1", "2002:a9fe:a9fe::"],
)  # fmt: skip
def test_the_forms_the_probe_found_are_not_public(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize(
    "address", ["64:ff9b::8.8.8.8", "::ffff:8.8.8.8", "2002:808:808::1", "2606:4700:4700::1111"]
)
def test_a_wrapped_public_ipv4_address_stays_public(address: str) -> None:
    """The well-known NAT64 prefix and 6to4 reach the internet too: only what they wrap counts
    (the local-use NAT64 prefix is refused whole: where it puts the IPv4 address is the
    operator's choice)."""
    assert is_public(address)


@pytest.mark.parametrize("host", ["[::127.0.0.1]", "[64:ff9b::127.0.0.1]", "[2002:7f00:1::1]"])
async def test_a_request_to_a_wrapped_loopback_address_is_refused(
    services: ActionServices, host: str
) -> None:
    organization = await new_organization(services.database)
    request = action("http.request", {"url": f"http://{host}:9/"}, organization_id=organization)
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(HttpActivities(services).request, request)
    assert (caught.value.type, caught.value.non_retryable) == ("AddressNotAllowed", True)
