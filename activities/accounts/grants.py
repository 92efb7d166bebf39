"""Tokens as a platform hands them out, and the JSON answers they come in."""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from activities.errors import PlatformUnavailableError


@dataclass(frozen=True)
class TokenGrant:
    """An access token, maybe a refresh token, and how long the access token lives."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_in: float | None = None
    """Seconds from issue; None: the platform did not say."""
    scopes: tuple[str, ...] = ()

    def secret(self) -> dict[str, str]:
        """What the vault keeps of it."""
        sealed = {"access_token": self.access_token}
        if self.refresh_token:
            sealed["refresh_token"] = self.refresh_token
        return sealed

    def expires_at(self, now: datetime) -> datetime | None:
        return now + timedelta(seconds=self.expires_in) if self.expires_in is not None else None


def grant_from(body: dict[str, Any], platform: str) -> TokenGrant:
    """The grant in a token answer; a malformed one is the platform's fault, so retryable."""
    access_token = body.get("access_token")
    expires_in = body.get("expires_in")
    if not isinstance(access_token, str) or not access_token:
        raise PlatformUnavailableError(f"{platform} answered without an access token")
    refresh_token = body.get("refresh_token")
    scope = body.get("scope")
    return TokenGrant(
        access_token=access_token,
        refresh_token=refresh_token if isinstance(refresh_token, str) else None,
        expires_in=float(expires_in) if isinstance(expires_in, int | float) else None,
        scopes=tuple(scope.split()) if isinstance(scope, str) else (),
    )


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON object, or {} when it has none."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@functools.cache
def _tls() -> ssl.SSLContext:
    """httpx's own TLS context (its CA bundle, no SSL_CERT_FILE as proxies are not read either),
    made once: a client makes one each time otherwise, 30-50 ms of CPU per token request."""
    return httpx.create_ssl_context(trust_env=False)


async def send(
    method: str, url: str, *, platform: str, time_limit: float, **arguments: Any
) -> httpx.Response:
    """Send one request (`arguments` go to httpx); network trouble, 429 and 5xx become
    `PlatformUnavailableError`. Proxies from the environment are not used."""
    try:
        async with httpx.AsyncClient(timeout=time_limit, trust_env=False, verify=_tls()) as client:
            response = await client.request(method, url, **arguments)
    except httpx.HTTPError as error:
        raise PlatformUnavailableError(
            f"{platform} could not be reached: {type(error).__name__}"
        ) from None
    if response.status_code == 429 or response.status_code >= 500:
        raise PlatformUnavailableError(
            f"{platform} answered {response.status_code}; try again later",
            status=response.status_code,
        )
    return response
