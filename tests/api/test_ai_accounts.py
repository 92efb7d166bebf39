"""AI accounts through the API: the key goes in sealed with its base URL and never comes out;
the provider and base URL are shown; bad input is a 422 that stores nothing. SQLite and
PostgreSQL, over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.utils.accounts_api import AccountsApi, accounts, accounts_api

__all__ = ["accounts", "accounts_api"]

KEY = "sk-secret-ai-key-0123456789"


async def test_an_ai_account_shows_its_provider_and_base_url_never_its_key(
    accounts: AccountsApi,
) -> None:
    created = await accounts.client.post(
        "/accounts/ai",
        json={"display_name": "Mistral", "provider": "openai", "api_key": KEY,
              "base_url": "https://api.mistral.ai/v1/"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["platform"] == "ai"
    assert account["credential"]["kind"] == "openai"
    assert account["base_url"] == "https://api.mistral.ai/v1"
    claude = await accounts.client.post(
        "/accounts/ai", json={"display_name": "Claude", "provider": "anthropic", "api_key": KEY}
    )
    assert claude.json()["base_url"] == "https://api.anthropic.com"
    listed = await accounts.client.get("/accounts", params={"platform": "ai"})
    assert listed.json()["count"] == 2
    read = await accounts.client.get(f"/accounts/{account['id']}")
    for answer in (created, claude, listed, read):
        assert KEY not in answer.text
    assert (await accounts.other.get(f"/accounts/{account['id']}")).status_code == 404


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"provider": "cohere"}, ["provider"]),
        ({"api_key": ""}, ["api_key"]),
        ({"api_key": "line\nbreak"}, ["api_key"]),
        ({"base_url": "ftp://models.example"}, ["base_url"]),
        ({"base_url": "https://user:pw@models.example/v1"}, ["base_url"]),
        ({"base_url": "https://models.example/v1?key=1"}, ["base_url"]),
        ({"extra": 1}, ["extra"]),
    ],
)
async def test_bad_ai_accounts_are_refused_naming_the_field_and_nothing_is_stored(
    accounts: AccountsApi, change: dict[str, Any], path: list[str]
) -> None:
    body = {"display_name": "AI", "provider": "openai", "api_key": KEY, **change}
    response = await accounts.client.post("/accounts/ai", json=body)
    assert response.status_code == 422
    assert ["body", *path] in [detail["path"] for detail in response.json()["error"]["details"]]
    assert KEY not in response.text
    assert (await accounts.client.get("/accounts")).json()["count"] == 0
