"""The hosts an HTTP credential may be sent to: `api.example.com` (that host only) or
`*.example.com` (any host below example.com, at any depth, not example.com itself).

Patterns are stored in the ASCII form httpx sends (IDNA, lower case, no trailing dot), and a
request's host is compared in the same form, so `Bücher.example` and `xn--bcher-kva.example`
are one host. Ports and schemes are not part of a pattern.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

import httpx

MAX_ALLOWED_HOSTS = 50
MAX_HOST_LENGTH = 253

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_WILDCARD = "*."


def _ascii_host(host: str) -> str:
    """`host` as httpx puts it on the wire; ValueError when httpx cannot."""
    try:
        raw = httpx.URL(f"http://{host}/").raw_host
    except (httpx.InvalidURL, UnicodeError) as error:
        raise ValueError(f"{host!r} is not a valid host name") from error
    return raw.decode("ascii").lower().rstrip(".")


def _ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.removeprefix("[").removesuffix("]")))
    except ValueError:
        return None


def normalize_host_pattern(value: str) -> str:
    """The stored form of one pattern; ValueError saying what is wrong otherwise."""
    pattern = value.strip()
    if not pattern:
        raise ValueError("must not be empty")
    if len(pattern) > MAX_HOST_LENGTH:
        raise ValueError(f"must be at most {MAX_HOST_LENGTH} characters")
    if "://" in pattern or any(char in pattern for char in "/?#@ \t\\"):
        raise ValueError("must be a host name such as api.example.com, without scheme or path")
    if pattern == "*":
        raise ValueError("'*' would allow every host: name the hosts the credential is for")
    address = _ip(pattern)
    if address is not None:
        return address
    if ":" in pattern:
        raise ValueError("must not include a port: the credential is bound to the host")
    wildcard = pattern.startswith(_WILDCARD)
    domain = _ascii_host(pattern.removeprefix(_WILDCARD))
    labels = domain.split(".")
    if "*" in domain or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError(
            "must be a host name such as api.example.com, or *.example.com for the hosts "
            "below it ('*' only as the whole first label)"
        )
    if wildcard and len(labels) < 2:
        raise ValueError(f"'*.{domain}' would allow a whole top-level domain")
    return _WILDCARD + domain if wildcard else domain


def pattern_covered(pattern: str, by: Iterable[str]) -> bool:
    """Whether every host stored `pattern` allows, one of the stored patterns `by` allows too
    (so replacing `by` with patterns that are all covered only narrows a credential)."""
    if not pattern.startswith(_WILDCARD):
        return host_allowed(pattern, by)
    domain = pattern[len(_WILDCARD) :]
    return any(
        other.startswith(_WILDCARD)
        and (domain == other[len(_WILDCARD) :] or domain.endswith(other[1:]))
        for other in by
    )


def host_allowed(host: str, patterns: Iterable[str]) -> bool:
    """Whether `host` (as a URL names it) matches one of the stored `patterns`."""
    address = _ip(host)
    try:
        name = address or _ascii_host(host)
    except ValueError:
        return False
    for pattern in patterns:
        if pattern.startswith(_WILDCARD):
            if address is None and name.endswith(pattern[1:]):
                return True
        elif name == pattern:
            return True
    return False
