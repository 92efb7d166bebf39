"""X's OAuth 2.0 Authorization Code flow with PKCE: the authorize URL, the code exchange,
refresh (refresh tokens are single-use and rotate), revocation, and who the token is for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from activities.accounts.grants import TokenGrant, grant_from, json_object, send
from activities.accounts.tokens import RefreshPolicy
from activities.endpoints import PlatformEndpoints
from activities.errors import ClientRejectedError, GrantRevokedError, PlatformRefusedError

X_SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access", "media.write")
"""What our X actions need; `offline.access` brings the refresh token, `media.write` uploads."""


@dataclass(frozen=True)
class XUser:
    id: str
    username: str
    name: str


class XOAuth:
    """One X app's OAuth 2.0 client."""

    def __init__(self, endpoints: PlatformEndpoints) -> None:
        self.endpoints = endpoints

    def authorize_url(
        self, *, state: str, code_challenge: str, scopes: tuple[str, ...] = X_SCOPES
    ) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.endpoints.x_client_id,
                "redirect_uri": self.endpoints.x_redirect_uri,
                "scope": " ".join(scopes),
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.endpoints.x_authorize_url}?{query}"

    async def exchange_code(self, *, code: str, code_verifier: str) -> TokenGrant:
        return await self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.endpoints.x_redirect_uri,
                "code_verifier": code_verifier,
            }
        )

    async def refresh(self, refresh_token: str) -> TokenGrant:
        """A new token pair; `refresh_token` is spent whether or not the answer arrives."""
        return await self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def revoke(self, token: str) -> None:
        response = await self._post("/2/oauth2/revoke", {"token": token})
        if response.status_code != 200:
            raise PlatformRefusedError(
                f"X did not revoke the token ({response.status_code})", status=response.status_code
            )

    async def me(self, access_token: str) -> XUser:
        """The user the token acts for."""
        response = await send(
            "GET",
            f"{self.endpoints.x_api_base_url}/2/users/me",
            headers={"Authorization": f"Bearer {access_token}"},
            platform="X",
            time_limit=self.endpoints.request_timeout,
        )
        data = json_object(response).get("data")
        if response.status_code == 401:
            raise GrantRevokedError("X refused the access token", status=401)
        if response.status_code != 200 or not isinstance(data, dict):
            raise PlatformRefusedError(
                f"X answered {response.status_code} when asked who the token is for",
                status=response.status_code,
            )
        return XUser(id=str(data["id"]), username=str(data["username"]), name=str(data["name"]))

    async def _post(self, path: str, form: dict[str, str]) -> httpx.Response:
        endpoints = self.endpoints
        auth: tuple[str, str] | None = None
        if endpoints.x_client_secret:
            auth = (endpoints.x_client_id, endpoints.x_client_secret)
        else:
            form = {**form, "client_id": endpoints.x_client_id}
        return await send(
            "POST",
            f"{endpoints.x_api_base_url}{path}",
            data=form,
            auth=auth,
            headers={"Accept": "application/json"},
            platform="X",
            time_limit=endpoints.request_timeout,
        )

    async def _token(self, form: dict[str, str]) -> TokenGrant:
        response = await self._post("/2/oauth2/token", form)
        body = json_object(response)
        if response.status_code == 200:
            return grant_from(body, "X")
        error = str(body.get("error", "error"))
        description = str(body.get("error_description", "")).strip()
        if error == "invalid_grant":
            raise GrantRevokedError(
                f"X refused the grant: {description or error}", status=response.status_code
            )
        if error == "invalid_client":
            raise ClientRejectedError(
                "X refused this app's client credentials: check X_CLIENT_ID and X_CLIENT_SECRET",
                status=response.status_code,
            )
        raise PlatformRefusedError(
            f"X's token endpoint answered {response.status_code}: {error} {description}".strip(),
            status=response.status_code,
        )


REFRESH_MARGIN = timedelta(minutes=5)
"""X access tokens live 2 hours; renew a little early so a call never starts with a dying one."""


def refresh_policy(endpoints: PlatformEndpoints) -> RefreshPolicy:
    """Renew with the (single-use, rotating) refresh token."""
    oauth = XOAuth(endpoints)

    async def refresh(secret: Mapping[str, Any]) -> TokenGrant:
        return await oauth.refresh(str(secret["refresh_token"]))

    return RefreshPolicy(refresh, REFRESH_MARGIN)
