"""Issue 15, point 8, on save: an action's templated account_id is stored and left to run
time; an `http.request` whose account is an X account and whose URL is not X's API is a 422
naming the URL (a token never goes elsewhere: tests/activities/test_run_time_accounts.py runs
both cases). SQLite and PostgreSQL, over real HTTP, with X played by the emulator."""

from __future__ import annotations

from typing import Any

from tests.utils.accounts_api import AccountsApi, accounts, accounts_api

__all__ = ["accounts", "accounts_api"]


async def x_account(accounts: AccountsApi) -> str:
    bot = accounts.emulator.add_x_user("runtimebot", name="Run Time Bot")
    response = await accounts.client.post(
        "/accounts/x/tokens",
        json={"access_token": bot.access_token, "refresh_token": bot.refresh_token,
              "expires_in": 7200, "scopes": ["tweet.read", "tweet.write"]},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    account_id: str = response.json()["id"]
    return account_id


def calling(url: str, account_id: str) -> dict[str, Any]:
    return {
        "name": "calls X",
        "graph": {
            "nodes": [
                {"id": "start", "type": "trigger.manual"},
                {"id": "call", "type": "http.request", "account_id": account_id,
                 "parameters": {"url": url}},
            ],
            "edges": [{"source": "start", "target": "call"}],
        },
    }  # fmt: skip


async def test_a_templated_account_is_stored_and_checked_when_it_runs(
    accounts: AccountsApi,
) -> None:
    graph = {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "p", "type": "x.post", "account_id": "{{ trigger.account }}",
             "parameters": {"text": "hi"}},
        ],
        "edges": [{"source": "start", "target": "p"}],
    }  # fmt: skip
    response = await accounts.client.post("/workflows", json={"name": "any", "graph": graph})
    assert response.status_code == 201, response.text


async def test_an_x_accounts_token_on_http_request_goes_only_to_the_x_api(
    accounts: AccountsApi,
) -> None:
    account = await x_account(accounts)
    own = calling(f"{accounts.emulator.url}/2/users/me", account)
    assert (await accounts.client.post("/workflows", json=own)).status_code == 201

    elsewhere = calling("https://collector.example/steal", account)
    response = await accounts.client.post("/workflows", json=elsewhere)
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["code"] == "token_host_not_allowed"
    assert detail["path"] == ["graph", "nodes", 1, "parameters", "url"]
    assert accounts.emulator.url in detail["message"]
    validated = await accounts.client.post(
        "/workflows/validate", json={"graph": elsewhere["graph"]}
    )
    assert validated.json()["valid"] is False
    assert [error["code"] for error in validated.json()["errors"]] == ["token_host_not_allowed"]

    # Known only at run time: stored, and refused by the action if it goes elsewhere then.
    templated = calling("{{ trigger.url }}", account)
    assert (await accounts.client.post("/workflows", json=templated)).status_code == 201
    listed = await accounts.client.get("/workflows", params={"name": "calls X"})
    assert listed.json()["count"] == 2
