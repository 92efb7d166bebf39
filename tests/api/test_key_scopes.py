"""API keys have scopes: `read` reads; `write` also changes workflows, runs, events and
decisions; `admin` also manages keys, accounts and the organization. Keys may expire, and
show when they were last used. A write key may narrow an HTTP credential's hosts, never
widen them without the secret (else it could send the secret to a server of its own)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.db.engine import sync_url
from app.db.types import utcnow
from tests.api.test_account_hosts import (
    CREDENTIAL,
    SECRET,
    STORED_HOSTS,
    http_account,
    opened_secret,
)
from tests.utils.accounts_api import AccountsApi, accounts, accounts_api

__all__ = ["accounts", "accounts_api"]

GRAPH = {"nodes": [{"id": "start", "type": "trigger.manual"}], "edges": []}


async def key_of(accounts: AccountsApi, **body: Any) -> str:
    response = await accounts.client.post("/api-keys", json={"name": "scoped", **body})
    assert response.status_code == 201, response.text
    secret: str = response.json()["key"]
    return secret


def as_key(accounts: AccountsApi, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=accounts.url, headers={"Authorization": f"Bearer {key}"})


ADMIN_ONLY = [
    ("POST", "/api-keys", {"name": "more"}),
    ("GET", "/api-keys", None),
    ("POST", "/accounts/http", {"display_name": "x", "credential": CREDENTIAL,
                                "allowed_hosts": ["api.example.com"]}),
    ("POST", "/accounts/x/authorize", None),
    ("PATCH", "/organization", {"name": "Taken over"}),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
async def test_a_write_key_cannot_manage_keys_accounts_or_the_organization(
    accounts: AccountsApi, method: str, path: str, body: dict[str, Any] | None
) -> None:
    async with as_key(accounts, await key_of(accounts, scope="write")) as writer:
        answer = await writer.request(method, path, json=body)

    assert answer.status_code == 403
    assert "needs a key of scope 'admin'" in answer.json()["error"]["message"]


async def test_a_write_key_cannot_revoke_the_admin_key(accounts: AccountsApi) -> None:
    admin_key_id = (await accounts.client.get("/api-keys")).json()["data"][0]["id"]
    async with as_key(accounts, await key_of(accounts, scope="write")) as writer:
        answer = await writer.delete(f"/api-keys/{admin_key_id}")

    assert answer.status_code == 403
    assert (await accounts.client.get("/organization")).status_code == 200


async def test_a_write_key_works_on_workflows_and_reads_accounts(accounts: AccountsApi) -> None:
    async with as_key(accounts, await key_of(accounts)) as writer:  # write is the default
        created = await writer.post("/workflows", json={"name": "w", "graph": GRAPH})
        listed = await writer.get("/accounts")

    assert created.status_code == 201
    assert listed.status_code == 200


async def test_a_read_key_reads_and_writes_nothing(accounts: AccountsApi) -> None:
    async with as_key(accounts, await key_of(accounts, scope="read")) as reader:
        read = await reader.get("/workflows")
        written = await reader.post("/workflows", json={"name": "w", "graph": GRAPH})

    assert read.status_code == 200
    assert written.status_code == 403
    assert "scope is 'read'" in written.json()["error"]["message"]


async def test_an_admin_key_issues_keys_of_every_scope_and_sees_their_use(
    accounts: AccountsApi,
) -> None:
    issued = {scope: await key_of(accounts, scope=scope) for scope in ("read", "write", "admin")}
    async with as_key(accounts, issued["read"]) as reader:
        await reader.get("/workflows")

    keys = {key["prefix"]: key for key in (await accounts.client.get("/api-keys")).json()["data"]}
    shown = {scope: keys[secret[:10]] for scope, secret in issued.items()}
    assert {scope: key["scope"] for scope, key in shown.items()} == {
        "read": "read", "write": "write", "admin": "admin"
    }  # fmt: skip
    assert shown["read"]["read_only"] is True
    assert shown["read"]["last_used_at"] is not None
    assert shown["write"]["last_used_at"] is None


async def test_an_expired_key_authenticates_nothing(accounts: AccountsApi) -> None:
    later = (utcnow() + timedelta(days=1)).isoformat()
    key = await key_of(accounts, expires_at=later)
    key_id = next(
        key_["id"] for key_ in (await accounts.client.get("/api-keys")).json()["data"]
        if key_["prefix"] == key[:10]
    )  # fmt: skip
    async with as_key(accounts, key) as holder:
        assert (await holder.get("/workflows")).status_code == 200
        engine = sa.create_engine(sync_url(accounts.settings.resolved_database_url))
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE api_key SET expires_at = :past WHERE id = :id"),
                {"past": utcnow() - timedelta(seconds=1), "id": key_id},
            )
        engine.dispose()
        answer = await holder.get("/workflows")

    assert answer.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "owner"}, "scope"),
        ({"scope": "write", "read_only": True}, None),
        ({"expires_at": "2020-01-01T00:00:00Z"}, None),
        ({"expires_at": "2027-01-01T00:00:00"}, "expires_at"),
        ({"expires_at": "2999-01-01T00:00:00Z"}, None),
    ],
)
async def test_a_key_asked_for_wrongly_is_a_422(
    accounts: AccountsApi, body: dict[str, Any], field: str | None
) -> None:
    answer = await accounts.client.post("/api-keys", json={"name": "k", **body})

    assert answer.status_code == 422
    if field is not None:
        assert answer.json()["error"]["details"][0]["path"][:2] == ["body", field]


async def test_a_write_key_may_narrow_a_credentials_hosts(accounts: AccountsApi) -> None:
    account = await http_account(accounts)  # api.example.com and *.example.org
    async with as_key(accounts, await key_of(accounts, scope="write")) as writer:
        answer = await writer.patch(
            f"/accounts/{account['id']}", json={"allowed_hosts": ["eu.example.org"]}
        )

    assert answer.status_code == 200, answer.text
    assert answer.json()["allowed_hosts"] == ["eu.example.org"]


@pytest.mark.parametrize(
    "wider",
    [["attacker.example"], ["api.example.com", "*.example.com"], ["example.org"]],
)
async def test_a_write_key_cannot_widen_a_credentials_hosts(
    accounts: AccountsApi, wider: list[str]
) -> None:
    account = await http_account(accounts)
    async with as_key(accounts, await key_of(accounts, scope="write")) as writer:
        answer = await writer.patch(f"/accounts/{account['id']}", json={"allowed_hosts": wider})

    assert answer.status_code == 403
    assert answer.json()["error"]["details"][0]["path"] == ["body", "allowed_hosts"]
    assert SECRET not in answer.text
    assert (await opened_secret(accounts, account["id"]))["allowed_hosts"] == STORED_HOSTS


async def test_a_write_key_may_widen_when_it_sends_the_credential_again(
    accounts: AccountsApi,
) -> None:
    account = await http_account(accounts)
    replacement = {"type": "bearer", "token": "a-new-token"}
    async with as_key(accounts, await key_of(accounts, scope="write")) as writer:
        answer = await writer.patch(
            f"/accounts/{account['id']}",
            json={"allowed_hosts": ["api.other.example"], "credential": replacement},
        )

    assert answer.status_code == 200, answer.text
    assert answer.json()["credential"]["kind"] == "bearer"
    opened = await opened_secret(accounts, account["id"])
    assert opened == {"token": "a-new-token", "allowed_hosts": ["api.other.example"]}


async def test_an_admin_key_may_widen_a_credentials_hosts(accounts: AccountsApi) -> None:
    account = await http_account(accounts)
    answer = await accounts.client.patch(
        f"/accounts/{account['id']}", json={"allowed_hosts": [*STORED_HOSTS, "api.partner.example"]}
    )

    assert answer.status_code == 200, answer.text
    assert (await opened_secret(accounts, account["id"]))["value"] == SECRET
