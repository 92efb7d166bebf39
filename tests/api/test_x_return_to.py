"""Connecting X from a builder page: started with `return_to`, the callback sends the browser
back to that page (`303`) with the account or the error, instead of answering JSON."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.utils.accounts_api import AccountsApi, accounts, accounts_api
from tests.utils.servers import http_client

__all__ = ["accounts", "accounts_api"]


async def consent(accounts: AccountsApi, return_to: str, login: str = "ada") -> dict[str, str]:
    """Start with `return_to`, approve on the emulator's consent page: the callback's query."""
    started = await accounts.client.post("/accounts/x/authorize", json={"return_to": return_to})
    assert started.status_code == 201, started.text
    async with http_client() as browser:
        url = started.json()["authorize_url"]
        answer = await browser.get(f"{url}&{urlencode({'login_hint': login})}")
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    return {name: values[0] for name, values in query.items()}


async def callback(
    accounts: AccountsApi, query: dict[str, str], *, same_browser: bool = True
) -> httpx.Response:
    cookies = accounts.client.cookies if same_browser else None
    async with http_client(base_url=accounts.url, cookies=cookies) as browser:
        return await browser.get("/accounts/x/callback", params=query)


def sent_back_to(response: httpx.Response) -> tuple[str, dict[str, str]]:
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc) == ("", "")
    return location.path, {name: values[0] for name, values in parse_qs(location.query).items()}


async def test_the_callback_sends_the_browser_back_with_the_account(accounts: AccountsApi) -> None:
    accounts.emulator.add_x_user("ada")
    response = await callback(accounts, await consent(accounts, "/ui/accounts"))
    path, query = sent_back_to(response)
    listed = (await accounts.client.get("/accounts")).json()["data"]
    assert (path, query) == ("/ui/accounts", {"connected": listed[0]["id"]})
    assert listed[0]["display_name"] == "@ada"


async def test_a_return_to_with_a_query_keeps_it(accounts: AccountsApi) -> None:
    accounts.emulator.add_x_user("ada")
    response = await callback(accounts, await consent(accounts, "/ui/accounts?tab=x"))
    path, query = sent_back_to(response)
    assert path == "/ui/accounts"
    assert query["tab"] == "x"
    assert query["connected"].startswith("acc_")


async def test_a_person_who_declines_is_sent_back_with_the_reason(accounts: AccountsApi) -> None:
    query = await consent(accounts, "/ui/accounts", login="nobody")  # the emulator denies
    path, back = sent_back_to(await callback(accounts, query))
    assert (path, back["error"]) == ("/ui/accounts", "access_denied")
    assert "No such X user" in back["message"]
    assert (await accounts.client.get("/accounts")).json()["count"] == 0


async def test_another_browser_is_sent_back_with_the_refusal(accounts: AccountsApi) -> None:
    accounts.emulator.add_x_user("ada")
    query = await consent(accounts, "/ui/accounts")
    path, back = sent_back_to(await callback(accounts, query, same_browser=False))
    assert (path, back["error"]) == ("/ui/accounts", "forbidden")
    assert "started in another browser" in back["message"]
    assert (await accounts.client.get("/accounts")).json()["count"] == 0


async def test_without_return_to_the_callback_answers_json_as_before(
    accounts: AccountsApi,
) -> None:
    accounts.emulator.add_x_user("ada")
    started = await accounts.client.post("/accounts/x/authorize", json={})
    assert started.status_code == 201, started.text
    async with http_client() as browser:
        answer = await browser.get(f"{started.json()['authorize_url']}&login_hint=ada")
    query = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}
    response = await callback(accounts, query)
    assert response.status_code == 200, response.text
    assert response.json()["platform"] == "x"


@pytest.mark.parametrize(
    "return_to",
    [
        "https://evil.example/ui",
        "//evil.example/ui",
        "/\\evil.example",
        "ui/accounts",
        "/ui/accounts#x",
        "/ui/ accounts",
        "javascript:alert(1)",
        "",
    ],
)
async def test_a_return_to_that_is_not_a_path_here_is_a_422(
    accounts: AccountsApi, return_to: str
) -> None:
    response = await accounts.client.post("/accounts/x/authorize", json={"return_to": return_to})
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["path"] == ["body", "return_to"]
    assert "a path on this API's own origin" in detail["message"]
    assert "set-cookie" not in response.headers
