"""Instagram conversations against the emulator over real HTTP (issue 15, point 2): list a
media's comments, reply once per step even when the answer is lost, hide and show, delete;
only on the account's own media, with Meta's errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from activities.services import ActionServices
from emulator import record
from emulator.instagram_state import (
    Comment,
    Container,
    Media,
    add_comment,
    add_message,
    thread_with,
)
from emulator.testing import EmulatorHandle
from tests.activities.support import Attempts
from tests.activities.test_instagram_actions import Instagram, connect_instagram

REPLIES = "/v21.0/*/replies"


@pytest.fixture
async def instagram(
    emulator: EmulatorHandle, services: ActionServices, organization: str
) -> Instagram:
    return await connect_instagram(emulator, services, organization, polls=0)


def published(instagram: Instagram, owner: str | None = None) -> Media:
    state = instagram.emulator.state.instagram
    container = state.add_container(
        Container(
            state.new_id(),
            owner or instagram.user.ig_user_id,
            "IMAGE",
            state.clock.now(),
            caption="ours",
            image_url="https://cdn.example.com/a.jpg",
        )
    )
    container.polls_left = 0
    return state.publish(container)


def follower_says(instagram: Instagram, media: Media, text: str, name: str = "fan") -> Comment:
    state = instagram.emulator.state.instagram
    return add_comment(state, media, author_id=state.new_id(), username=name, text=text)


def replies_to(instagram: Instagram, comment: Comment) -> list[Comment]:
    return [
        c for c in instagram.emulator.state.instagram.comments.values() if c.parent_id == comment.id
    ]


async def test_the_comments_of_a_media_are_listed_oldest_first(instagram: Instagram) -> None:
    media = published(instagram)
    first = follower_says(instagram, media, "first!", "ana")
    second = follower_says(instagram, media, "nice", "bo")
    second.hidden = True
    output = await instagram.run("list_comments", media_id=media.id, limit=10)
    assert output["count"] == 2
    assert [(c["id"], c["username"], c["text"], c["hidden"]) for c in output["comments"]] == [
        (first.id, "ana", "first!", False),
        (second.id, "bo", "nice", True),
    ]
    assert output["comments"][0]["timestamp"].endswith("+0000")


async def test_a_reply_is_posted_under_the_comment(instagram: Instagram) -> None:
    comment = follower_says(instagram, published(instagram), "price?")
    output = await instagram.run("reply_comment", comment_id=comment.id, message="DM sent!")
    [reply] = replies_to(instagram, comment)
    assert output == {"id": reply.id, "comment_id": comment.id}
    assert (reply.username, reply.text) == ("ada.makes", "DM sent!")


@pytest.mark.parametrize("network", [True, False], ids=["answer-lost", "503-after-posting"])
async def test_a_reply_whose_answer_was_lost_is_found_not_posted_again(
    instagram: Instagram, network: bool
) -> None:
    comment = follower_says(instagram, published(instagram), "hello")
    attempts = Attempts()
    if network:
        instagram.emulator.fail_next("POST", REPLIES, network=True, when="after")
    else:
        instagram.emulator.fail_next("POST", REPLIES, status=503, when="after")
    await instagram.fails("reply_comment", attempts, comment_id=comment.id, message="hi there")
    output = await instagram.run(
        "reply_comment", attempts, comment_id=comment.id, message="hi there"
    )
    [reply] = replies_to(instagram, comment)
    assert output == {"id": reply.id, "comment_id": comment.id}
    assert instagram.emulator.count(record.INSTAGRAM_COMMENT_CREATED) == 2  # comment and reply


async def test_a_reply_refused_before_posting_is_posted_by_the_retry(instagram: Instagram) -> None:
    comment = follower_says(instagram, published(instagram), "hello")
    attempts = Attempts()
    instagram.emulator.fail_next("POST", REPLIES, status=503, when="before")
    await instagram.fails("reply_comment", attempts, comment_id=comment.id, message="hi")
    await instagram.run("reply_comment", attempts, comment_id=comment.id, message="hi")
    assert len(replies_to(instagram, comment)) == 1


async def test_a_reply_to_a_reply_is_refused_with_metas_message(instagram: Instagram) -> None:
    comment = follower_says(instagram, published(instagram), "hello")
    reply = await instagram.run("reply_comment", comment_id=comment.id, message="hi")
    error = await instagram.fails("reply_comment", comment_id=reply["id"], message="again")
    assert error.non_retryable
    assert "top-level comments" in str(error)


async def test_a_comment_is_hidden_and_shown_again(instagram: Instagram) -> None:
    comment = follower_says(instagram, published(instagram), "spam spam")
    assert await instagram.run("hide_comment", comment_id=comment.id) == {
        "comment_id": comment.id, "hidden": True,
    }  # fmt: skip
    assert comment.hidden is True
    await instagram.run("hide_comment", comment_id=comment.id)  # twice is still hidden
    assert comment.hidden is True
    await instagram.run("hide_comment", comment_id=comment.id, hide=False)
    assert comment.hidden is False


async def test_a_comment_is_deleted_with_its_replies(instagram: Instagram) -> None:
    comment = follower_says(instagram, published(instagram), "rude")
    await instagram.run("reply_comment", comment_id=comment.id, message="please be kind")
    output = await instagram.run("delete_comment", comment_id=comment.id)
    assert output == {"comment_id": comment.id, "deleted": True}
    assert instagram.emulator.state.instagram.comments == {}


async def test_a_delete_retried_after_its_answer_was_lost_counts_as_done(
    instagram: Instagram,
) -> None:
    comment = follower_says(instagram, published(instagram), "rude")
    attempts = Attempts()
    instagram.emulator.fail_next("DELETE", "/v21.0/*", network=True, when="after")
    await instagram.fails("delete_comment", attempts, comment_id=comment.id)
    assert await instagram.run("delete_comment", attempts, comment_id=comment.id) == {
        "comment_id": comment.id, "deleted": True,
    }  # fmt: skip
    assert instagram.emulator.count(record.INSTAGRAM_COMMENT_DELETED) == 1


async def test_deleting_a_comment_that_is_gone_fails_on_a_first_attempt(
    instagram: Instagram,
) -> None:
    error = await instagram.fails("delete_comment", comment_id="17000000000000001")
    assert error.non_retryable
    assert "does not exist" in str(error)


async def test_comments_on_another_accounts_media_are_out_of_reach(instagram: Instagram) -> None:
    other = instagram.emulator.add_instagram_user("someone.else")
    comment = follower_says(instagram, published(instagram, other.ig_user_id), "theirs")
    tries: list[tuple[str, dict[str, Any]]] = [
        ("reply_comment", {"message": "hi"}),
        ("hide_comment", {}),
        ("delete_comment", {}),
        ("private_reply", {"message": "hi"}),
    ]
    for name, parameters in tries:
        error = await instagram.fails(name, None, comment_id=comment.id, **parameters)
        assert "does not exist" in str(error), name
    assert comment.hidden is False
    assert replies_to(instagram, comment) == []


# Private replies and direct messages

MESSAGES = "/v21.0/*/messages"


def writes_in(instagram: Instagram, username: str = "fan") -> str:
    state = instagram.emulator.state.instagram
    person = state.new_id()
    thread = thread_with(state, instagram.user.ig_user_id, person, username)
    add_message(state, thread, person, "hi, is it in stock?")
    return person


def sent_to(instagram: Instagram, person: str) -> list[str]:
    thread = instagram.emulator.state.instagram.threads[(instagram.user.ig_user_id, person)]
    return [m.text for m in thread.messages if m.from_id == instagram.user.ig_user_id]


async def test_a_private_reply_messages_the_commenter_once_per_comment(
    instagram: Instagram,
) -> None:
    comment = follower_says(instagram, published(instagram), "link please")
    output = await instagram.run("private_reply", comment_id=comment.id, message="Here it is")
    assert output["comment_id"] == comment.id
    assert output["recipient_id"] == comment.author_id
    assert sent_to(instagram, comment.author_id) == ["Here it is"]
    again = await instagram.fails("private_reply", comment_id=comment.id, message="Twice?")
    assert again.non_retryable
    assert "already been sent" in str(again)
    assert sent_to(instagram, comment.author_id) == ["Here it is"]


async def test_a_private_reply_after_seven_days_is_refused_by_meta(instagram: Instagram) -> None:
    comment = follower_says(instagram, published(instagram), "link please")
    instagram.emulator.advance(timedelta(days=7, minutes=1))
    error = await instagram.fails("private_reply", comment_id=comment.id, message="Late")
    assert error.non_retryable
    assert "outside of allowed window" in str(error)


async def test_a_private_reply_whose_answer_was_lost_is_found_not_sent_again(
    instagram: Instagram,
) -> None:
    comment = follower_says(instagram, published(instagram), "link please")
    attempts = Attempts()
    instagram.emulator.fail_next("POST", MESSAGES, network=True, when="after")
    await instagram.fails("private_reply", attempts, comment_id=comment.id, message="Here")
    output = await instagram.run("private_reply", attempts, comment_id=comment.id, message="Here")
    assert sent_to(instagram, comment.author_id) == ["Here"]
    assert instagram.emulator.count(record.INSTAGRAM_MESSAGE_SENT) == 1
    assert output["message_id"] == instagram.emulator.state.instagram.private_replies[comment.id]


async def test_a_message_within_the_window_is_sent(instagram: Instagram) -> None:
    person = writes_in(instagram)
    instagram.emulator.advance(timedelta(hours=23))
    output = await instagram.run("send_message", recipient_id=person, message="Yes, size M left")
    assert output["recipient_id"] == person
    assert sent_to(instagram, person) == ["Yes, size M left"]


async def test_a_message_after_the_24_hour_window_is_refused_with_metas_error(
    instagram: Instagram,
) -> None:
    person = writes_in(instagram)
    instagram.emulator.advance(timedelta(hours=24, seconds=1))
    error = await instagram.fails("send_message", recipient_id=person, message="Too late")
    assert error.non_retryable
    assert error.type == "InstagramRefused"
    assert "(#10) This message is sent outside of allowed window." in str(error)
    assert sent_to(instagram, person) == []


async def test_a_message_to_someone_who_never_wrote_is_refused(instagram: Instagram) -> None:
    error = await instagram.fails("send_message", recipient_id="1234567", message="Hello?")
    assert "No matching user found" in str(error)


async def test_a_message_whose_answer_was_lost_is_found_not_sent_again(
    instagram: Instagram,
) -> None:
    person = writes_in(instagram)
    attempts = Attempts()
    instagram.emulator.fail_next("POST", MESSAGES, network=True, when="after")
    await instagram.fails("send_message", attempts, recipient_id=person, message="On its way")
    output = await instagram.run(
        "send_message", attempts, recipient_id=person, message="On its way"
    )
    assert sent_to(instagram, person) == ["On its way"]
    assert instagram.emulator.count(record.INSTAGRAM_MESSAGE_SENT) == 1
    [message_id] = [
        m.id
        for m in instagram.emulator.state.instagram.threads[
            (instagram.user.ig_user_id, person)
        ].messages
        if m.from_id == instagram.user.ig_user_id
    ]
    assert output == {"recipient_id": person, "message_id": message_id}


async def test_the_same_text_sent_again_by_a_later_step_is_sent(instagram: Instagram) -> None:
    """Only a retry of one step looks for its earlier message: two steps are two messages."""
    person = writes_in(instagram)
    await instagram.run("send_message", recipient_id=person, message="Thanks!")
    await instagram.run("send_message", recipient_id=person, message="Thanks!")
    assert sent_to(instagram, person) == ["Thanks!", "Thanks!"]
