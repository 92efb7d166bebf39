"""Creating and deleting posts on the emulated X: what is stored, what is refused, and how."""

from __future__ import annotations

from datetime import timedelta

import httpx

from emulator import record
from emulator.config import EmulatorConfig
from emulator.control import XAccount
from emulator.testing import EmulatorHandle, http_client


async def test_a_post_is_created_stored_and_recorded(
    emulator: EmulatorHandle, ada: XAccount, x: httpx.AsyncClient
) -> None:
    response = await x.post("/2/tweets", json={"text": "Hello from the sandbox"})

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["text"] == "Hello from the sandbox"
    assert data["edit_history_tweet_ids"] == [data["id"]]
    [post] = emulator.posts_by("ada")
    assert (post.id, post.author_id, post.text) == (data["id"], ada.user_id, data["text"])
    assert [effect.subject for effect in emulator.effects(record.X_POST_CREATED)] == [data["id"]]


async def test_post_ids_grow_with_time(emulator: EmulatorHandle, x: httpx.AsyncClient) -> None:
    first = (await x.post("/2/tweets", json={"text": "one"})).json()["data"]["id"]
    emulator.advance(timedelta(seconds=5))
    second = (await x.post("/2/tweets", json={"text": "two"})).json()["data"]["id"]

    assert len(first) == 19
    assert int(second) > int(first)


async def test_a_reply_joins_the_conversation_of_its_parent(
    emulator: EmulatorHandle, ada: XAccount, x: httpx.AsyncClient
) -> None:
    root = (await x.post("/2/tweets", json={"text": "1/2"})).json()["data"]["id"]
    reply = await x.post("/2/tweets", json={"text": "2/2", "reply": {"in_reply_to_tweet_id": root}})

    assert reply.status_code == 201
    stored = emulator.state.x.posts[reply.json()["data"]["id"]]
    assert (stored.reply_to, stored.conversation_id) == (root, root)
    assert stored.in_reply_to_user_id == ada.user_id
    assert emulator.state.x.posts[root].metrics["reply_count"] == 1


