"""How each platform's tokens are renewed: the policies `TokenKeeper` follows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from app.platforms.endpoints import PlatformEndpoints
from app.platforms.grants import TokenGrant
from app.platforms.instagram_tokens import InstagramTokens
from app.platforms.tokens import RefreshPolicy
from app.platforms.x_oauth import XOAuth

X_REFRESH_MARGIN = timedelta(minutes=5)
"""X access tokens live 2 hours; renew a little early so a call never starts with a dying one."""
INSTAGRAM_REFRESH_MARGIN = timedelta(days=7)
"""Long-lived Instagram tokens live 60 days and renew into another 60 from any valid one."""


def refresh_policies(endpoints: PlatformEndpoints) -> Mapping[str, RefreshPolicy]:
    x, instagram = XOAuth(endpoints), InstagramTokens(endpoints)

    async def refresh_x(secret: Mapping[str, Any]) -> TokenGrant:
        return await x.refresh(str(secret["refresh_token"]))

    async def refresh_instagram(secret: Mapping[str, Any]) -> TokenGrant:
        return await instagram.refresh(str(secret["access_token"]))

    return {
        "x": RefreshPolicy(refresh_x, X_REFRESH_MARGIN),
        "instagram": RefreshPolicy(
            refresh_instagram, INSTAGRAM_REFRESH_MARGIN, needs="access_token"
        ),
    }
