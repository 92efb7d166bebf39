"""Instagram long-lived tokens: who a token is for, and renewing it (another 60 days)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from activities.accounts.grants import TokenGrant, grant_from, json_object, send
from activities.accounts.tokens import RefreshPolicy
from activities.endpoints import PlatformEndpoints
from activities.errors import GrantRevokedError, PlatformRefusedError

EXPIRED_TOKEN_CODE = 190


@dataclass(frozen=True)
class InstagramUser:
    id: str
    username: str


class InstagramTokens:
    def __init__(self, endpoints: PlatformEndpoints) -> None:
        self.endpoints = endpoints

    async def user(self, access_token: str) -> InstagramUser:
        """The professional account the token is for."""
        body = await self._get(
            f"{self.endpoints.instagram_graph_url}/me", {"fields": "id,username"}, access_token
        )
        return InstagramUser(id=str(body["id"]), username=str(body.get("username", "")))

    async def refresh(self, access_token: str) -> TokenGrant:
        body = await self._get(
            f"{self.endpoints.instagram_api_base_url}/refresh_access_token",
            {"grant_type": "ig_refresh_token"},
            access_token,
        )
        return grant_from(body, "Instagram")

    async def _get(self, url: str, query: dict[str, str], access_token: str) -> dict[str, object]:
        response = await send(
            "GET",
            url,
            # In a header, not the query Meta's samples use: URLs end up in logs.
            params=query,
            headers={"Authorization": f"Bearer {access_token}"},
            platform="Instagram",
            time_limit=self.endpoints.request_timeout,
        )
        body = json_object(response)
        if response.status_code == 200:
            return body
        error = body.get("error")
        detail = error if isinstance(error, dict) else {}
        message = str(detail.get("message", f"HTTP {response.status_code}"))
        if detail.get("code") == EXPIRED_TOKEN_CODE:
            raise GrantRevokedError(f"Instagram refused the token: {message}", status=190)
        raise PlatformRefusedError(f"Instagram refused the request: {message}", status=400)


REFRESH_MARGIN = timedelta(days=7)
"""Long-lived Instagram tokens live 60 days and renew into another 60 from any valid one."""


def refresh_policy(endpoints: PlatformEndpoints) -> RefreshPolicy:
    """Renew a long-lived token with itself."""
    tokens = InstagramTokens(endpoints)

    async def refresh(secret: Mapping[str, Any]) -> TokenGrant:
        return await tokens.refresh(str(secret["access_token"]))

    return RefreshPolicy(refresh, REFRESH_MARGIN, needs="access_token")
