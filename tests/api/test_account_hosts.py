"""An HTTP account's allowed hosts: shown by the accounts API (they are not secret) and changed
with PATCH without sending the secret again, which stays sealed and never comes out: not in
an answer, an error or a log. SQLite and PostgreSQL, over real HTTP."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import sqlalchemy as sa

from app.db.engine import Database, sync_url
from app.store.accounts import connect_account
from app.vault import Vault
from app.vault.credentials import load_credential
from tests.utils.accounts_api import (
    BAD_HOSTS,
    AccountsApi,
    accounts,
    accounts_api,
)

__all__ = ["accounts", "accounts_api"]

SECRET = "s3cret-bound-to-hosts"
CREDENTIAL = {"type": "header", "name": "X-Api-Key", "value": SECRET}
HOSTS = ["API.Example.com", "*.example.org", "api.example.com"]
STORED_HOSTS = ["api.example.com", "*.example.org"]
"""`HOSTS` as stored: lower case, each once."""


async def http_account(accounts: AccountsApi) -> dict[str, Any]:
    body = {"display_name": "Billing API", "credential": CREDENTIAL, "allowed_hosts": HOSTS}
    response = await accounts.client.post("/accounts/http", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def opened_secret(accounts: AccountsApi, account_id: str) -> dict[str, Any]:
    """The credential as the vault opens it, as an activity would read it."""
    database = Database(accounts.settings.resolved_database_url)
    try:
        async with database.session() as session:
            opened = await load_credential(
                session, Vault.from_spec(accounts.settings.vault_keys),
                organization_id=accounts.organization_id, account_id=account_id,
            )  # fmt: skip
    finally:
        await database.dispose()
    assert opened is not None
    return dict(opened.secret)


def credential_row(accounts: AccountsApi, account_id: str) -> tuple[int, bytes]:
    """The stored version and ciphertext of the account's credential."""
    engine = sa.create_engine(sync_url(accounts.settings.resolved_database_url))
    try:
        with engine.connect() as connection:
            query = sa.text("SELECT version, ciphertext FROM credential WHERE account_id = :a")
            version, ciphertext = connection.execute(query, {"a": account_id}).one()
            return int(version), bytes(ciphertext)
    finally:
        engine.dispose()


# Shown


async def test_an_http_accounts_hosts_are_shown_on_create_read_and_list(
    accounts: AccountsApi,
) -> None:
    created = await http_account(accounts)
    read = (await accounts.client.get(f"/accounts/{created['id']}")).json()
    [listed] = (await accounts.client.get("/accounts")).json()["data"]
    for account in (created, read, listed):
        assert account["allowed_hosts"] == STORED_HOSTS


async def test_a_credential_stored_before_hosts_were_required_shows_none_and_gets_them(
    accounts: AccountsApi,
) -> None:
    database = Database(accounts.settings.resolved_database_url)
    try:
        async with database.session() as session:
            legacy = await connect_account(
                session, Vault.from_spec(accounts.settings.vault_keys),
                organization_id=accounts.organization_id, platform="http",
                display_name="Legacy", kind="bearer", secret={"token": SECRET},
            )  # fmt: skip
    finally:
        await database.dispose()
    read = (await accounts.client.get(f"/accounts/{legacy.id}")).json()
    updated = await accounts.client.patch(
        f"/accounts/{legacy.id}", json={"allowed_hosts": ["api.example.com"]}
    )
    assert read["allowed_hosts"] == []
    assert updated.json()["allowed_hosts"] == ["api.example.com"]
    assert await opened_secret(accounts, legacy.id) == {
        "token": SECRET, "allowed_hosts": ["api.example.com"],
    }  # fmt: skip


async def test_other_platforms_show_no_hosts(accounts: AccountsApi) -> None:
    bot = accounts.emulator.add_x_user("hostless")
    response = await accounts.client.post(
        "/accounts/x/tokens", json={"access_token": bot.access_token}
    )
    assert response.json()["allowed_hosts"] is None


async def test_a_credential_the_vault_cannot_open_reads_without_hosts_and_cannot_change(
    accounts: AccountsApi,
) -> None:
    first, second = await http_account(accounts), await http_account(accounts)
    engine = sa.create_engine(sync_url(accounts.settings.resolved_database_url))
    try:
        with engine.begin() as connection:
            # Sealed for another row: it no longer opens for this one (as after a lost key).
            connection.execute(
                sa.text(
                    "UPDATE credential SET ciphertext = "
                    "(SELECT ciphertext FROM credential WHERE account_id = :other) "
                    "WHERE account_id = :mine"
                ),
                {"other": second["id"], "mine": first["id"]},
            )
    finally:
        engine.dispose()
    read = await accounts.client.get(f"/accounts/{first['id']}")
    listed = await accounts.client.get("/accounts")
    update = await accounts.client.patch(
        f"/accounts/{first['id']}", json={"allowed_hosts": ["api.example.net"]}
    )
    assert read.status_code == listed.status_code == 200
    assert read.json()["allowed_hosts"] is None
    assert update.status_code == 409
    assert "connect it again" in update.json()["error"]["message"]


