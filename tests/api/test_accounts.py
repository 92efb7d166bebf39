"""The accounts API: HTTP credentials and pasted X tokens go in sealed and never come out;
lists, reads and deletes are scoped to the organization; bad input is a 422 that stores
nothing. SQLite and PostgreSQL, over real HTTP, with X played by the emulator."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.db.engine import Database, sync_url
from app.store.api_keys import issue_key
from tests.utils.accounts_api import (
    BAD_HOSTS,
    AccountsApi,
    accounts,
    accounts_api,
)

__all__ = ["accounts", "accounts_api"]

HOSTS = ["api.example.com", "*.example.org"]
CREDENTIALS: list[dict[str, str]] = [
    {"type": "bearer", "token": "secret-bearer-token"},
    {"type": "basic", "username": "ada", "password": "secret-password"},
    {"type": "header", "name": "X-Api-Key", "value": "secret-header-value"},
    {"type": "query", "name": "api_key", "value": "secret-query-value"},
]


def credential_rows(accounts: AccountsApi) -> list[Any]:
    """The organization's credential rows, as stored."""
    engine = sa.create_engine(sync_url(accounts.settings.resolved_database_url))
    try:
        with engine.connect() as connection:
            query = sa.text(
                "SELECT account_id, ciphertext FROM credential WHERE organization_id = :o"
            )
            return list(connection.execute(query, {"o": accounts.organization_id}))
    finally:
        engine.dispose()


async def http_account(accounts: AccountsApi, credential: dict[str, str]) -> dict[str, Any]:
    body = {"display_name": "Billing API", "credential": credential, "allowed_hosts": HOSTS}
    response = await accounts.client.post("/accounts/http", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


# HTTP credentials


@pytest.mark.parametrize(
    ("allowed_hosts", "path"), [pytest.param(None, ["allowed_hosts"], id="missing"), *BAD_HOSTS]
)
async def test_allowed_hosts_are_required_and_checked_and_nothing_is_stored(
    accounts: AccountsApi, allowed_hosts: list[str] | None, path: list[str | int]
) -> None:
    body: dict[str, Any] = {"display_name": "Bad", "credential": CREDENTIALS[0]}
    if allowed_hosts is not None:
        body["allowed_hosts"] = allowed_hosts
    response = await accounts.client.post("/accounts/http", json=body)
    assert response.status_code == 422
    assert ["body", *path] in [detail["path"] for detail in response.json()["error"]["details"]]
    assert "secret-" not in response.text
    assert (await accounts.client.get("/accounts")).json()["count"] == 0


@pytest.mark.parametrize("credential", CREDENTIALS, ids=lambda c: c["type"])
async def test_an_http_credential_is_stored_sealed_and_never_returned(
    accounts: AccountsApi, credential: dict[str, str]
) -> None:
    created = await http_account(accounts, credential)
    read = await accounts.client.get(f"/accounts/{created['id']}")
    listed = await accounts.client.get("/accounts")
    assert created["credential"] == {"kind": credential["type"], "expires_at": None}
    assert (created["platform"], created["status"]) == ("http", "active")
    for text in (str(created), read.text, listed.text):
        assert "secret-" not in text
    [(_, ciphertext)] = credential_rows(accounts)
    assert b"secret-" not in bytes(ciphertext)


@pytest.mark.parametrize(
    ("credential", "path"),
    [
        ({"type": "header", "name": "Bad Header", "value": "v"}, ["credential", "header", "name"]),
        ({"type": "header", "name": "Host", "value": "v"}, ["credential", "header", "name"]),
        ({"type": "bearer", "token": "a\r\nInjected: yes"}, ["credential", "bearer", "token"]),
        ({"type": "basic", "username": "a:b", "password": "p"},
         ["credential", "basic", "username"]),
        ({"type": "bearer", "token": ""}, ["credential", "bearer", "token"]),
        ({"type": "oauth1", "token": "t"}, ["credential"]),
        ({"type": "bearer", "token": "t", "extra": 1}, ["credential", "bearer", "extra"]),
    ],
)  # fmt: skip
async def test_a_bad_credential_is_refused_naming_the_field_and_nothing_is_stored(
    accounts: AccountsApi, credential: dict[str, Any], path: list[str]
) -> None:
    response = await accounts.client.post(
        "/accounts/http",
        json={"display_name": "Bad", "credential": credential, "allowed_hosts": HOSTS},
    )
    assert response.status_code == 422
    assert ["body", *path] in [detail["path"][: len(path) + 1] for detail in
                               response.json()["error"]["details"]]  # fmt: skip
    assert (await accounts.client.get("/accounts")).json()["count"] == 0


async def test_a_read_only_key_cannot_connect_accounts(accounts: AccountsApi) -> None:
    database = Database(accounts.settings.resolved_database_url)
    try:
        async with database.session() as session:
            key = await issue_key(
                session, organization_id=accounts.organization_id, name="ro", scope="read",
                secret_key=accounts.settings.secret_key,
            )  # fmt: skip
            await session.commit()
    finally:
        await database.dispose()
    response = await accounts.client.post(
        "/accounts/http",
        json={"display_name": "x", "credential": CREDENTIALS[0], "allowed_hosts": HOSTS},
        headers={"Authorization": f"Bearer {key.secret}"},
    )
    assert response.status_code == 403


# Listing, reading, deleting


async def test_accounts_are_listed_by_platform_and_page(accounts: AccountsApi) -> None:
    for credential in CREDENTIALS:
        await http_account(accounts, credential)
    ada = accounts.emulator.add_x_user("ada")
    await accounts.client.post("/accounts/x/tokens", json={"access_token": ada.access_token})
    everything = (await accounts.client.get("/accounts")).json()
    http_only = (await accounts.client.get("/accounts", params={"platform": "http"})).json()
    page = (await accounts.client.get("/accounts", params={"offset": 1, "limit": 2})).json()
    assert everything["count"] == 5
    assert http_only["count"] == 4
    assert [a["id"] for a in page["data"]] == [a["id"] for a in everything["data"][1:3]]
    bad = await accounts.client.get("/accounts", params={"platform": "myspace", "limit": 0})
    assert bad.status_code == 422


async def test_a_deleted_account_and_its_credential_are_gone(accounts: AccountsApi) -> None:
    created = await http_account(accounts, CREDENTIALS[0])
    assert (await accounts.client.delete(f"/accounts/{created['id']}")).status_code == 204
    assert (await accounts.client.get(f"/accounts/{created['id']}")).status_code == 404
    assert credential_rows(accounts) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/accounts/{id}"), ("DELETE", "/accounts/{id}"), ("POST", "/accounts/{id}/refresh")],
)
async def test_another_organizations_account_is_not_found(
    accounts: AccountsApi, method: str, path: str
) -> None:
    created = await http_account(accounts, CREDENTIALS[0])
    response = await accounts.other.request(method, path.format(id=created["id"]))
    assert response.status_code == 404
    assert (await accounts.other.get("/accounts")).json()["count"] == 0
    assert (await accounts.client.get(f"/accounts/{created['id']}")).status_code == 200


