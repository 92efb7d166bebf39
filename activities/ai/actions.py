"""The `ai.generate` activity: one chat request to the account's provider. Errors map in
`errors`; the request and the answer are the provider's (`providers`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
from temporalio import activity

from activities.accounts.failures import required_account
from activities.ai.errors import AiAnswerError, ai_failure_of
from activities.ai.nodes import AiGenerateParameters
from activities.ai.providers import CHAT_APIS, PROVIDERS, AiAccount
from activities.base import parse_parameters, platform_call
from activities.errors import AccountUnusableError
from activities.network import PERMIT_PRIVATE, GuardedTransport
from activities.services import ActionServices
from activities.transports import Borrowed, Pool
from app.contract.actions import ActionInput
from app.contract.failures import FailureType
from app.vault.credentials import AI_BASE_URL_FIELD

MAX_ANSWER_BYTES = 10_000_000
"""What a provider may answer at most: a base URL pointing at something else cannot flood
the worker."""

AI_POOL: Pool[GuardedTransport] = Pool(
    "ai", make=lambda endpoints: GuardedTransport(), close=lambda pool: pool.aclose()
)
"""Connections to AI providers: guarded like `http.request`'s, as an account's base URL is
the organization's choice (a local server is allowed where the organization may reach
private networks)."""


async def _read(response: httpx.Response) -> Any:
    content = bytearray()
    async for chunk in response.aiter_bytes():
        content += chunk
        if len(content) > MAX_ANSWER_BYTES:
            raise AiAnswerError(
                f"the provider's answer is larger than {MAX_ANSWER_BYTES} bytes",
                failure=FailureType.AiBadRequest,
            )
    try:
        return json.loads(bytes(content)) if content else None
    except (ValueError, RecursionError):
        return None


class AiActivities:
    """`ai.generate`, with the vault (the account's key) and the worker's guarded pool."""

    def __init__(self, services: ActionServices) -> None:
        self.services = services

    def all(self) -> list[Callable[..., Any]]:
        return [self.generate]

    @activity.defn(name="ai.generate")
    async def generate(self, action: ActionInput) -> dict[str, Any]:
        """Ask the account's provider and return the answer, checked, with its token usage."""
        params = parse_parameters(AiGenerateParameters, action)
        account_id = required_account(action, "AI")
        key: list[str] = []

        async def ask() -> dict[str, Any]:
            account = await self._account(action.organization_id, account_id)
            key.append(account.api_key)
            async with asyncio.timeout(params.timeout.total_seconds()):
                return await self._ask(params, account, action.organization_id)

        return await platform_call(
            ask, failure=lambda error: ai_failure_of(error, key[0] if key else None)
        )

    async def _account(self, organization_id: str, account_id: str) -> AiAccount:
        usable = await self.services.tokens.credential(
            organization_id=organization_id, account_id=account_id, platform="ai"
        )
        credential = usable.credential
        if credential.kind not in PROVIDERS:
            raise AccountUnusableError(f"account '{account_id}' holds no AI provider's key")
        return AiAccount(
            provider=credential.kind,
            base_url=str(credential.secret[AI_BASE_URL_FIELD]).rstrip("/"),
            api_key=str(credential.secret["api_key"]),
        )

    async def _ask(
        self, params: AiGenerateParameters, account: AiAccount, organization_id: str
    ) -> dict[str, Any]:
        api = CHAT_APIS[account.provider]
        call = api.call(params, account)
        async with (
            httpx.AsyncClient(
                transport=Borrowed(self.services.transports.get(AI_POOL)),
                timeout=params.timeout.total_seconds(),
                follow_redirects=False,
                trust_env=False,
            ) as client,
            client.stream(
                "POST",
                call.url,
                json=call.body,
                headers=call.headers,
                extensions={
                    PERMIT_PRIVATE: lambda: self.services.private_networks_allowed(organization_id)
                },
            ) as response,
        ):
            body = await _read(response)
        if not response.is_success:
            raise api.error(response.status_code, body, response.headers)
        return api.answer(params, body).output(account.provider)
