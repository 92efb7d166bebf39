"""Who may call the emulated Graph API, and how often: long-lived tokens and their refresh,
Meta's error shape, the usage headers, throttling, and failures queued on Graph paths."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from emulator import record
from emulator.config import EmulatorConfig
from emulator.control import InstagramAccount
from emulator.testing import EmulatorHandle


async def read_me(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.get("/v21.0/me", params={"fields": "id,username", "access_token": token})


async def test_the_token_may_come_in_the_authorization_header(
    account: InstagramAccount, http: httpx.AsyncClient
) -> None:
    response = await http.get(
        "/v21.0/me", headers={"Authorization": f"Bearer {account.access_token}"}
    )

    assert response.json() == {"id": account.ig_user_id}


async def test_any_graph_version_is_served(
    account: InstagramAccount, http: httpx.AsyncClient
) -> None:
    response = await http.get("/v19.0/me", params={"access_token": account.access_token})

    assert response.status_code == 200


async def test_a_missing_token_is_an_oauth_error(http: httpx.AsyncClient) -> None:
    response = await http.get("/v21.0/me")

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "OAuthException"


async def test_an_unknown_token_is_error_190(http: httpx.AsyncClient) -> None:
    response = await read_me(http, "IGAAnot-a-token")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 190
    assert "invalid_token" in response.headers["www-authenticate"]


async def test_a_token_expires_after_60_days_with_error_190_463(
    emulator: EmulatorHandle, account: InstagramAccount, http: httpx.AsyncClient
) -> None:
    emulator.advance(timedelta(days=60))

    error = (await read_me(http, account.access_token)).json()["error"]

    assert (error["code"], error["error_subcode"]) == (190, 463)
    assert "Session has expired" in error["message"]


async def test_a_revoked_token_is_error_190(
    emulator: EmulatorHandle, account: InstagramAccount, http: httpx.AsyncClient
) -> None:
    emulator.revoke_token(account.access_token)

    assert (await read_me(http, account.access_token)).json()["error"]["code"] == 190


async def test_a_day_old_token_refreshes_to_a_new_60_day_token(
    emulator: EmulatorHandle, account: InstagramAccount, http: httpx.AsyncClient
) -> None:
    emulator.advance(timedelta(days=59))

    response = await http.get(
        "/refresh_access_token",
        params={"grant_type": "ig_refresh_token", "access_token": account.access_token},
    )

    body = response.json()
    assert response.status_code == 200
    assert body["access_token"] != account.access_token
    assert (body["token_type"], body["expires_in"]) == ("bearer", 60 * 24 * 3600)
    emulator.advance(timedelta(days=30))
    assert (await read_me(http, body["access_token"])).status_code == 200
    assert emulator.count(record.INSTAGRAM_TOKEN_REFRESHED) == 1


async def test_a_token_younger_than_a_day_comes_back_unchanged(
    emulator: EmulatorHandle, account: InstagramAccount, http: httpx.AsyncClient
) -> None:
    response = await http.get(
        "/v21.0/refresh_access_token",
        params={"grant_type": "ig_refresh_token", "access_token": account.access_token},
    )

    assert response.json()["access_token"] == account.access_token
    assert emulator.count(record.INSTAGRAM_TOKEN_REFRESHED) == 0


async def test_refresh_needs_the_ig_refresh_token_grant(
    account: InstagramAccount, http: httpx.AsyncClient
) -> None:
    response = await http.get(
        "/refresh_access_token",
        params={"grant_type": "fb_exchange_token", "access_token": account.access_token},
    )

    assert response.json()["error"]["code"] == 100


async def test_answers_report_app_and_account_usage(
    account: InstagramAccount, http: httpx.AsyncClient
) -> None:
    response = await read_me(http, account.access_token)

    app = json.loads(response.headers["x-app-usage"])
    account_usage = json.loads(response.headers["x-business-use-case-usage"])
    assert set(app) == {"call_count", "total_cputime", "total_time"}
    [usage] = account_usage[account.ig_user_id]
    assert usage["type"] == "instagram"
    assert usage["call_count"] == 1  # one call of 200 an hour: 0.5 %, reported rounded up
    assert usage["estimated_time_to_regain_access"] == 0


async def test_an_account_over_its_hourly_budget_gets_error_80002_with_the_wait(
    emulator: EmulatorHandle, account: InstagramAccount, http: httpx.AsyncClient
) -> None:
    emulator.set_instagram_usage(account.ig_user_id, remaining=0, reset_in=timedelta(minutes=12))

    response = await read_me(http, account.access_token)

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["is_transient"]) == (80002, True)
    [usage] = json.loads(response.headers["x-business-use-case-usage"])[account.ig_user_id]
    assert (usage["call_count"], usage["estimated_time_to_regain_access"]) == (100, 12)
    emulator.advance(timedelta(minutes=12))
    assert (await read_me(http, account.access_token)).status_code == 200


async def test_the_hourly_budget_fills_up_with_calls(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    emulator.reset(EmulatorConfig(instagram_calls_per_hour=3))
    account = emulator.add_instagram_user("chatty")

    statuses = [(await read_me(http, account.access_token)).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 400]


async def test_failures_on_graph_paths_default_to_metas_transient_errors(
    emulator: EmulatorHandle, account: InstagramAccount, http: httpx.AsyncClient
) -> None:
    emulator.fail_next("GET", "/v*/me", status=500)
    emulator.fail_next("GET", "/v*/me", status=503)

    unknown = await read_me(http, account.access_token)
    unavailable = await read_me(http, account.access_token)

    assert (unknown.status_code, unknown.json()["error"]["code"]) == (500, 1)
    assert (unavailable.status_code, unavailable.json()["error"]["code"]) == (503, 2)
    assert unknown.json()["error"]["is_transient"] is True


async def test_a_queued_throttling_error_carries_the_chosen_headers(
    emulator: EmulatorHandle, account: InstagramAccount, http: httpx.AsyncClient
) -> None:
    usage = {account.ig_user_id: [{"type": "instagram", "estimated_time_to_regain_access": 7}]}
    emulator.fail_next(
        "POST",
        "/v*/*/media",
        status=400,
        body={
            "error": {"message": "User request limit reached", "type": "OAuthException", "code": 17}
        },
        headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
    )

    response = await http.post(
        f"/v21.0/{account.ig_user_id}/media",
        data={"image_url": "https://cdn.example.com/a.jpg", "access_token": account.access_token},
    )

    assert response.json()["error"]["code"] == 17
    assert json.loads(response.headers["x-business-use-case-usage"]) == usage
    assert emulator.containers_of(account.ig_user_id) == []


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80002])
async def test_throttling_can_be_queued_with_metas_code_and_the_wait(
    emulator: EmulatorHandle, account: InstagramAccount, http: httpx.AsyncClient, code: int
) -> None:
    emulator.throttle_next(
        "POST", "/v*/*/media_publish", code=code, regain_minutes=9, ig_user_id=account.ig_user_id
    )

    response = await http.post(
        f"/v21.0/{account.ig_user_id}/media_publish",
        params={"creation_id": "1", "access_token": account.access_token},
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert json.loads(response.headers["x-app-usage"])["call_count"] == 100
    [usage] = json.loads(response.headers["x-business-use-case-usage"])[account.ig_user_id]
    assert usage["estimated_time_to_regain_access"] == 9
