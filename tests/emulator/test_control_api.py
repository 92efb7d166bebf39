"""The control API under /_emulator: the sandbox's and scripts' way to do what tests do in
Python."""

from __future__ import annotations

import httpx

from emulator import record
from emulator.testing import EmulatorHandle


async def add_user(http: httpx.AsyncClient, username: str = "ada") -> dict[str, str]:
    response = await http.post("/_emulator/x/users", json={"username": username})
    assert response.status_code == 201, response.text
    account: dict[str, str] = response.json()
    return account


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_user_added_over_http_can_post_with_its_token(http: httpx.AsyncClient) -> None:
    account = await add_user(http)

    response = await http.post(
        "/2/tweets", json={"text": "hi"}, headers=bearer(account["access_token"])
    )

    assert response.status_code == 201
    assert account["refresh_token"]


async def test_a_taken_username_is_a_conflict(http: httpx.AsyncClient) -> None:
    await add_user(http)

    response = await http.post("/_emulator/x/users", json={"username": "ada"})

    assert response.status_code == 409
    assert "ada" in response.json()["detail"]


async def test_a_malformed_control_request_says_what_is_wrong(http: httpx.AsyncClient) -> None:
    response = await http.post("/_emulator/x/users", json={"username": "not a handle!"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "username"]


async def test_chosen_tokens_can_be_pasted_in(http: httpx.AsyncClient) -> None:
    await add_user(http)

    issued = await http.post(
        "/_emulator/x/users/ada/tokens",
        json={"access_token": "bot-access-token-1", "refresh_token": "bot-refresh-token-1"},
    )

    assert issued.status_code == 201
    me = await http.get("/2/users/me", headers=bearer("bot-access-token-1"))
    assert me.json()["data"]["username"] == "ada"


async def test_tokens_for_an_unknown_user_are_not_found(http: httpx.AsyncClient) -> None:
    response = await http.post("/_emulator/x/users/nobody/tokens", json={})

    assert response.status_code == 404


async def test_media_registered_over_http_can_be_attached(http: httpx.AsyncClient) -> None:
    account = await add_user(http)
    media_id = (await http.post("/_emulator/x/users/ada/media")).json()["media_id"]

    response = await http.post(
        "/2/tweets",
        json={"text": "pic", "media": {"media_ids": [media_id]}},
        headers=bearer(account["access_token"]),
    )

    assert response.status_code == 201


async def test_posts_are_listed_with_deleted_ones_on_request(http: httpx.AsyncClient) -> None:
    account = await add_user(http)
    headers = bearer(account["access_token"])
    kept = (await http.post("/2/tweets", json={"text": "kept"}, headers=headers)).json()["data"]
    gone = (await http.post("/2/tweets", json={"text": "gone"}, headers=headers)).json()["data"]
    await http.delete(f"/2/tweets/{gone['id']}", headers=headers)

    live = (await http.get("/_emulator/x/users/ada/posts")).json()
    every = (
        await http.get("/_emulator/x/users/ada/posts", params={"include_deleted": True})
    ).json()

    assert [post["id"] for post in live["posts"]] == [kept["id"]]
    assert [post["id"] for post in every["posts"]] == [gone["id"], kept["id"]]
    assert "deleted_at" in every["posts"][0]


async def test_a_rate_limit_set_over_http_refuses_requests(http: httpx.AsyncClient) -> None:
    account = await add_user(http)

    response = await http.post(
        "/_emulator/x/rate-limits",
        json={"user": "ada", "endpoint": "GET /2/users/me", "remaining": 0, "reset_in_seconds": 60},
    )
    me = await http.get("/2/users/me", headers=bearer(account["access_token"]))

    assert me.status_code == 429
    assert me.headers["x-rate-limit-reset"] == str(response.json()["reset"])


async def test_an_unknown_endpoint_name_is_unprocessable(http: httpx.AsyncClient) -> None:
    await add_user(http)

    response = await http.post(
        "/_emulator/x/rate-limits",
        json={"user": "ada", "endpoint": "GET /2/spaces", "remaining": 0, "reset_in_seconds": 60},
    )

    assert response.status_code == 422


async def test_tokens_expire_and_are_revoked_over_http(http: httpx.AsyncClient) -> None:
    first = await add_user(http, "ada")
    second = await add_user(http, "grace")

    await http.post("/_emulator/tokens/expire", json={"token": first["access_token"]})
    await http.post("/_emulator/tokens/revoke", json={"token": second["access_token"]})

    assert (await http.get("/2/users/me", headers=bearer(first["access_token"]))).status_code == 401
    assert (
        await http.get("/2/users/me", headers=bearer(second["access_token"]))
    ).status_code == 401


async def test_an_unknown_token_cannot_be_expired(http: httpx.AsyncClient) -> None:
    response = await http.post("/_emulator/tokens/expire", json={"token": "never-issued"})

    assert response.status_code == 404


async def test_faults_are_queued_listed_and_cleared_over_http(http: httpx.AsyncClient) -> None:
    account = await add_user(http)
    created = await http.post(
        "/_emulator/faults",
        json={"method": "GET", "path": "/2/users/me", "status": 502, "times": 3},
    )

    failed = await http.get("/2/users/me", headers=bearer(account["access_token"]))
    listed = (await http.get("/_emulator/faults")).json()["faults"]
    await http.delete("/_emulator/faults")
    after = await http.get("/2/users/me", headers=bearer(account["access_token"]))

    assert created.status_code == 201
    assert failed.status_code == 502
    assert [(fault["path"], fault["remaining"]) for fault in listed] == [("/2/users/me", 2)]
    assert after.status_code == 200


async def test_the_record_lists_side_effects_with_counts(http: httpx.AsyncClient) -> None:
    account = await add_user(http)
    headers = bearer(account["access_token"])
    post = (await http.post("/2/tweets", json={"text": "one"}, headers=headers)).json()["data"]
    await http.post("/2/tweets", json={"text": "two"}, headers=headers)
    await http.delete(f"/2/tweets/{post['id']}", headers=headers)

    everything = (await http.get("/_emulator/record")).json()
    deletions = (await http.get("/_emulator/record", params={"kind": record.X_POST_DELETED})).json()

    assert everything["counts"] == {record.X_POST_CREATED: 2, record.X_POST_DELETED: 1}
    assert [effect["subject"] for effect in deletions["effects"]] == [post["id"]]


async def test_the_request_log_shows_what_was_answered(http: httpx.AsyncClient) -> None:
    await http.get("/2/users/me")

    log = (await http.get("/_emulator/requests", params={"path": "/2/users/me"})).json()

    assert [(entry["method"], entry["status"]) for entry in log["requests"]] == [("GET", 401)]


async def test_the_clock_moves_forward_over_http(http: httpx.AsyncClient) -> None:
    before = (await http.get("/_emulator/clock")).json()

    after = (await http.post("/_emulator/clock/advance", json={"seconds": 3600})).json()

    assert after["offset_seconds"] == before["offset_seconds"] + 3600


async def test_reset_forgets_everything(emulator: EmulatorHandle, http: httpx.AsyncClient) -> None:
    account = await add_user(http)

    await http.post("/_emulator/reset")

    assert (
        await http.get("/2/users/me", headers=bearer(account["access_token"]))
    ).status_code == 401
    assert emulator.state.x.users == {}


async def add_instagram_user(http: httpx.AsyncClient) -> dict[str, str]:
    response = await http.post("/_emulator/instagram/users", json={"username": "ada.makes"})
    assert response.status_code == 201, response.text
    account: dict[str, str] = response.json()
    return account


async def test_an_instagram_account_added_over_http_can_publish(http: httpx.AsyncClient) -> None:
    account = await add_instagram_user(http)
    ig, token = account["ig_user_id"], {"access_token": account["access_token"]}
    container = (
        await http.post(
            f"/v21.0/{ig}/media", params=token, data={"image_url": "https://a.example/1.jpg"}
        )
    ).json()["id"]

    await http.post(
        f"/_emulator/instagram/containers/{container}/status", json={"status_code": "FINISHED"}
    )
    media = (
        await http.post(f"/v21.0/{ig}/media_publish", params=token | {"creation_id": container})
    ).json()
    listed = (await http.get(f"/_emulator/instagram/users/{ig}/media")).json()

    assert listed["containers"][0]["status_code"] == "PUBLISHED"
    assert [item["id"] for item in listed["media"]] == [media["id"]]


async def test_queued_container_outcomes_apply_in_order_over_http(http: httpx.AsyncClient) -> None:
    account = await add_instagram_user(http)
    ig, token = account["ig_user_id"], {"access_token": account["access_token"]}
    await http.post(
        f"/_emulator/instagram/users/{ig}/next-containers", json={"outcomes": ["ERROR", "EXPIRED"]}
    )

    statuses = []
    for _ in range(3):
        container = (
            await http.post(
                f"/v21.0/{ig}/media", params=token, data={"image_url": "https://a.example/1.jpg"}
            )
        ).json()["id"]
        await http.get(f"/v21.0/{container}", params=token | {"fields": "status_code"})
        statuses.append(
            (await http.get(f"/v21.0/{container}", params=token | {"fields": "status_code"})).json()
        )

    assert [status["status_code"] for status in statuses] == ["ERROR", "EXPIRED", "FINISHED"]


async def test_an_unknown_outcome_is_unprocessable(http: httpx.AsyncClient) -> None:
    account = await add_instagram_user(http)

    response = await http.post(
        f"/_emulator/instagram/users/{account['ig_user_id']}/next-containers",
        json={"outcomes": ["LOST"]},
    )

    assert response.status_code == 422


async def test_usage_and_insights_are_set_over_http(http: httpx.AsyncClient) -> None:
    account = await add_instagram_user(http)
    ig, token = account["ig_user_id"], {"access_token": account["access_token"]}

    await http.post(f"/_emulator/instagram/insights/{ig}", json={"reach": 77})
    insights = await http.get(
        f"/v21.0/{ig}/insights", params=token | {"metric": "reach", "period": "day"}
    )
    await http.post(
        f"/_emulator/instagram/users/{ig}/usage", json={"remaining": 0, "reset_in_seconds": 600}
    )
    throttled = await http.get(f"/v21.0/{ig}", params=token)

    assert {v["value"] for v in insights.json()["data"][0]["values"]} == {77}
    assert throttled.json()["error"]["code"] == 80002


async def test_throttling_is_queued_over_http(http: httpx.AsyncClient) -> None:
    account = await add_instagram_user(http)
    ig = account["ig_user_id"]

    queued = await http.post(
        "/_emulator/meta/throttle",
        json={"method": "GET", "path": f"/v*/{ig}", "code": 613, "ig_user_id": ig},
    )
    throttled = await http.get(f"/v21.0/{ig}", params={"access_token": account["access_token"]})

    assert queued.status_code == 201
    assert throttled.json()["error"]["code"] == 613
    assert ig in throttled.headers["x-business-use-case-usage"]
