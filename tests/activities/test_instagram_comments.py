"""Instagram conversations against the emulator over real HTTP (issue 15, point 2): list a
media's comments, reply once per step even when the answer is lost, hide and show, delete;
only on the account's own media, with Meta's errors."""

from __future__ import annotations

import pytest

from activities.services import ActionServices
from emulator import record
from emulator.instagram_state import Comment, Container, Media, add_comment
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
    for name, parameters in [
        ("reply_comment", {"message": "hi"}),
        ("hide_comment", {}),
        ("delete_comment", {}),
    ]:
        error = await instagram.fails(name, comment_id=comment.id, **parameters)
        assert "does not exist" in str(error), name
    assert comment.hidden is False
    assert replies_to(instagram, comment) == []