# Pasted X tokens


async def test_pasted_x_tokens_are_checked_with_x_and_connect_a_bot_account(
    accounts: AccountsApi,
) -> None:
    bot = accounts.emulator.add_x_user("newsbot", name="News Bot")
    response = await accounts.client.post(
        "/accounts/x/tokens",
        json={"access_token": bot.access_token, "refresh_token": bot.refresh_token,
              "expires_in": 7200, "scopes": ["tweet.read", "tweet.write"]},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    account = response.json()
    assert (account["display_name"], account["external_id"]) == ("@newsbot", bot.user_id)
    assert account["credential"]["kind"] == "oauth2"
    assert account["credential"]["expires_at"] is not None
    assert bot.access_token not in response.text
    assert str(bot.refresh_token) not in response.text


async def test_pasting_the_same_x_account_again_updates_it(accounts: AccountsApi) -> None:
    bot = accounts.emulator.add_x_user("newsbot")
    first = await accounts.client.post(
        "/accounts/x/tokens", json={"access_token": bot.access_token}
    )
    again = accounts.emulator.issue_x_tokens("newsbot")
    second = await accounts.client.post(
        "/accounts/x/tokens", json={"access_token": again.access_token}
    )
    assert first.json()["id"] == second.json()["id"]
    assert (await accounts.client.get("/accounts")).json()["count"] == 1


async def test_a_token_x_refuses_is_a_422_on_the_token_and_stores_nothing(
    accounts: AccountsApi,
) -> None:
    response = await accounts.client.post(
        "/accounts/x/tokens", json={"access_token": "not-a-token-x-knows"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["path"] == ["body", "access_token"]
    assert "not-a-token-x-knows" not in response.text
    assert (await accounts.client.get("/accounts")).json()["count"] == 0


async def test_x_being_down_is_a_503_not_a_crash(accounts: AccountsApi) -> None:
    bot = accounts.emulator.add_x_user("newsbot")
    accounts.emulator.fail_next("GET", "/2/users/me", status=503)
    response = await accounts.client.post(
        "/accounts/x/tokens", json={"access_token": bot.access_token}
    )
    assert response.status_code == 503
    assert response.json()["error"]["type"] == "service_unavailable"
