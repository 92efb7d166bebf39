"""Applying an HTTP account's credential to a request, and keeping it off other hosts.

A credential goes only to the hosts its account names (`allowed_hosts`, sealed with it): a
request to any other host is refused before anything is sent. Within one request it stays
on the origin it was first sent to: a redirect elsewhere loses its headers and its query
parameters (httpx itself drops only `Authorization`, and only on a change of host).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from activities.endpoints import Origin, origin_of, show_origin
from activities.errors import PlatformError
from activities.http.hosts import host_allowed
from app.vault.credentials import ALLOWED_HOSTS_FIELD


class HostNotAllowedError(PlatformError):
    """The request's `host` is not one of the `allowed_hosts` the account's credential is for."""

    def __init__(
        self, *, host: str, allowed_hosts: tuple[str, ...], message: str | None = None
    ) -> None:
        super().__init__(message or _not_allowed(host, allowed_hosts))
        self.host = host
        self.allowed_hosts = allowed_hosts


def _not_allowed(host: str, allowed_hosts: tuple[str, ...]) -> str:
    if allowed_hosts:
        shown = ", ".join(allowed_hosts[:5]) + (", ..." if len(allowed_hosts) > 5 else "")
        return (
            f"the account's credential is for {shown}, not {host}: add the host to the "
            "account's allowed_hosts (PATCH /accounts/{id}) or call it without the account"
        )
    return (
        "the account's credential names no allowed hosts (it was stored before they "
        "were required): set its allowed_hosts with PATCH /accounts/{id}"
    )


@dataclass(frozen=True)
class AppliedCredential:
    """Headers and query parameters that carry a credential, and the hosts it is for."""

    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    query: Mapping[str, str] = field(default_factory=dict, repr=False)
    allowed_hosts: tuple[str, ...] | None = None
    """Host patterns (`activities.http.hosts`); None: no credential, any host."""
    platform: str | None = None
    """For a connected X or Instagram account's token: its platform, whose API `origins` are
    the only places the token may go (scheme, host and port, not a host pattern)."""
    origins: tuple[Origin, ...] = ()
    token: str | None = field(default=None, repr=False)
    """The platform token sent, to name it as refused when the platform answers 401."""

    def check_host(self, url: httpx.URL) -> None:
        """Raise `HostNotAllowedError` unless the credential may go to `url`'s host."""
        if self.platform is not None:
            if origin_of(str(url)) in self.origins:
                return
            shown = " or ".join(show_origin(found) for found in self.origins) or "nowhere"
            raise HostNotAllowedError(
                host=url.host,
                allowed_hosts=(),
                message=f"a {self.platform} account's token goes only to its API ({shown}), "
                f"not {url.host}: call other hosts without the account, or with an HTTP account",
            )
        if self.allowed_hosts is None or host_allowed(url.host, self.allowed_hosts):
            return
        raise HostNotAllowedError(host=url.host, allowed_hosts=self.allowed_hosts)


def apply_credential(kind: str, secret: Mapping[str, Any]) -> AppliedCredential:
    """What a credential of `kind` adds to a request (see `app.api.routes.accounts`)."""
    hosts = tuple(str(host) for host in secret.get(ALLOWED_HOSTS_FIELD) or ())
    if kind == "bearer":
        headers = {"Authorization": f"Bearer {secret['token']}"}
    elif kind == "basic":
        pair = base64.b64encode(f"{secret['username']}:{secret['password']}".encode()).decode()
        headers = {"Authorization": f"Basic {pair}"}
    elif kind == "header":
        headers = {str(secret["name"]): str(secret["value"])}
    elif kind == "query":
        query = {str(secret["name"]): str(secret["value"])}
        return AppliedCredential(query=query, allowed_hosts=hosts)
    else:
        raise ValueError(f"an http account cannot hold a {kind} credential")
    return AppliedCredential(headers=headers, allowed_hosts=hosts)


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def strip_on_other_origins(credential: AppliedCredential, first: httpx.URL) -> Any:
    """A request hook that removes the credential's headers and query parameters when a
    redirect leaves the origin the credential was given for."""

    async def hook(request: httpx.Request) -> None:
        if origin(request.url) == origin(first):
            return
        for name in credential.headers:
            request.headers.pop(name, None)
        for name in credential.query:
            # A Location that repeats our query would hand the parameter on otherwise.
            request.url = request.url.copy_remove_param(name)

    return hook
