"""The X read nodes against the emulator over real HTTP: mentions, a user's posts and recent
search, with pagination, `since_id`, the one output shape a polling trigger relies on, and
rate limits reported for a retry at the window's reset."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from temporalio.exceptions import ApplicationError

from activities.services import ActionServices
from activities.x.actions import XActivities
from emulator.control import XAccount
from emulator.testing import EmulatorHandle
from tests.activities.support import Attempts, action, new_account

WINDOW = timedelta(minutes=15)
OUTPUT_KEYS = {"items", "newest_id", "oldest_id", "next_token", "result_count"}


class Reader:
    """Ada's account connected; Grace posts on the same emulated X."""

    def __init__(
        self, emulator: EmulatorHandle, ada: XAccount, grace: XAccount, account: str,
        organization: str, activities: XActivities,
    ) -> None:  # fmt: skip
        self.emulator = emulator
        self.ada = ada
        self.grace = grace
        self.account = account
        self.organization = organization
        self.activities = activities

    async def read(self, node_type: str, **parameters: Any) -> Any:
        method = getattr(self.activities, node_type.removeprefix("x."))
        request = action(
            node_type, parameters, organization_id=self.organization, account_id=self.account
        )
        return await Attempts().run(method, request)

    async def fails(self, node_type: str, **parameters: Any) -> ApplicationError:
        with pytest.raises(ApplicationError) as caught:
            await self.read(node_type, **parameters)
        return caught.value

    async def post(self, author: XAccount, text: str, **body: Any) -> str:
        async with httpx.AsyncClient(
            base_url=self.emulator.url,
            headers={"Authorization": f"Bearer {author.access_token}"},
        ) as client:
            response = await client.post("/2/tweets", json={"text": text, **body})
        assert response.status_code == 201, response.text
        post_id: str = response.json()["data"]["id"]
        return post_id


@pytest.fixture
async def reader(emulator: EmulatorHandle, services: ActionServices, organization: str) -> Reader:
    ada = emulator.add_x_user("ada", name="Ada Lovelace")
    grace = emulator.add_x_user("grace", name="Grace Hopper")
    account = await new_account(
        services, organization_id=organization, platform="x", kind="oauth2",
        secret={"access_token": ada.access_token, "refresh_token": str(ada.refresh_token)},
        external_id=ada.user_id, expires_at=ada.expires_at,
    )  # fmt: skip
    return Reader(emulator, ada, grace, account, organization, XActivities(services))


async def test_mentions_of_the_account_newest_first(reader: Reader) -> None:
    first = await reader.post(reader.grace, "hello @ada")
    await reader.post(reader.grace, "nothing for ada here")
    second = await reader.post(reader.grace, "@Ada again")
    output = await reader.read("x.mentions")
    assert set(output) == OUTPUT_KEYS
    assert [item["id"] for item in output["items"]] == [second, first]
    assert output["items"][0]["author_id"] == reader.grace.user_id
    assert "created_at" in output["items"][0]
    assert (output["newest_id"], output["oldest_id"]) == (second, first)
    assert (output["next_token"], output["result_count"]) == (None, 2)


async def test_pages_are_read_up_to_max_pages_then_a_token_goes_on(reader: Reader) -> None:
    ids = [await reader.post(reader.grace, f"@ada number {n}") for n in range(25)]
    newest_first = list(reversed(ids))
    first = await reader.read("x.mentions", max_results=10, max_pages=2)
    assert [item["id"] for item in first["items"]] == newest_first[:20]
    assert first["next_token"] is not None
    assert first["newest_id"] == newest_first[0]
    rest = await reader.read(
        "x.mentions", max_results=10, max_pages=2, pagination_token=first["next_token"]
    )
    assert [item["id"] for item in rest["items"]] == newest_first[20:]
    assert rest["next_token"] is None
    pages = reader.emulator.requests("GET", f"/2/users/{reader.ada.user_id}/mentions")
    assert len(pages) == 3


