"""Connecting accounts with the platforms, over real HTTP against the emulator: X's OAuth 2.0
Authorization Code flow with PKCE (state checked, used once, in time), Instagram long-lived
tokens, renewing on demand, and revoking X's grant when an account is deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import sqlalchemy as sa

from activities.accounts.pkce import code_challenge
from app.db.engine import sync_url
from emulator import record
from tests.utils.accounts_api import (
    AccountsApi,
    AccountsApis,
    accounts,
    accounts_api,
)
from tests.utils.servers import http_client

__all__ = ["accounts", "accounts_api"]


async def consent(accounts: AccountsApi, login: str = "ada") -> dict[str, str]:
    """Start the flow and approve on the emulator's consent page: the callback's query."""
    started = await accounts.client.post("/accounts/x/authorize")
    assert started.status_code == 201, started.text
    url = started.json()["authorize_url"]
    async with http_client() as browser:
        answer = await browser.get(f"{url}&{urlencode({'login_hint': login})}")
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    return {name: values[0] for name, values in query.items()}


async def callback(
    accounts: AccountsApi, query: dict[str, str], *, same_browser: bool = True
) -> httpx.Response:
    # X sends the person's browser back: no API key, but the cookie set when the
    # authorization started (the API client played that browser).
    cookies = accounts.client.cookies if same_browser else None
    async with http_client(base_url=accounts.url, cookies=cookies) as browser:
        return await browser.get("/accounts/x/callback", params=query)


def sql(accounts: AccountsApi, statement: str, **values: object) -> list[tuple[object, ...]]:
    engine = sa.create_engine(sync_url(accounts.settings.resolved_database_url))
    try:
        with engine.begin() as connection:
            result = connection.execute(sa.text(statement), values)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


# X: Authorization Code with PKCE


async def test_the_authorize_url_asks_x_for_a_code_with_an_s256_challenge(
    accounts: AccountsApi,
) -> None:
    started = (await accounts.client.post("/accounts/x/authorize")).json()
    url = urlsplit(started["authorize_url"])
    query = {name: values[0] for name, values in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == accounts.settings.x_authorize_url
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == "https://flowhold.example/accounts/x/callback"
    assert set(query["scope"].split()) == {
        "tweet.read",
        "tweet.write",
        "users.read",
        "offline.access",
        "media.write",
    }
    # Only a hash of the state is kept, and the verifier only sealed.
    stored = sql(
        accounts,
        "SELECT state_hash, ciphertext FROM oauth_authorization WHERE organization_id = :o",
        o=accounts.organization_id,
    )
    assert all(query["state"] not in str(row) for row in stored)
    assert datetime.fromisoformat(started["expires_at"]) <= datetime.now(UTC) + timedelta(
        minutes=10
    )


async def test_the_callback_in_another_browser_connects_nothing(accounts: AccountsApi) -> None:
    """A link made by one organization and approved by someone else's browser (sent to them,
    say) must not connect that person's X account to the link maker's organization."""
    accounts.emulator.add_x_user("ada")
    response = await callback(accounts, await consent(accounts), same_browser=False)

    assert response.status_code == 403, response.text
    assert "started in another browser" in response.json()["error"]["message"]
    assert (await accounts.client.get("/accounts")).json()["count"] == 0


async def test_the_callback_with_another_browsers_cookie_connects_nothing(
    accounts: AccountsApi,
) -> None:
    accounts.emulator.add_x_user("ada")
    query = await consent(accounts)
    async with httpx.AsyncClient(base_url=accounts.url) as stranger:
        stranger.cookies.set("flowhold_oauth", "a-secret-of-another-browser")
        response = await stranger.get("/accounts/x/callback", params=query)

    assert response.status_code == 403
    assert (await accounts.client.get("/accounts")).json()["count"] == 0


async def test_the_authorization_cookie_is_short_lived_and_out_of_scripts_reach(
    accounts: AccountsApi,
) -> None:
    started = await accounts.client.post("/accounts/x/authorize")
    cookie = started.headers["set-cookie"].lower()

    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/accounts/x" in cookie
    assert "max-age=600" in cookie


async def test_the_callback_exchanges_the_code_and_connects_the_account(
    accounts: AccountsApi,
) -> None:
    ada = accounts.emulator.add_x_user("ada", name="Ada Lovelace")
    response = await callback(accounts, await consent(accounts))
    assert response.status_code == 200, response.text
    account = response.json()
    assert (account["platform"], account["display_name"]) == ("x", "@ada")
    assert account["external_id"] == ada.user_id
    assert account["credential"]["kind"] == "oauth2"
    assert "offline.access" in account["scopes"]
    listed = (await accounts.client.get("/accounts")).json()
    assert [a["id"] for a in listed["data"]] == [account["id"]]
    assert accounts.emulator.count(record.X_TOKEN_ISSUED) == 1


async def test_a_state_works_once(accounts: AccountsApi) -> None:
    accounts.emulator.add_x_user("ada")
    query = await consent(accounts)
    assert (await callback(accounts, query)).status_code == 200
    again = await callback(accounts, query)
    assert again.status_code == 422
    assert again.json()["error"]["details"][0]["path"] == ["query", "state"]


async def test_an_unknown_or_expired_state_is_refused(accounts: AccountsApi) -> None:
    accounts.emulator.add_x_user("ada")
    query = await consent(accounts)
    forged = await callback(accounts, {**query, "state": "made-up"})
    sql(accounts, "UPDATE oauth_authorization SET expires_at = :past WHERE organization_id = :o",
        past=datetime.now(UTC) - timedelta(minutes=1), o=accounts.organization_id)  # fmt: skip
    late = await callback(accounts, query)
    assert (forged.status_code, late.status_code) == (422, 422)
    assert "start again" in late.json()["error"]["message"]
    assert (await accounts.client.get("/accounts")).json()["count"] == 0


async def test_a_code_x_refuses_is_a_422(accounts: AccountsApi) -> None:
    accounts.emulator.add_x_user("ada")
    query = await consent(accounts)
    response = await callback(accounts, {**query, "code": "not-the-code"})
    assert response.status_code == 422
    assert "X refused the grant" in response.json()["error"]["message"]


async def test_a_person_who_declines_gets_x_s_reason_and_the_state_is_spent(
    accounts: AccountsApi,
) -> None:
    query = await consent(accounts, login="nobody")  # the emulator denies unknown users
    assert query["error"] == "access_denied"
    declined = await callback(accounts, query)
    assert declined.status_code == 422
    assert "No such X user" in declined.json()["error"]["message"]
    assert (
        sql(
            accounts,
            "SELECT state_hash FROM oauth_authorization WHERE organization_id = :o",
            o=accounts.organization_id,
        )
        == []
    )


async def test_connecting_x_needs_a_client_id(accounts_api: AccountsApis) -> None:
    async with accounts_api(x_client_id="") as unset:
        response = await unset.client.post("/accounts/x/authorize")
    assert response.status_code == 503
    assert "X_CLIENT_ID" in response.json()["error"]["message"]


def test_the_s256_challenge_is_rfc_7636s() -> None:
    # RFC 7636, appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


# Instagram


async def test_an_instagram_token_is_checked_with_meta_and_connects_the_account(
    accounts: AccountsApi,
) -> None:
    ig = accounts.emulator.add_instagram_user("ada.makes")
    response = await accounts.client.post(
        "/accounts/instagram", json={"access_token": ig.access_token}
    )
    assert response.status_code == 201, response.text
    account = response.json()
    assert (account["platform"], account["display_name"]) == ("instagram", "ada.makes")
    assert account["external_id"] == ig.ig_user_id
    expires = datetime.fromisoformat(account["credential"]["expires_at"])
    assert timedelta(days=59) < expires - datetime.now(UTC) <= timedelta(days=60)
    assert ig.access_token not in response.text


async def test_an_instagram_token_meta_refuses_is_a_422(accounts: AccountsApi) -> None:
    response = await accounts.client.post("/accounts/instagram", json={"access_token": "nope"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["path"] == ["body", "access_token"]


# Renewing and deleting


async def test_renewing_an_x_account_rotates_its_tokens(accounts: AccountsApi) -> None:
    accounts.emulator.add_x_user("ada")
    account = (await callback(accounts, await consent(accounts))).json()
    renewed = await accounts.client.post(f"/accounts/{account['id']}/refresh")
    assert renewed.status_code == 200, renewed.text
    assert accounts.emulator.count(record.X_TOKEN_ROTATED) == 1
    assert renewed.json()["credential"]["expires_at"] >= account["credential"]["expires_at"]


async def test_renewing_an_instagram_account_gets_a_new_token(accounts: AccountsApi) -> None:
    ig = accounts.emulator.add_instagram_user("ada.makes")
    account = (
        await accounts.client.post("/accounts/instagram", json={"access_token": ig.access_token})
    ).json()
    accounts.emulator.advance(timedelta(days=2))  # Meta renews tokens at least a day old
    renewed = await accounts.client.post(f"/accounts/{account['id']}/refresh")
    assert renewed.status_code == 200, renewed.text
    assert accounts.emulator.count(record.INSTAGRAM_TOKEN_REFRESHED) == 1


async def test_a_token_without_a_way_to_renew_it_is_a_409(accounts: AccountsApi) -> None:
    bot = accounts.emulator.add_x_user("bot")
    account = (
        await accounts.client.post("/accounts/x/tokens", json={"access_token": bot.access_token})
    ).json()
    response = await accounts.client.post(f"/accounts/{account['id']}/refresh")
    assert response.status_code == 409
    assert "cannot be renewed" in response.json()["error"]["message"]


async def test_a_revoked_grant_shows_as_a_revoked_account(accounts: AccountsApi) -> None:
    ada = accounts.emulator.add_x_user("ada")
    account = (await callback(accounts, await consent(accounts))).json()
    for token in list(accounts.emulator.state.x.refresh_tokens):
        accounts.emulator.revoke_token(token)
    response = await accounts.client.post(f"/accounts/{account['id']}/refresh")
    assert response.status_code == 422
    read = (await accounts.client.get(f"/accounts/{account['id']}")).json()
    assert read["status"] == "revoked"
    assert ada.user_id == read["external_id"]


async def test_deleting_an_x_account_revokes_its_grant_at_x(accounts: AccountsApi) -> None:
    accounts.emulator.add_x_user("ada")
    account = (await callback(accounts, await consent(accounts))).json()
    assert (await accounts.client.delete(f"/accounts/{account['id']}")).status_code == 204
    assert accounts.emulator.count(record.X_TOKEN_REVOKED) == 1
    assert (await accounts.client.get(f"/accounts/{account['id']}")).status_code == 404


async def test_an_account_is_deleted_even_when_x_cannot_revoke(accounts: AccountsApi) -> None:
    accounts.emulator.add_x_user("ada")
    account = (await callback(accounts, await consent(accounts))).json()
    accounts.emulator.fail_next("POST", "/2/oauth2/revoke", status=503)
    assert (await accounts.client.delete(f"/accounts/{account['id']}")).status_code == 204
    assert (await accounts.client.get(f"/accounts/{account['id']}")).status_code == 404


@pytest.mark.parametrize("path", ["/accounts/x/authorize", "/accounts/x/tokens"])
async def test_connecting_needs_an_api_key(accounts: AccountsApi, path: str) -> None:
    async with http_client(base_url=accounts.url) as anonymous:
        response = await anonymous.post(path, json={})
    assert response.status_code == 401


async def test_x_refusing_this_installations_client_is_a_503_naming_the_settings(
    accounts_api: AccountsApis,
) -> None:
    accounts_api.emulator.add_x_user("ada")
    async with accounts_api(x_client_secret="wrong-secret") as misconfigured:
        response = await callback(misconfigured, await consent(misconfigured))
    assert response.status_code == 503
    assert "X_CLIENT_SECRET" in response.json()["error"]["message"]
