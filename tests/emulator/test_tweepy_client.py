"""tweepy 4.x, unchanged, talks to the emulator: its session gets an adapter that sends
`https://api.twitter.com` to the emulator. A test of the emulator, not of engine code.

tweepy is synchronous, so its calls run in a thread while the server runs on the loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import pytest
import requests
import tweepy

from emulator.config import CREATE_POST
from emulator.control import XAccount
from emulator.testing import EmulatorHandle, RedirectAdapter

T = TypeVar("T")


def client_for(emulator: EmulatorHandle, token: str) -> Any:
    client = tweepy.Client(bearer_token=token)
    client.session.mount(
        "https://api.twitter.com/", RedirectAdapter("https://api.twitter.com", emulator.url)
    )
    return client


async def call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(function, *args, **kwargs)


@pytest.fixture
def tweepy_client(emulator: EmulatorHandle, ada: XAccount) -> Any:
    return client_for(emulator, ada.access_token)


async def test_tweepy_creates_reads_and_deletes_a_post(
    emulator: EmulatorHandle, ada: XAccount, tweepy_client: Any
) -> None:
    created = await call(tweepy_client.create_tweet, text="via tweepy", user_auth=False)
    post_id = created.data["id"]

    read = await call(
        tweepy_client.get_tweet,
        post_id,
        tweet_fields=["public_metrics", "created_at", "author_id"],
        user_auth=False,
    )
    deleted = await call(tweepy_client.delete_tweet, post_id, user_auth=False)

    assert created.data["text"] == "via tweepy"
    assert read.data.text == "via tweepy"
    assert read.data.author_id == int(ada.user_id)
    assert read.data.public_metrics["like_count"] == 0
    assert deleted.data == {"deleted": True}
    assert emulator.posts_by("ada") == []


async def test_tweepy_replies_and_reads_the_timeline(ada: XAccount, tweepy_client: Any) -> None:
    root = await call(tweepy_client.create_tweet, text="1/2", user_auth=False)
    reply = await call(
        tweepy_client.create_tweet,
        text="2/2",
        in_reply_to_tweet_id=root.data["id"],
        user_auth=False,
    )

    timeline = await call(
        tweepy_client.get_users_tweets, ada.user_id, max_results=5, user_auth=False
    )
    me = await call(tweepy_client.get_me, user_auth=False)

    assert [post.id for post in timeline.data] == [int(reply.data["id"]), int(root.data["id"])]
    assert timeline.meta["result_count"] == 2
    assert me.data.username == "ada"


async def test_tweepy_sees_a_duplicate_as_forbidden_with_xs_message(tweepy_client: Any) -> None:
    await call(tweepy_client.create_tweet, text="twice", user_auth=False)

    with pytest.raises(tweepy.Forbidden) as raised:
        await call(tweepy_client.create_tweet, text="twice", user_auth=False)

    assert raised.value.api_messages == [
        "You are not allowed to create a Tweet with duplicate content."
    ]


async def test_tweepy_sees_a_429_with_the_reset_time(
    emulator: EmulatorHandle, tweepy_client: Any
) -> None:
    reset = emulator.set_x_rate_limit(
        "ada", CREATE_POST, remaining=0, reset_in=timedelta(minutes=7)
    )

    with pytest.raises(tweepy.TooManyRequests) as raised:
        await call(tweepy_client.create_tweet, text="too many", user_auth=False)

    assert raised.value.reset_time == reset
    assert raised.value.response.headers["x-user-limit-24hour-limit"]


async def test_tweepy_sees_an_expired_token_as_unauthorized(
    emulator: EmulatorHandle, ada: XAccount, tweepy_client: Any
) -> None:
    emulator.expire_token(ada.access_token)

    with pytest.raises(tweepy.Unauthorized):
        await call(tweepy_client.get_me, user_auth=False)


async def test_tweepy_sees_a_lost_connection_as_a_connection_error(
    emulator: EmulatorHandle, tweepy_client: Any
) -> None:
    emulator.fail_next("POST", "/2/tweets", network=True)

    with pytest.raises(requests.ConnectionError, match="Connection aborted"):
        await call(tweepy_client.create_tweet, text="cut", user_auth=False)
