"""Applying an HTTP account's credential to a request, and keeping it off other hosts."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True)
class AppliedCredential:
    """Headers and query parameters that carry a credential, for one origin only."""

    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    query: Mapping[str, str] = field(default_factory=dict, repr=False)


def apply_credential(kind: str, secret: Mapping[str, Any]) -> AppliedCredential:
    """What a credential of `kind` adds to a request (see `app.api.routes.accounts`)."""
    if kind == "bearer":
        return AppliedCredential(headers={"Authorization": f"Bearer {secret['token']}"})
    if kind == "basic":
        pair = f"{secret['username']}:{secret['password']}".encode()
        return AppliedCredential(
            headers={"Authorization": f"Basic {base64.b64encode(pair).decode()}"}
        )
    if kind == "header":
        return AppliedCredential(headers={str(secret["name"]): str(secret["value"])})
    if kind == "query":
        return AppliedCredential(query={str(secret["name"]): str(secret["value"])})
    raise ValueError(f"an http account cannot hold a {kind} credential")


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def strip_on_other_origins(credential: AppliedCredential, first: httpx.URL) -> Any:
    """A request hook that removes the credential's headers when a redirect leaves the origin
    the credential was given for (httpx drops `Authorization` itself, not custom headers)."""

    async def hook(request: httpx.Request) -> None:
        if origin(request.url) != origin(first):
            for name in credential.headers:
                request.headers.pop(name, None)

    return hook