async def test_a_quote_is_stored_with_the_post_it_quotes(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    quoted = (await x.post("/2/tweets", json={"text": "original"})).json()["data"]["id"]
    quote = await x.post("/2/tweets", json={"text": "look", "quote_tweet_id": quoted})

    assert quote.status_code == 201
    assert emulator.state.x.posts[quote.json()["data"]["id"]].quote_of == quoted
    assert emulator.state.x.posts[quoted].metrics["quote_count"] == 1


async def test_media_uploaded_for_the_user_can_be_attached(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    media_id = emulator.add_x_media("ada")

    response = await x.post("/2/tweets", json={"text": "pic", "media": {"media_ids": [media_id]}})

    assert response.status_code == 201
    assert emulator.posts_by("ada")[0].media_ids == (media_id,)


async def test_unknown_media_ids_are_a_bad_request(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    someone_elses = emulator.add_x_media(emulator.add_x_user("grace").user_id)

    response = await x.post(
        "/2/tweets", json={"text": "pic", "media": {"media_ids": [someone_elses]}}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Your media IDs are invalid."
    assert emulator.posts_by("ada") == []


async def test_the_same_text_twice_is_refused_as_duplicate_content(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    await x.post("/2/tweets", json={"text": "once"})

    again = await x.post("/2/tweets", json={"text": "once"})

    assert again.status_code == 403
    assert again.json() == {
        "detail": "You are not allowed to create a Tweet with duplicate content.",
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
    }
    assert len(emulator.posts_by("ada")) == 1


async def test_an_emulator_that_lets_duplicates_through_stores_the_same_text_twice(
    emulator: EmulatorHandle,
) -> None:
    emulator.reset(EmulatorConfig(x_refuses_duplicates=False))
    ada = emulator.add_x_user("ada")
    headers = {"Authorization": f"Bearer {ada.access_token}"}
    async with http_client(emulator.url, headers=headers) as x:
        answers = [await x.post("/2/tweets", json={"text": "twice"}) for _ in range(2)]

    assert [answer.status_code for answer in answers] == [201, 201]
    assert [post.text for post in emulator.posts_by("ada")] == ["twice", "twice"]


async def test_the_same_text_is_no_duplicate_for_another_user(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    grace = emulator.add_x_user("grace")
    await x.post("/2/tweets", json={"text": "good morning"})

    response = await x.post(
        "/2/tweets",
        json={"text": "good morning"},
        headers={"Authorization": f"Bearer {grace.access_token}"},
    )

    assert response.status_code == 201


async def test_the_same_text_is_allowed_again_after_the_duplicate_window(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    await x.post("/2/tweets", json={"text": "daily"})
    emulator.advance(timedelta(hours=24, seconds=1))
    fresh = emulator.issue_x_tokens("ada").access_token  # the first one expired meanwhile

    response = await x.post(
        "/2/tweets", json={"text": "daily"}, headers={"Authorization": f"Bearer {fresh}"}
    )

    assert response.status_code == 201


async def test_the_same_text_is_allowed_again_once_the_first_is_deleted(
    x: httpx.AsyncClient,
) -> None:
    first = (await x.post("/2/tweets", json={"text": "retry me"})).json()["data"]["id"]
    await x.delete(f"/2/tweets/{first}")

    assert (await x.post("/2/tweets", json={"text": "retry me"})).status_code == 201


async def test_a_post_longer_than_280_characters_is_refused(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    response = await x.post("/2/tweets", json={"text": "a" * 281})

    assert response.status_code == 403
    assert response.json()["detail"] == "Your Tweet text is too long."
    assert emulator.posts_by("ada") == []


async def test_a_post_without_text_or_media_is_a_bad_request(x: httpx.AsyncClient) -> None:
    response = await x.post("/2/tweets", json={"text": "  "})

    assert response.status_code == 400
    assert response.json()["errors"][0]["parameters"] == {"text": ["  "]}


async def test_a_body_that_is_not_json_is_a_bad_request(x: httpx.AsyncClient) -> None:
    response = await x.post(
        "/2/tweets", content=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["type"] == "https://api.x.com/2/problems/invalid-request"


async def test_a_body_outside_the_spec_is_refused_with_the_schema_path(
    x: httpx.AsyncClient,
) -> None:
    response = await x.post(
        "/2/tweets", json={"text": "hi", "reply": {"in_reply_to_tweet_id": "12ab"}, "colour": 1}
    )

    assert response.status_code == 400
    messages = [error["message"] for error in response.json()["errors"]]
    assert "$: Additional properties are not allowed ('colour' was unexpected)" in messages
    assert any(message.startswith("$.reply.in_reply_to_tweet_id:") for message in messages)


async def test_valid_members_the_emulator_does_not_model_are_refused_plainly(
    x: httpx.AsyncClient,
) -> None:
    response = await x.post(
        "/2/tweets", json={"text": "vote", "poll": {"options": ["a", "b"], "duration_minutes": 5}}
    )

    assert response.status_code == 400
    assert "`poll`" in response.json()["errors"][0]["message"]


async def test_quoting_with_media_is_a_bad_request(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    quoted = (await x.post("/2/tweets", json={"text": "original"})).json()["data"]["id"]
    media_id = emulator.add_x_media("ada")

    response = await x.post(
        "/2/tweets",
        json={"text": "both", "quote_tweet_id": quoted, "media": {"media_ids": [media_id]}},
    )

    assert response.status_code == 400


async def test_replying_to_a_deleted_post_is_forbidden(x: httpx.AsyncClient) -> None:
    parent = (await x.post("/2/tweets", json={"text": "gone soon"})).json()["data"]["id"]
    await x.delete(f"/2/tweets/{parent}")

    response = await x.post(
        "/2/tweets", json={"text": "hm", "reply": {"in_reply_to_tweet_id": parent}}
    )

    assert response.status_code == 403
    assert "reply to a Tweet that is deleted" in response.json()["detail"]


async def test_quoting_an_unknown_post_is_forbidden(x: httpx.AsyncClient) -> None:
    response = await x.post("/2/tweets", json={"text": "hm", "quote_tweet_id": "123"})

    assert response.status_code == 403


async def test_deleting_an_own_post_removes_it_and_is_recorded(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    post_id = (await x.post("/2/tweets", json={"text": "oops"})).json()["data"]["id"]

    response = await x.delete(f"/2/tweets/{post_id}")

    assert response.status_code == 200
    assert response.json() == {"data": {"deleted": True}}
    assert emulator.posts_by("ada") == []
    assert [p.id for p in emulator.posts_by("ada", include_deleted=True)] == [post_id]
    assert emulator.count(record.X_POST_DELETED) == 1


async def test_deleting_a_post_that_is_gone_is_not_found(x: httpx.AsyncClient) -> None:
    post_id = (await x.post("/2/tweets", json={"text": "twice"})).json()["data"]["id"]
    await x.delete(f"/2/tweets/{post_id}")

    again = await x.delete(f"/2/tweets/{post_id}")

    assert again.status_code == 404
    assert again.json()["type"] == "https://api.x.com/2/problems/resource-not-found"
    assert again.json()["resource_id"] == post_id


async def test_deleting_another_users_post_is_forbidden(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    grace = emulator.add_x_user("grace")
    headers = {"Authorization": f"Bearer {grace.access_token}"}
    theirs = (await x.post("/2/tweets", json={"text": "mine"}, headers=headers)).json()["data"][
        "id"
    ]

    response = await x.delete(f"/2/tweets/{theirs}")

    assert response.status_code == 403
    assert len(emulator.posts_by("grace")) == 1


async def test_an_id_that_is_not_a_number_is_a_bad_request(x: httpx.AsyncClient) -> None:
    response = await x.delete("/2/tweets/12x")

    assert response.status_code == 400
    assert response.json()["errors"][0]["parameters"] == {"id": ["12x"]}
