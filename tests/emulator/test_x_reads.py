"""Reading the emulated X: one post with chosen fields, the caller, a user's timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from emulator.control import XAccount
from emulator.testing import EmulatorHandle


async def post(x: httpx.AsyncClient, text: str, **body: object) -> str:
    response = await x.post("/2/tweets", json={"text": text, **body})
    assert response.status_code == 201, response.text
    post_id: str = response.json()["data"]["id"]
    return post_id


async def test_a_post_reads_back_with_id_and_text_by_default(x: httpx.AsyncClient) -> None:
    post_id = await post(x, "plain")

    response = await x.get(f"/2/tweets/{post_id}")

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "id": post_id,
            "text": "plain",
            "edit_history_tweet_ids": [post_id],
            "edit_history_post_ids": [post_id],
        }
    }


async def test_a_post_reads_back_with_the_fields_asked_for(
    emulator: EmulatorHandle, ada: XAccount, x: httpx.AsyncClient
) -> None:
    root = await post(x, "root #launch")
    reply = await post(x, "reply to @grace", reply={"in_reply_to_tweet_id": root})
    emulator.set_post_metrics(reply, like_count=7, impression_count=120)

    response = await x.get(
        f"/2/tweets/{reply}",
        params={
            "tweet.fields": "public_metrics,created_at,author_id,conversation_id,"
            "in_reply_to_user_id,referenced_tweets,entities"
        },
    )

    data = response.json()["data"]
    assert data["author_id"] == ada.user_id
    assert data["conversation_id"] == root
    assert data["in_reply_to_user_id"] == ada.user_id
    assert data["referenced_tweets"] == [{"type": "replied_to", "id": root}]
    assert data["entities"]["mentions"] == [{"start": 9, "end": 15, "username": "grace"}]
    assert data["public_metrics"]["like_count"] == 7
    assert data["public_metrics"]["impression_count"] == 120
    assert data["public_metrics"]["repost_count"] == data["public_metrics"]["retweet_count"] == 0
    created = datetime.strptime(data["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(created - emulator.state.clock.now()) < timedelta(seconds=5)


async def test_the_spec_name_post_fields_works_like_tweet_fields(x: httpx.AsyncClient) -> None:
    post_id = await post(x, "spec names")

    response = await x.get(f"/2/tweets/{post_id}", params={"post.fields": "public_metrics"})

    assert "public_metrics" in response.json()["data"]


async def test_non_public_metrics_are_only_shown_to_the_author(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    post_id = await post(x, "private numbers")
    grace = emulator.add_x_user("grace")
    params = {"tweet.fields": "non_public_metrics"}

    own = await x.get(f"/2/tweets/{post_id}", params=params)
    theirs = await x.get(
        f"/2/tweets/{post_id}",
        params=params,
        headers={"Authorization": f"Bearer {grace.access_token}"},
    )

    assert "non_public_metrics" in own.json()["data"]
    assert "non_public_metrics" not in theirs.json()["data"]


async def test_an_unknown_field_is_a_bad_request_naming_it(x: httpx.AsyncClient) -> None:
    post_id = await post(x, "fields")

    response = await x.get(f"/2/tweets/{post_id}", params={"tweet.fields": "created_at,colour"})

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["parameters"] == {"tweet.fields": ["created_at,colour"]}
    assert "[colour]" in error["message"]


async def test_an_unknown_query_parameter_is_a_bad_request(x: httpx.AsyncClient) -> None:
    post_id = await post(x, "params")

    response = await x.get(f"/2/tweets/{post_id}", params={"fields": "created_at"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["parameters"] == {"fields": ["created_at"]}


async def test_a_missing_post_answers_200_with_a_not_found_error(x: httpx.AsyncClient) -> None:
    response = await x.get("/2/tweets/1234567890")

    assert response.status_code == 200
    assert "data" not in response.json()
    [error] = response.json()["errors"]
    assert error["type"] == "https://api.x.com/2/problems/resource-not-found"
    assert error["detail"] == "Could not find tweet with id: [1234567890]."


async def test_the_author_expansion_includes_the_user(ada: XAccount, x: httpx.AsyncClient) -> None:
    post_id = await post(x, "who wrote this")

    response = await x.get(
        f"/2/tweets/{post_id}", params={"expansions": "author_id", "user.fields": "created_at"}
    )

    [user] = response.json()["includes"]["users"]
    assert (user["id"], user["username"], user["name"]) == (ada.user_id, "ada", "Ada Lovelace")
    assert "created_at" in user


async def test_me_is_the_tokens_user(ada: XAccount, x: httpx.AsyncClient) -> None:
    await post(x, "one")

    response = await x.get("/2/users/me", params={"user.fields": "public_metrics,created_at"})

    data = response.json()["data"]
    assert (data["id"], data["username"], data["name"]) == (ada.user_id, "ada", "Ada Lovelace")
    assert data["public_metrics"]["post_count"] == 1


async def test_a_timeline_lists_live_posts_newest_first(
    emulator: EmulatorHandle, ada: XAccount, x: httpx.AsyncClient
) -> None:
    first = await post(x, "first")
    gone = await post(x, "gone")
    last = await post(x, "last")
    await x.delete(f"/2/tweets/{gone}")

    response = await x.get(f"/2/users/{ada.user_id}/tweets")

    body = response.json()
    assert [item["id"] for item in body["data"]] == [last, first]
    assert body["meta"] == {"result_count": 2, "newest_id": last, "oldest_id": first}


async def test_a_timeline_pages_with_next_token(ada: XAccount, x: httpx.AsyncClient) -> None:
    ids = [await post(x, f"post {n}") for n in range(7)]

    page = (await x.get(f"/2/users/{ada.user_id}/tweets", params={"max_results": 5})).json()
    rest = (
        await x.get(
            f"/2/users/{ada.user_id}/tweets",
            params={"max_results": 5, "pagination_token": page["meta"]["next_token"]},
        )
    ).json()

    assert [item["id"] for item in page["data"] + rest["data"]] == ids[::-1]
    assert "next_token" not in rest["meta"]


async def test_a_timeline_since_an_id_has_only_later_posts(
    ada: XAccount, x: httpx.AsyncClient
) -> None:
    before = await post(x, "before")
    after = await post(x, "after")

    response = await x.get(f"/2/users/{ada.user_id}/tweets", params={"since_id": before})

    assert [item["id"] for item in response.json()["data"]] == [after]


async def test_a_timeline_from_a_start_time_has_only_later_posts(
    emulator: EmulatorHandle, ada: XAccount, x: httpx.AsyncClient
) -> None:
    await post(x, "old")
    emulator.advance(timedelta(minutes=10))
    start = emulator.state.clock.now() - timedelta(minutes=1)
    recent = await post(x, "recent")

    response = await x.get(
        f"/2/users/{ada.user_id}/tweets",
        params={"start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ")},
    )

    assert [item["id"] for item in response.json()["data"]] == [recent]


async def test_a_timeline_can_leave_out_replies(ada: XAccount, x: httpx.AsyncClient) -> None:
    root = await post(x, "root")
    await post(x, "reply", reply={"in_reply_to_tweet_id": root})

    response = await x.get(f"/2/users/{ada.user_id}/tweets", params={"exclude": "replies"})

    assert [item["id"] for item in response.json()["data"]] == [root]


async def test_an_empty_timeline_has_only_a_zero_count(ada: XAccount, x: httpx.AsyncClient) -> None:
    response = await x.get(f"/2/users/{ada.user_id}/tweets")

    assert response.json() == {"meta": {"result_count": 0}}


async def test_max_results_outside_5_to_100_is_a_bad_request(
    ada: XAccount, x: httpx.AsyncClient
) -> None:
    response = await x.get(f"/2/users/{ada.user_id}/tweets", params={"max_results": 101})

    assert response.status_code == 400
    assert response.json()["errors"][0]["parameters"] == {"max_results": ["101"]}


async def test_a_start_time_that_is_not_rfc_3339_is_a_bad_request(
    ada: XAccount, x: httpx.AsyncClient
) -> None:
    response = await x.get(f"/2/users/{ada.user_id}/tweets", params={"start_time": "yesterday"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["parameters"] == {"start_time": ["yesterday"]}


async def test_a_forged_pagination_token_is_a_bad_request(
    ada: XAccount, x: httpx.AsyncClient
) -> None:
    response = await x.get(
        f"/2/users/{ada.user_id}/tweets", params={"pagination_token": "not-a-token!"}
    )

    assert response.status_code == 400


async def test_the_timeline_of_an_unknown_user_answers_a_not_found_error(
    x: httpx.AsyncClient,
) -> None:
    response = await x.get("/2/users/42/tweets")

    assert response.status_code == 200
    assert response.json()["errors"][0]["resource_type"] == "user"
