"""Who may call the emulated X, and how often: tokens, scopes, the 15-minute windows and the
24-hour post cap, with the headers that report them."""

from __future__ import annotations

from datetime import timedelta

import httpx

from emulator.config import BASIC, CREATE_POST, GET_ME, EmulatorConfig
from emulator.control import XAccount
from emulator.testing import EmulatorHandle

UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}
TOO_MANY = {
    "title": "Too Many Requests",
    "type": "about:blank",
    "status": 429,
    "detail": "Too Many Requests",
}


async def test_a_request_without_a_token_is_unauthorized(http: httpx.AsyncClient) -> None:
    response = await http.get("/2/users/me")

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


async def test_an_unknown_token_is_unauthorized(http: httpx.AsyncClient) -> None:
    response = await http.get("/2/users/me", headers={"Authorization": "Bearer made-up"})

    assert response.status_code == 401


async def test_an_access_token_expires_after_two_hours(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    emulator.advance(timedelta(hours=1, minutes=59))
    assert (await x.get("/2/users/me")).status_code == 200

    emulator.advance(timedelta(minutes=1))

    assert (await x.get("/2/users/me")).status_code == 401


async def test_an_expired_token_is_unauthorized(
    emulator: EmulatorHandle, ada: XAccount, x: httpx.AsyncClient
) -> None:
    emulator.expire_token(ada.access_token)

    response = await x.post("/2/tweets", json={"text": "late"})

    assert response.status_code == 401
    assert emulator.posts_by("ada") == []


async def test_a_revoked_token_is_unauthorized(
    emulator: EmulatorHandle, ada: XAccount, x: httpx.AsyncClient
) -> None:
    emulator.revoke_token(ada.access_token)

    assert (await x.get("/2/users/me")).status_code == 401


async def test_a_token_without_the_write_scope_may_not_post(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    reader = emulator.add_x_user("reader", scopes={"tweet.read", "users.read"})

    response = await http.post(
        "/2/tweets",
        json={"text": "hi"},
        headers={"Authorization": f"Bearer {reader.access_token}"},
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "Missing required scopes: tweet.write."


async def test_every_answer_reports_the_window_of_its_endpoint(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    first = await x.get("/2/users/me")
    second = await x.get("/2/users/me")

    limit = emulator.state.config.x_tier.requests_per_window[GET_ME]
    assert first.headers["x-rate-limit-limit"] == str(limit)
    assert first.headers["x-rate-limit-remaining"] == str(limit - 1)
    assert second.headers["x-rate-limit-remaining"] == str(limit - 2)
    reset = int(first.headers["x-rate-limit-reset"])
    expected = emulator.state.clock.now() + timedelta(minutes=15)
    assert abs(reset - expected.timestamp()) <= 2
    assert "x-user-limit-24hour-limit" not in first.headers


async def test_error_answers_carry_the_window_too(x: httpx.AsyncClient) -> None:
    response = await x.get("/2/tweets/not-an-id")

    assert response.status_code == 400
    assert "x-rate-limit-remaining" in response.headers


async def test_posting_also_reports_the_24_hour_cap(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    response = await x.post("/2/tweets", json={"text": "counted"})

    cap = emulator.state.config.x_tier.posts_per_24_hours
    assert response.headers["x-user-limit-24hour-limit"] == str(cap)
    assert response.headers["x-user-limit-24hour-remaining"] == str(cap - 1)
    day_later = emulator.state.clock.now() + timedelta(hours=24)
    assert abs(int(response.headers["x-user-limit-24hour-reset"]) - day_later.timestamp()) <= 2


async def test_an_exhausted_window_answers_429_until_it_resets(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    reset = emulator.set_x_rate_limit(
        "ada", CREATE_POST, remaining=0, reset_in=timedelta(minutes=3)
    )

    refused = await x.post("/2/tweets", json={"text": "too soon"})

    assert refused.status_code == 429
    assert refused.json() == TOO_MANY
    assert refused.headers["x-rate-limit-remaining"] == "0"
    assert refused.headers["x-rate-limit-reset"] == str(reset)
    assert emulator.posts_by("ada") == []

    emulator.advance(timedelta(minutes=3))
    accepted = await x.post("/2/tweets", json={"text": "too soon"})

    assert accepted.status_code == 201
    assert len(emulator.posts_by("ada")) == 1


async def test_the_window_fills_up_with_the_tiers_limit(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    emulator.reset(EmulatorConfig(x_tier=BASIC))
    account = emulator.add_x_user("basic")
    headers = {"Authorization": f"Bearer {account.access_token}"}
    limit = BASIC.requests_per_window[GET_ME]

    statuses = [
        (await http.get("/2/users/me", headers=headers)).status_code for _ in range(limit + 1)
    ]

    assert statuses == [200] * limit + [429]


async def test_a_refused_request_does_not_use_up_the_next_window(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    emulator.set_x_rate_limit("ada", GET_ME, remaining=0, reset_in=timedelta(seconds=30))
    await x.get("/2/users/me")
    emulator.advance(timedelta(seconds=30))

    response = await x.get("/2/users/me")

    limit = emulator.state.config.x_tier.requests_per_window[GET_ME]
    assert response.headers["x-rate-limit-remaining"] == str(limit - 1)


async def test_the_24_hour_cap_refuses_posts_even_with_window_left(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    emulator.set_x_rate_limit(
        "ada", CREATE_POST, remaining=0, reset_in=timedelta(hours=5), daily=True
    )

    response = await x.post("/2/tweets", json={"text": "capped"})

    assert response.status_code == 429
    assert response.headers["x-user-limit-24hour-remaining"] == "0"
    assert int(response.headers["x-rate-limit-remaining"]) > 0


async def test_windows_are_per_user_and_per_endpoint(
    emulator: EmulatorHandle, x: httpx.AsyncClient, http: httpx.AsyncClient
) -> None:
    grace = emulator.add_x_user("grace")
    emulator.set_x_rate_limit("ada", GET_ME, remaining=0, reset_in=timedelta(minutes=5))

    graces = await http.get(
        "/2/users/me", headers={"Authorization": f"Bearer {grace.access_token}"}
    )
    adas_post = await x.post("/2/tweets", json={"text": "other endpoint"})

    assert graces.status_code == 200
    assert adas_post.status_code == 201