async def test_since_id_reads_only_what_is_new_and_keeps_the_cursor_when_nothing_is(
    reader: Reader,
) -> None:
    await reader.post(reader.grace, "@ada old news")
    seen = await reader.read("x.mentions")
    newer = [await reader.post(reader.grace, f"@ada fresh {n}") for n in range(2)]
    fresh = await reader.read("x.mentions", since_id=seen["newest_id"])
    assert [item["id"] for item in fresh["items"]] == list(reversed(newer))
    assert fresh["newest_id"] == newer[-1]
    quiet = await reader.read("x.mentions", since_id=fresh["newest_id"])
    assert (quiet["items"], quiet["newest_id"], quiet["result_count"]) == ([], newer[-1], 0)


async def test_a_users_posts_without_replies(reader: Reader) -> None:
    root = await reader.post(reader.grace, "a thought")
    await reader.post(reader.grace, "a reply", reply={"in_reply_to_tweet_id": root})
    later = await reader.post(reader.grace, "another thought")
    everything = await reader.read("x.user_posts", user_id=reader.grace.user_id)
    assert everything["result_count"] == 3
    output = await reader.read(
        "x.user_posts", user_id=reader.grace.user_id, exclude=["replies"],
        fields=["created_at", "public_metrics"],
    )  # fmt: skip
    assert [item["id"] for item in output["items"]] == [later, root]
    assert output["items"][0]["public_metrics"]["like_count"] == 0
    own = await reader.read("x.user_posts")
    assert (own["items"], own["newest_id"]) == ([], None)


async def test_recent_search_matches_words_authors_and_exclusions(reader: Reader) -> None:
    launch = await reader.post(reader.grace, "Our #launch is today")
    await reader.post(reader.ada, "my #launch too")
    await reader.post(reader.grace, "#launch postponed")
    old = await reader.post(reader.grace, "an old #launch")
    reader.emulator.state.x.posts[old].created_at -= timedelta(days=8)
    output = await reader.read("x.search_recent", query="#launch from:grace -postponed")
    assert [item["id"] for item in output["items"]] == [launch]
    phrase = await reader.read("x.search_recent", query='"is today"')
    assert [item["id"] for item in phrase["items"]] == [launch]


async def test_an_operator_x_has_but_the_emulator_does_not_is_a_clear_refusal(
    reader: Reader,
) -> None:
    error = await reader.fails("x.search_recent", query="has:media cats")
    assert (error.type, error.non_retryable) == ("XBadRequest", True)
    assert "has:" in error.message


async def test_a_spent_window_retries_at_its_reset(reader: Reader) -> None:
    reset = reader.emulator.set_x_rate_limit(
        reader.ada.user_id, "GET /2/tweets/search/recent", remaining=0, reset_in=WINDOW
    )
    error = await reader.fails("x.search_recent", query="anything")
    assert (error.type, error.non_retryable) == ("XRateLimited", False)
    assert error.next_retry_delay is not None
    wait = reset - time.time()
    assert wait <= error.next_retry_delay.total_seconds() <= wait + 11


async def test_a_rate_limit_on_a_later_page_retries_the_whole_read(reader: Reader) -> None:
    for n in range(12):
        await reader.post(reader.grace, f"@ada page test {n}")
    reader.emulator.set_x_rate_limit(
        reader.ada.user_id, "GET /2/users/:id/mentions", remaining=1, reset_in=WINDOW
    )
    error = await reader.fails("x.mentions", max_results=10, max_pages=2)
    assert error.type == "XRateLimited"
    reader.emulator.advance(WINDOW)
    output = await reader.read("x.mentions", max_results=10, max_pages=2)
    assert output["result_count"] == 12


async def test_an_unknown_user_fails_for_good(reader: Reader) -> None:
    error = await reader.fails("x.mentions", user_id="42")
    assert (error.type, error.non_retryable) == ("XNotFound", True)
    assert "Could not find user with id: [42]" in error.message


async def test_recent_search_pages_with_its_next_token(reader: Reader) -> None:
    ids = [await reader.post(reader.grace, f"#paging number {n}") for n in range(15)]
    output = await reader.read("x.search_recent", query="#paging", max_results=10, max_pages=3)
    assert [item["id"] for item in output["items"]] == list(reversed(ids))
    assert (output["next_token"], output["result_count"]) == (None, 15)
    searches = reader.emulator.requests("GET", "/2/tweets/search/recent")
    assert len(searches) == 2
    assert "next_token=" in searches[1].target
