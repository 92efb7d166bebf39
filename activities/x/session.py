"""One activity's conversation with X as one account: tweepy calls run in a thread, a 401
renews the token once, and X's user id is at hand for timeline checks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import tweepy

from activities.accounts.tokens import AccountToken
from activities.services import ActionServices
from activities.x.client import X_POOL, x_client

T = TypeVar("T")


class XSession:
    def __init__(self, services: ActionServices, organization_id: str, account_id: str) -> None:
        self.services = services
        self.organization_id = organization_id
        self.account_id = account_id
        self._token: AccountToken | None = None

    async def call(self, operation: Callable[[tweepy.Client], T]) -> T:
        """Run `operation` with a client for the account; after a 401, renew the token and
        try once more. tweepy's exceptions (and requests') propagate."""
        token = await self._access_token()
        try:
            return await self._in_thread(operation, token.access_token)
        except tweepy.Unauthorized:
            token = await self._access_token(refused=token.access_token)
            return await self._in_thread(operation, token.access_token)

    async def _in_thread(self, operation: Callable[[tweepy.Client], T], access_token: str) -> T:
        client = self._client(access_token)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.services.threads, operation, client)

    async def user_id(self) -> str:
        """The account's X user id (stored when it was connected; asked of X otherwise)."""
        token = await self._access_token()
        if token.external_id:
            return token.external_id
        me: dict[str, Any] = await self.call(lambda client: client.get_me(user_auth=False))
        return str(me["data"]["id"])

    async def _access_token(self, refused: str | None = None) -> AccountToken:
        if self._token is None or refused is not None:
            self._token = await self.services.tokens.access_token(
                organization_id=self.organization_id,
                account_id=self.account_id,
                platform="x",
                refused=refused,
            )
        return self._token

    def _client(self, access_token: str) -> tweepy.Client:
        return x_client(access_token, self.services.transports.get(X_POOL))
