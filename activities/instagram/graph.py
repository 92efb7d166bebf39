"""One activity's conversation with the Graph API as one Instagram account."""

from __future__ import annotations

from typing import Any

import httpx

from activities.accounts.grants import json_object
from activities.accounts.tokens import AccountToken
from activities.instagram.errors import EXPIRED_TOKEN_CODE, GraphError
from activities.paths import path_segment
from activities.services import ActionServices
from activities.transports import Borrowed, Pool, pooled_transport
from app.store.accounts import set_account_status


class GraphSession:
    """Graph calls with the account's token in the `Authorization` header (never the URL)."""

    def __init__(self, services: ActionServices, organization_id: str, account_id: str) -> None:
        self.services = services
        self.organization_id = organization_id
        self.account_id = account_id
        self._token: AccountToken | None = None

    async def ig_user_id(self) -> str:
        token = await self._access_token()
        if token.external_id:
            return token.external_id
        return str((await self.get("me", {"fields": "id"}))["id"])

    async def get(
        self, node: str, params: dict[str, str], *, edge: str | None = None
    ) -> dict[str, Any]:
        """GET `/{node}` or `/{node}/{edge}`: `node` is an id (or `me`), encoded as one path
        segment whatever it holds; `edge` is one of the Graph API's names (`insights`)."""
        return await self._call("GET", node, edge, params)

    async def post(
        self, node: str, params: dict[str, str], *, edge: str | None = None
    ) -> dict[str, Any]:
        """POST to `/{node}` or `/{node}/{edge}`, as `get` reads them."""
        return await self._call("POST", node, edge, params)

    async def delete(self, node: str) -> dict[str, Any]:
        """DELETE `/{node}`."""
        return await self._call("DELETE", node, None, {})

    async def _call(
        self, method: str, node: str, edge: str | None, params: dict[str, str]
    ) -> dict[str, Any]:
        path = path_segment(node, "the Graph API node id") + (f"/{edge}" if edge else "")
        token = await self._access_token()
        endpoints = self.services.endpoints
        async with httpx.AsyncClient(
            transport=Borrowed(self.services.transports.get(GRAPH_POOL)),
            timeout=endpoints.request_timeout,
            trust_env=False,
        ) as client:
            response = await client.request(
                method,
                f"{endpoints.instagram_graph_url}/{path}",
                # Parameters as a form body for POST, as Meta documents them; query for GET.
                params=params if method != "POST" else None,
                data=params if method == "POST" else None,
                headers={"Authorization": f"Bearer {token.access_token}"},
            )
        body = json_object(response)
        if response.status_code == 200 and "error" not in body:
            return body
        error = GraphError.from_answer(response.status_code, body, response.headers)
        if error.code == EXPIRED_TOKEN_CODE:
            async with self.services.database.session() as session:
                await set_account_status(
                    session,
                    organization_id=self.organization_id,
                    account_id=self.account_id,
                    status="expired",
                )
        raise error

    async def _access_token(self) -> AccountToken:
        if self._token is None:
            self._token = await self.services.tokens.access_token(
                organization_id=self.organization_id,
                account_id=self.account_id,
                platform="instagram",
            )
        return self._token


GRAPH_POOL: Pool[httpx.AsyncHTTPTransport] = Pool(
    "instagram",
    make=lambda endpoints: pooled_transport(),
    close=lambda transport: transport.aclose(),
)
"""The worker's connections to the Graph API."""