# Changed


async def test_patch_rebinds_the_credential_to_other_hosts_keeping_its_secret(
    accounts: AccountsApi,
) -> None:
    created = await http_account(accounts)
    response = await accounts.client.patch(
        f"/accounts/{created['id']}", json={"allowed_hosts": ["hooks.example.net"]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["allowed_hosts"] == ["hooks.example.net"]
    assert response.json()["display_name"] == "Billing API"
    read = (await accounts.client.get(f"/accounts/{created['id']}")).json()
    assert read["allowed_hosts"] == ["hooks.example.net"]
    assert read["updated_at"] > created["updated_at"]
    assert await opened_secret(accounts, created["id"]) == {
        "name": "X-Api-Key", "value": SECRET, "allowed_hosts": ["hooks.example.net"],
    }  # fmt: skip


async def test_patch_without_hosts_renames_and_leaves_the_credential_alone(
    accounts: AccountsApi,
) -> None:
    created = await http_account(accounts)
    version = credential_row(accounts, created["id"])[0]
    response = await accounts.client.patch(
        f"/accounts/{created['id']}", json={"display_name": "Invoices", "allowed_hosts": None}
    )
    assert response.status_code == 200, response.text
    assert (response.json()["display_name"], response.json()["allowed_hosts"]) == (
        "Invoices",
        STORED_HOSTS,
    )
    assert credential_row(accounts, created["id"])[0] == version


@pytest.mark.parametrize(("allowed_hosts", "path"), BAD_HOSTS)
async def test_bad_hosts_are_refused_naming_the_field_and_nothing_changes(
    accounts: AccountsApi, allowed_hosts: list[str], path: list[str | int]
) -> None:
    created = await http_account(accounts)
    before = credential_row(accounts, created["id"])
    response = await accounts.client.patch(
        f"/accounts/{created['id']}",
        json={"display_name": "Renamed", "allowed_hosts": allowed_hosts},
    )
    assert response.status_code == 422
    assert ["body", *path] in [detail["path"] for detail in response.json()["error"]["details"]]
    read = (await accounts.client.get(f"/accounts/{created['id']}")).json()
    assert (read["display_name"], read["allowed_hosts"]) == ("Billing API", STORED_HOSTS)
    assert credential_row(accounts, created["id"]) == before


async def test_hosts_for_an_account_of_another_platform_are_refused(accounts: AccountsApi) -> None:
    bot = accounts.emulator.add_x_user("hostbot")
    account = (
        await accounts.client.post("/accounts/x/tokens", json={"access_token": bot.access_token})
    ).json()
    response = await accounts.client.patch(
        f"/accounts/{account['id']}",
        json={"display_name": "Renamed", "allowed_hosts": ["api.example.com"]},
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["path"] == ["body", "allowed_hosts"]
    read = (await accounts.client.get(f"/accounts/{account['id']}")).json()
    assert read["display_name"] == "@hostbot"


async def test_unknown_fields_are_refused(accounts: AccountsApi) -> None:
    created = await http_account(accounts)
    response = await accounts.client.patch(f"/accounts/{created['id']}", json={"platform": "x"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["path"] == ["body", "platform"]


async def test_another_organization_cannot_change_the_hosts(accounts: AccountsApi) -> None:
    created = await http_account(accounts)
    response = await accounts.other.patch(
        f"/accounts/{created['id']}", json={"allowed_hosts": ["attacker.example"]}
    )
    assert response.status_code == 404
    read = (await accounts.client.get(f"/accounts/{created['id']}")).json()
    assert read["allowed_hosts"] == STORED_HOSTS


# Never out


async def test_the_secret_never_leaves_through_answers_errors_or_logs(
    accounts: AccountsApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = await http_account(accounts)
    url = f"/accounts/{created['id']}"
    answers = [
        await accounts.client.get(url),
        await accounts.client.get("/accounts", params={"platform": "http"}),
        await accounts.client.patch(url, json={"allowed_hosts": ["hooks.example.net"]}),
        await accounts.client.patch(url, json={"allowed_hosts": ["https://bad/"]}),
        await accounts.client.patch(url, json={"allowed_hosts": ["x"], "value": SECRET}),
        await accounts.other.patch(url, json={"allowed_hosts": ["attacker.example"]}),
        await accounts.client.post(
            "/accounts/http",
            json={"display_name": "Bad", "allowed_hosts": ["*"],
                  "credential": {**CREDENTIAL, "value": f"{SECRET}\r\n"}},
        ),
    ]  # fmt: skip
    assert [answer.status_code for answer in answers] == [200, 200, 200, 422, 422, 404, 422]
    for answer in answers:
        assert SECRET not in answer.text
        assert "X-Api-Key" not in answer.text
    assert SECRET not in str(created)
    assert SECRET not in caplog.text
    assert SECRET.encode() not in credential_row(accounts, created["id"])[1]
