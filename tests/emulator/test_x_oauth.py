"""X's OAuth 2.0 flow on the emulator: consent, code exchange with PKCE, rotating refresh
tokens, revocation, and client authentication."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from emulator import record
from emulator.config import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from emulator.testing import EmulatorHandle

REDIRECT = "https://flowhold.example/oauth/x/callback"
SCOPES = "tweet.read tweet.write users.read offline.access"
CLIENT = httpx.BasicAuth(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


async def authorize(http: httpx.AsyncClient, challenge: str, **extra: str) -> dict[str, str]:
    """Go through the consent page; the query of where it redirects to."""
    params = {
        "response_type": "code",
        "client_id": SANDBOX_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": SCOPES,
        "state": "st-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    } | extra
    response = await http.get("/i/oauth2/authorize", params=params)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return {name: values[0] for name, values in parse_qs(location.query).items()}


async def exchange(
    http: httpx.AsyncClient, code: str, verifier: str, auth: httpx.Auth = CLIENT
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    return await http.post("/2/oauth2/token", data=form, auth=auth)


async def refresh(http: httpx.AsyncClient, token: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": token}
    return await http.post("/2/oauth2/token", data=form, auth=CLIENT)


async def me(http: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await http.get("/2/users/me", headers={"Authorization": f"Bearer {access_token}"})


async def connect(http: httpx.AsyncClient) -> dict[str, Any]:
    verifier, challenge = pkce()
    code = (await authorize(http, challenge))["code"]
    response = await exchange(http, code, verifier)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


async def test_consent_redirects_back_with_a_code_and_the_state(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    emulator.add_x_user("ada")

    query = await authorize(http, pkce()[1])

    assert query["state"] == "st-123"
    assert len(query["code"]) > 20


async def test_a_code_and_its_verifier_give_tokens_for_the_consenting_user(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    ada = emulator.add_x_user("ada")

    tokens = await connect(http)

    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 7200
    assert tokens["scope"] == "offline.access tweet.read tweet.write users.read"
    answer = await me(http, tokens["access_token"])
    assert answer.json()["data"]["id"] == ada.user_id
    assert emulator.count(record.X_TOKEN_ISSUED) == 1


async def test_login_hint_chooses_who_consents(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    emulator.add_x_user("ada")
    grace = emulator.add_x_user("grace")
    verifier, challenge = pkce()

    code = (await authorize(http, challenge, login_hint="grace"))["code"]
    tokens = (await exchange(http, code, verifier)).json()

    assert emulator.state.x.access_tokens[tokens["access_token"]].user_id == grace.user_id


async def test_without_offline_access_there_is_no_refresh_token(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    verifier, challenge = pkce()

    code = (await authorize(http, challenge, scope="tweet.read users.read"))["code"]
    tokens = (await exchange(http, code, verifier)).json()

    assert "refresh_token" not in tokens


async def test_a_wrong_verifier_is_an_invalid_grant(http: httpx.AsyncClient) -> None:
    code = (await authorize(http, pkce()[1]))["code"]

    response = await exchange(http, code, pkce()[0])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_a_code_works_once(http: httpx.AsyncClient) -> None:
    verifier, challenge = pkce()
    code = (await authorize(http, challenge))["code"]
    assert (await exchange(http, code, verifier)).status_code == 200

    again = await exchange(http, code, verifier)

    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


async def test_a_code_expires_after_30_seconds(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    verifier, challenge = pkce()
    code = (await authorize(http, challenge))["code"]
    emulator.advance(timedelta(seconds=30))

    response = await exchange(http, code, verifier)

    assert response.json()["error"] == "invalid_grant"


async def test_a_code_is_bound_to_its_redirect_uri(http: httpx.AsyncClient) -> None:
    verifier, challenge = pkce()
    code = (await authorize(http, challenge))["code"]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "https://elsewhere.example/cb",
        "code_verifier": verifier,
    }

    response = await http.post("/2/oauth2/token", data=form, auth=CLIENT)

    assert response.json()["error"] == "invalid_grant"


async def test_a_refresh_rotates_both_tokens(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    first = await connect(http)

    response = await refresh(http, first["refresh_token"])

    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    answer = await me(http, second["access_token"])
    assert answer.status_code == 200
    assert emulator.count(record.X_TOKEN_ROTATED) == 1


async def test_a_refresh_token_is_single_use(http: httpx.AsyncClient) -> None:
    first = await connect(http)
    second = (await refresh(http, first["refresh_token"])).json()

    reused = await refresh(http, first["refresh_token"])

    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert (await refresh(http, second["refresh_token"])).status_code == 200


async def test_a_control_issued_refresh_token_rotates_too(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    account = emulator.add_x_user("bot")
    assert account.refresh_token is not None

    response = await refresh(http, account.refresh_token)

    assert response.status_code == 200
    assert (await refresh(http, account.refresh_token)).json()["error"] == "invalid_grant"


async def test_a_revoked_access_token_stops_working(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    tokens = await connect(http)

    revoked = await http.post(
        "/2/oauth2/revoke", data={"token": tokens["access_token"]}, auth=CLIENT
    )

    assert revoked.json() == {"revoked": True}
    answer = await me(http, tokens["access_token"])
    assert answer.status_code == 401
    assert emulator.count(record.X_TOKEN_REVOKED) == 1


async def test_a_revoked_refresh_token_cannot_refresh(http: httpx.AsyncClient) -> None:
    tokens = await connect(http)
    await http.post("/2/oauth2/revoke", data={"token": tokens["refresh_token"]}, auth=CLIENT)

    assert (await refresh(http, tokens["refresh_token"])).json()["error"] == "invalid_grant"


async def test_a_confidential_client_must_authenticate(http: httpx.AsyncClient) -> None:
    verifier, challenge = pkce()
    code = (await authorize(http, challenge))["code"]

    response = await http.post(
        "/2/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": SANDBOX_CLIENT_ID,
        },
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_a_wrong_client_secret_is_refused(http: httpx.AsyncClient) -> None:
    verifier, challenge = pkce()
    code = (await authorize(http, challenge))["code"]

    response = await exchange(http, code, verifier, httpx.BasicAuth(SANDBOX_CLIENT_ID, "guess"))

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_a_public_client_sends_only_its_id(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    emulator.add_x_client("mobile-app")
    verifier, challenge = pkce()
    code = (await authorize(http, challenge, client_id="mobile-app"))["code"]

    response = await http.post(
        "/2/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": "mobile-app",
        },
    )

    assert response.status_code == 200


async def test_a_token_request_that_is_not_a_form_is_invalid(http: httpx.AsyncClient) -> None:
    response = await http.post("/2/oauth2/token", json={"grant_type": "refresh_token"}, auth=CLIENT)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_an_unknown_grant_type_is_unsupported(http: httpx.AsyncClient) -> None:
    response = await http.post("/2/oauth2/token", data={"grant_type": "password"}, auth=CLIENT)

    assert response.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code_challenge": ""}, "invalid_request"),
        ({"code_challenge_method": "S512"}, "invalid_request"),
        ({"scope": "tweet.read telepathy"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
async def test_a_bad_authorization_request_redirects_back_with_the_error(
    http: httpx.AsyncClient, change: dict[str, str], error: str
) -> None:
    query = await authorize(http, pkce()[1], **change)

    assert query["error"] == error
    assert query["state"] == "st-123"
    assert "code" not in query


async def test_an_unknown_client_gets_no_redirect(http: httpx.AsyncClient) -> None:
    response = await http.get(
        "/i/oauth2/authorize",
        params={"response_type": "code", "client_id": "stranger", "redirect_uri": REDIRECT},
    )

    assert response.status_code == 400
    assert "location" not in response.headers


async def test_the_record_counts_what_the_token_endpoint_did(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    emulator.add_x_user("ada")  # tokens a test adds are set-up, not platform side effects
    tokens = await connect(http)
    await refresh(http, tokens["refresh_token"])
    await refresh(http, tokens["refresh_token"])  # refused: spent

    assert emulator.counts() == {
        record.X_CODE_ISSUED: 1,
        record.X_TOKEN_ISSUED: 1,
        record.X_TOKEN_ROTATED: 1,
    }
