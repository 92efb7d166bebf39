"""Importing an exported workflow into another organization, its accounts mapped to that
organization's own, over real HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ApiHarness
from tests.utils.api import create_workflow, foreign_client, manual_then


async def http_account(client: httpx.AsyncClient) -> str:
    body = {
        "display_name": "Billing API",
        "credential": {"type": "bearer", "token": "secret-bearer-token"},
        "allowed_hosts": ["api.example.com"],
    }
    response = await client.post("/accounts/http", json=body)
    assert response.status_code == 201, response.text
    account_id: str = response.json()["id"]
    return account_id


def calling(account_id: str) -> dict[str, Any]:
    return manual_then(
        {
            "id": "call",
            "type": "http.request",
            "account_id": account_id,
            "parameters": {"method": "GET", "url": "https://api.example.com/invoices"},
        }
    )


async def exported(api: ApiHarness) -> tuple[str, dict[str, Any]]:
    account_id = await http_account(api.client)
    workflow_id = await create_workflow(api.client, calling(account_id))
    document: dict[str, Any] = (await api.client.get(f"/workflows/{workflow_id}/export")).json()
    return account_id, document


async def test_an_import_elsewhere_takes_a_mapping_of_its_accounts(api: ApiHarness) -> None:
    theirs, document = await exported(api)
    async with await foreign_client(api) as other:
        refused = await other.post("/workflows/import", json=document)
        assert refused.status_code == 422
        assert refused.json()["error"]["details"][0]["code"] == "unknown_account"
        mine = await http_account(other)
        imported = await other.post(
            "/workflows/import", json={**document, "accounts": {theirs: mine}}
        )
        assert imported.status_code == 201, imported.text
        version = await other.get(f"/workflows/{imported.json()['id']}/versions/1")
        [_, call] = version.json()["graph"]["nodes"]
        assert call["account_id"] == mine


async def test_a_mapping_of_an_account_no_node_uses_is_a_422(api: ApiHarness) -> None:
    theirs, document = await exported(api)
    async with await foreign_client(api) as other:
        mine = await http_account(other)
        response = await other.post(
            "/workflows/import",
            json={**document, "accounts": {theirs: mine, "acc_typo": mine}},
        )
        assert response.status_code == 422
        [detail] = response.json()["error"]["details"]
        assert detail["path"] == ["body", "accounts", "acc_typo"]
        assert (await other.get("/workflows")).json()["count"] == 0
