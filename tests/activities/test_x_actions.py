"""X activities through tweepy against the emulator over real HTTP: what each action does,
how every kind of failure maps, and that retries never post twice."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from activities.services import ActionServices
from activities.x.actions import XActivities
from activities.x.errors import (
    DEFAULT_RATE_LIMIT_DELAY,
    MAX_JITTER_SECONDS,
    MAX_RATE_LIMIT_DELAY,
    rate_limit_delay,
)
from emulator import record
from emulator.config import EmulatorConfig
from emulator.control import XAccount
from emulator.testing import EmulatorHandle
from tests.activities.support import Attempts, action, new_account

WINDOW = timedelta(minutes=15)


class X:
    """An X user on the emulator, connected as an account of our organization."""

    def __init__(
        self, emulator: EmulatorHandle, user: XAccount, account_id: str, organization: str,
        activities: XActivities,
    ) -> None:  # fmt: skip
        self.emulator = emulator
        self.user = user
        self.account_id = account_id
        self.organization = organization
        self.activities = activities

    def action(self, node_type: str, **parameters: Any) -> Any:
        return action(
            node_type, parameters, organization_id=self.organization, account_id=self.account_id
        )

    async def run(self, node_type: str, attempts: Attempts | None = None, **parameters: Any) -> Any:
        method = getattr(self.activities, node_type.removeprefix("x."))
        return await (attempts or Attempts()).run(method, self.action(node_type, **parameters))

    async def fails(
        self, node_type: str, attempts: Attempts | None = None, **parameters: Any
    ) -> ApplicationError:
        with pytest.raises(ApplicationError) as caught:
            await self.run(node_type, attempts, **parameters)
        return caught.value

    def posts(self) -> list[Any]:
        return list(reversed(self.emulator.posts_by(self.user.user_id)))

    def assert_thread(self, output: dict[str, Any], texts: list[str]) -> None:
        """The account's posts are exactly `texts`, each replying to the one before, and
        `output` names them."""
        posts = self.posts()
        assert [p.text for p in posts] == texts
        assert [p.reply_to for p in posts] == [None, *(p.id for p in posts[:-1])]
        assert output["ids"] == [p.id for p in posts]


@pytest.fixture
async def x(emulator: EmulatorHandle, services: ActionServices, organization: str) -> X:
    return await connected_x(emulator, services, organization)


async def connected_x(emulator: EmulatorHandle, services: ActionServices, organization: str) -> X:
    user = emulator.add_x_user("ada", name="Ada Lovelace")
    assert user.refresh_token is not None
    account = await new_account(
        services, organization_id=organization, platform="x", kind="oauth2",
        secret={"access_token": user.access_token, "refresh_token": user.refresh_token},
        external_id=user.user_id, expires_at=user.expires_at,
    )  # fmt: skip
    return X(emulator, user, account, organization, XActivities(services))


# What each action does


async def test_post_publishes_one_post(x: X) -> None:
    output = await x.run("x.post", text="Hello from Flowhold")
    [post] = x.posts()
    assert output == {"id": post.id, "text": "Hello from Flowhold"}


async def test_post_replies_and_quotes(x: X) -> None:
    first = await x.run("x.post", text="first")
    reply = await x.run("x.post", text="a reply", reply_to=first["id"])
    quote = await x.run("x.post", text="a quote", quote_post_id=first["id"])
    by_id = {post.id: post for post in x.posts()}
    assert by_id[reply["id"]].reply_to == first["id"]
    assert by_id[quote["id"]].quote_of == first["id"]


async def test_post_attaches_media(x: X) -> None:
    media = x.emulator.add_x_media(x.user.user_id)
    output = await x.run("x.post", text="look", media_ids=[media])
    assert x.posts()[0].media_ids == (media,)
    assert output["text"] == "look"


async def test_thread_posts_each_post_as_a_reply_to_the_one_before(x: X) -> None:
    output = await x.run("x.thread", posts=[{"text": f"part {n}/3"} for n in (1, 2, 3)])
    posts = x.posts()
    assert output == {"ids": [p.id for p in posts], "first_id": posts[0].id, "last_id": posts[2].id}
    assert [p.reply_to for p in posts] == [None, posts[0].id, posts[1].id]


async def test_delete_deletes_the_post(x: X) -> None:
    post = await x.run("x.post", text="short-lived")
    assert await x.run("x.delete", post_id=post["id"]) == {"deleted": True}
    assert x.posts() == []
    assert x.emulator.count(record.X_POST_DELETED) == 1


async def test_get_post_reads_public_metrics_and_chosen_fields(x: X) -> None:
    post = await x.run("x.post", text="count me")
    x.emulator.set_post_metrics(post["id"], like_count=7, repost_count=2)
    output = await x.run("x.get_post", post_id=post["id"], fields=["public_metrics", "created_at"])
    assert output["id"] == post["id"]
    assert output["public_metrics"]["like_count"] == 7
    assert output["public_metrics"]["repost_count"] == 2
    assert output["created_at"].endswith("Z")


async def test_me_reads_the_connected_account(x: X) -> None:
    assert await x.run("x.me") == {"id": x.user.user_id, "name": "Ada Lovelace", "username": "ada"}


# Failures, mapped in one place


async def test_a_rate_limit_retries_when_the_15_minute_window_resets(x: X) -> None:
    reset = x.emulator.set_x_rate_limit(
        x.user.user_id, "POST /2/tweets", remaining=0, reset_in=WINDOW
    )
    error = await x.fails("x.post", text="too soon")
    assert (error.type, error.non_retryable) == ("XRateLimited", False)
    assert error.next_retry_delay is not None
    wait = reset - time.time()
    assert wait <= error.next_retry_delay.total_seconds() <= wait + 11
    assert x.posts() == []


async def test_a_daily_cap_retries_when_the_24_hour_window_resets(x: X) -> None:
    reset = x.emulator.set_x_rate_limit(
        x.user.user_id, "POST /2/tweets", remaining=0, reset_in=timedelta(hours=20), daily=True
    )
    error = await x.fails("x.post", text="too many today")
    assert error.next_retry_delay is not None
    assert error.next_retry_delay > timedelta(hours=19)
    assert error.next_retry_delay.total_seconds() <= reset - time.time() + 11


@pytest.mark.parametrize(
    "headers",
    [
        {"x-rate-limit-remaining": "0", "x-rate-limit-reset": "99999999999"},
        {"x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": "9" * 400},
        {"x-rate-limit-reset": "9" * 400},
    ],
    ids=["year-5138", "400-digit-daily", "400-digit-without-remaining"],
)
async def test_an_absurd_reset_waits_at_most_a_day_plus_jitter(
    x: X, headers: dict[str, str]
) -> None:
    x.emulator.fail_next("POST", "/2/tweets", status=429, headers=headers)
    error = await x.fails("x.post", text="far future")
    assert (error.type, error.non_retryable) == ("XRateLimited", False)
    assert error.next_retry_delay is not None
    assert (
        MAX_RATE_LIMIT_DELAY
        < error.next_retry_delay
        <= MAX_RATE_LIMIT_DELAY + timedelta(seconds=MAX_JITTER_SECONDS)
    )
    assert x.posts() == []


async def test_a_reset_in_the_past_retries_soon_with_jitter(x: X) -> None:
    past = str(int(time.time()) - 3600)
    x.emulator.fail_next(
        "POST", "/2/tweets", status=429,
        headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": past},
    )  # fmt: skip
    error = await x.fails("x.post", text="window already over")
    assert error.next_retry_delay is not None
    assert 1 <= error.next_retry_delay.total_seconds() <= MAX_JITTER_SECONDS


@pytest.mark.parametrize("reset", ["\u00b2", "soon", "1.5", "-60"])
async def test_a_reset_that_is_not_plain_digits_waits_the_default(x: X, reset: str) -> None:
    # tweepy int()s this header itself, and str.isdigit() accepts "²", which int() refuses.
    x.emulator.fail_next(
        "POST", "/2/tweets", status=429,
        headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": reset},
    )  # fmt: skip
    error = await x.fails("x.post", text="odd header")
    assert (error.type, error.next_retry_delay) == ("XRateLimited", DEFAULT_RATE_LIMIT_DELAY)


async def test_a_server_error_retries_with_backoff(x: X) -> None:
    x.emulator.fail_next("POST", "/2/tweets", status=503)
    error = await x.fails("x.post", text="later")
    assert (error.type, error.non_retryable, error.next_retry_delay) == (
        "XServerError",
        False,
        None,
    )


async def test_a_lost_connection_retries(x: X) -> None:
    x.emulator.fail_next("GET", "/2/users/me", network=True)
    error = await x.fails("x.me")
    assert (error.type, error.non_retryable) == ("NetworkError", False)


async def test_a_bad_request_fails_for_good_with_xs_message(x: X) -> None:
    error = await x.fails("x.post", text="with media", media_ids=["123"])
    assert (error.type, error.non_retryable) == ("XBadRequest", True)
    assert "Your media IDs are invalid" in error.message


async def test_a_forbidden_reply_fails_for_good_with_xs_message(x: X) -> None:
    post = await x.run("x.post", text="soon gone")
    await x.run("x.delete", post_id=post["id"])
    error = await x.fails("x.post", text="replying", reply_to=post["id"])
    assert (error.type, error.non_retryable) == ("XForbidden", True)
    assert "deleted or not visible" in error.message


async def test_a_missing_post_fails_for_good(x: X) -> None:
    deleting = await x.fails("x.delete", post_id="1234567890")
    reading = await x.fails("x.get_post", post_id="1234567890")
    assert (deleting.type, deleting.non_retryable) == ("XNotFound", True)
    assert (reading.type, reading.non_retryable) == ("XNotFound", True)


async def test_an_expired_token_is_renewed_once_and_the_call_succeeds(x: X) -> None:
    x.emulator.expire_token(x.user.access_token)
    await x.run("x.post", text="after renewal")
    assert len(x.posts()) == 1
    assert x.emulator.count(record.X_TOKEN_ROTATED) == 1


async def test_a_token_refused_again_after_renewal_fails_for_good(x: X) -> None:
    x.emulator.fail_next("GET", "/2/users/me", status=401, times=2)
    error = await x.fails("x.me")
    assert (error.type, error.non_retryable) == ("XUnauthorized", True)
    assert x.emulator.count(record.X_TOKEN_ROTATED) == 1


async def test_duplicate_text_on_a_first_attempt_fails_for_good(x: X) -> None:
    await x.run("x.post", text="said it already")
    error = await x.fails("x.post", text="said it already")
    assert (error.type, error.non_retryable) == ("XDuplicateContent", True)
    assert len(x.posts()) == 1


async def test_x_account_is_required(x: X) -> None:
    request = action("x.me", {}, organization_id=x.organization)
    with pytest.raises(ApplicationError) as caught:
        await Attempts().run(x.activities.me, request)
    assert (caught.value.type, caught.value.non_retryable) == ("AccountUnusable", True)


# Retries never post twice


async def test_a_post_whose_answer_was_lost_is_found_on_retry_not_posted_again(x: X) -> None:
    attempts = Attempts()
    x.emulator.fail_next("POST", "/2/tweets", network=True, when="after")
    error = await x.fails("x.post", attempts, text="exactly once")
    assert error.type == "NetworkError"
    output = await x.run("x.post", attempts, text="exactly once")
    [post] = x.posts()
    assert output == {"id": post.id, "text": "exactly once"}
    assert x.emulator.count(record.X_POST_CREATED) == 1


@pytest.fixture
async def lenient_x(emulator: EmulatorHandle, services: ActionServices, organization: str) -> X:
    """`x` on an X that lets the same text through twice: no duplicate refusal to lean on."""
    emulator.reset(EmulatorConfig(x_refuses_duplicates=False))
    return await connected_x(emulator, services, organization)


@pytest.mark.parametrize("network", [False, True], ids=["503-after-posting", "answer-lost"])
async def test_a_retry_finds_the_post_its_first_attempt_made_before_posting(
    lenient_x: X, network: bool
) -> None:
    x = lenient_x
    attempts = Attempts()
    x.emulator.fail_next("POST", "/2/tweets", status=503, network=network, when="after")
    await x.fails("x.post", attempts, text="exactly once, https://example.com/a")
    output = await x.run("x.post", attempts, text="exactly once, https://example.com/a")
    [post] = x.posts()
    assert output == {"id": post.id, "text": post.text}
    assert x.emulator.count(record.X_POST_CREATED) == 1


async def test_a_retry_of_a_reply_matches_the_parent_too(lenient_x: X) -> None:
    x = lenient_x
    parent, other = await x.run("x.post", text="parent"), await x.run("x.post", text="other")
    await x.run("x.post", text="thanks!", reply_to=other["id"])
    attempts = Attempts()
    x.emulator.fail_next("POST", "/2/tweets", status=500, when="after")
    await x.fails("x.post", attempts, text="thanks!", reply_to=parent["id"])
    output = await x.run("x.post", attempts, text="thanks!", reply_to=parent["id"])
    replies = [post for post in x.posts() if post.reply_to == parent["id"]]
    assert [post.id for post in replies] == [output["id"]]


async def test_a_retry_posts_when_the_first_attempt_did_not(lenient_x: X) -> None:
    x = lenient_x
    await x.run("x.post", text="again")  # an earlier step's post, before this activity
    x.emulator.advance(timedelta(minutes=30))
    attempts = Attempts(scheduled=x.posts()[0].created_at + timedelta(minutes=30))
    x.emulator.fail_next("POST", "/2/tweets", status=503)
    await x.fails("x.post", attempts, text="again")
    output = await x.run("x.post", attempts, text="again")
    assert [post.id for post in x.posts()][-1] == output["id"]
    assert x.emulator.count(record.X_POST_CREATED) == 2


async def test_a_thread_retry_finds_its_lost_post_reading_the_timeline_once(
    lenient_x: X,
) -> None:
    x = lenient_x
    attempts = Attempts()
    texts = [f"part {n}" for n in range(1, 6)]
    x.emulator.fail_next("POST", "/2/tweets", status=503, when="after")
    await x.fails("x.thread", attempts, posts=[{"text": text} for text in texts])
    attempts.forget()  # and the progress of the first attempt is lost too
    output = await x.run("x.thread", attempts, posts=[{"text": text} for text in texts])
    x.assert_thread(output, texts)
    assert len(x.emulator.requests("GET", f"/2/users/{x.user.user_id}/tweets")) == 1


async def test_a_duplicate_from_before_this_activity_is_not_taken_for_ours(x: X) -> None:
    await x.run("x.post", text="old news")
    x.emulator.advance(timedelta(minutes=30))
    later = Attempts(scheduled=x.posts()[0].created_at + timedelta(minutes=30))
    x.emulator.fail_next("POST", "/2/tweets", status=503)
    await x.fails("x.post", later, text="old news")
    error = await x.fails("x.post", later, text="old news")
    assert error.type == "XDuplicateContent"


async def test_a_thread_that_failed_halfway_resumes_after_its_last_post(x: X) -> None:
    x.emulator.set_x_rate_limit(x.user.user_id, "POST /2/tweets", remaining=2, reset_in=WINDOW)
    attempts = Attempts()
    texts = [{"text": f"step {n}"} for n in range(1, 5)]
    error = await x.fails("x.thread", attempts, posts=texts)
    assert error.type == "XRateLimited"
    assert attempts.heartbeats[-1] == {"ids": [p.id for p in x.posts()]}
    x.emulator.advance(WINDOW)
    output = await x.run("x.thread", attempts, posts=texts)
    posts = x.posts()
    assert [p.text for p in posts] == [t["text"] for t in texts]
    assert [p.reply_to for p in posts] == [None, *(p.id for p in posts[:-1])]
    assert output["ids"] == [p.id for p in posts]
    assert x.emulator.count(record.X_POST_CREATED) == 4


async def test_a_thread_post_whose_answer_was_lost_is_found_on_the_timeline(x: X) -> None:
    lost: list[bool] = []

    def lose_the_next_answer(details: Any) -> None:
        if len(details["ids"]) == 1 and not lost:
            lost.append(True)
            x.emulator.fail_next("POST", "/2/tweets", network=True, when="after")

    attempts = Attempts(on_progress=lose_the_next_answer)
    texts = [{"text": f"part {n}"} for n in range(1, 4)]
    await x.fails("x.thread", attempts, posts=texts)
    assert len(x.posts()) == 2  # part 2 was created; the activity never heard
    output = await x.run("x.thread", attempts, posts=texts)
    x.assert_thread(output, ["part 1", "part 2", "part 3"])


async def test_a_thread_resumes_without_duplicates_even_when_its_progress_was_lost(x: X) -> None:
    attempts = Attempts()
    texts = [{"text": f"part {n}"} for n in range(1, 4)]
    x.emulator.set_x_rate_limit(x.user.user_id, "POST /2/tweets", remaining=2, reset_in=WINDOW)
    await x.fails("x.thread", attempts, posts=texts)
    attempts.forget()
    x.emulator.advance(WINDOW)
    output = await x.run("x.thread", attempts, posts=texts)
    x.assert_thread(output, ["part 1", "part 2", "part 3"])
    assert x.emulator.count(record.X_POST_CREATED) == 3


async def test_a_delete_retried_after_its_answer_was_lost_counts_as_done(x: X) -> None:
    post = await x.run("x.post", text="delete me once")
    attempts = Attempts()
    x.emulator.fail_next("DELETE", "/2/tweets/*", network=True, when="after")
    await x.fails("x.delete", attempts, post_id=post["id"])
    assert await x.run("x.delete", attempts, post_id=post["id"]) == {"deleted": True}
    assert x.emulator.count(record.X_POST_DELETED) == 1


# Secrets


async def test_tokens_reach_neither_logs_nor_errors(x: X, caplog: pytest.LogCaptureFixture) -> None:
    x.emulator.expire_token(x.user.access_token)
    x.emulator.fail_next("POST", "/2/tweets", status=403, body={"detail": "nope", "status": 403})
    with caplog.at_level(logging.DEBUG):
        error = await x.fails("x.post", text="quietly")
    assert x.user.access_token not in caplog.text
    assert str(x.user.refresh_token) not in caplog.text
    assert "Bearer" not in caplog.text
    assert x.user.access_token not in str(error)


# The delay a 429 names


def test_the_delay_is_to_the_latest_exhausted_window_plus_jitter() -> None:
    headers = {
        "x-rate-limit-remaining": "3", "x-rate-limit-reset": "1900",
        "x-app-limit-24hour-remaining": "0", "x-app-limit-24hour-reset": "87000",
        "x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": "5000",
    }  # fmt: skip
    delay = rate_limit_delay(headers, now=1000).total_seconds()
    assert 86_000 + 1 <= delay <= 86_000 + MAX_JITTER_SECONDS


def test_a_429_without_reset_headers_waits_a_minute() -> None:
    assert rate_limit_delay({}, now=1000) == DEFAULT_RATE_LIMIT_DELAY
