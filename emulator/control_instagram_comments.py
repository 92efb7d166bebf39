"""Control API for Instagram conversations: a published media to comment on, a follower's
comment, and Meta's `comments` webhook for it, sent again in a new envelope as often as a
test asks (Meta re-sends one comment under another `entry.time`); a person writing to the
account (which opens its 24-hour messaging window) and the conversations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from emulator import meta_webhooks
from emulator.control import ControlError
from emulator.control_api import ok
from emulator.instagram_state import Comment, Container, add_comment, add_message, thread_with
from emulator.meta_webhooks import instagram_change
from emulator.state import EmulatorState, emulator_of

router = APIRouter(prefix="/_emulator", tags=["control"])


class MediaRequest(BaseModel):
    caption: str = Field(default="", max_length=2200)


class FollowerCommentRequest(BaseModel):
    username: str = Field(min_length=1, max_length=30, pattern=r"^[\w.]+$")
    text: str = Field(min_length=1, max_length=2200)


class CommentWebhookRequest(BaseModel):
    url: str = Field(pattern=r"^https?://", description="The receiver.")
    app_secret: str | None = Field(default=None, description="Sign with this instead.")


def comment_value(comment: Comment) -> dict[str, Any]:
    """The `value` of Meta's `comments` change for a comment."""
    value: dict[str, Any] = {
        "from": {"id": comment.author_id, "username": comment.username},
        "media": {"id": comment.media_id, "media_product_type": "FEED"},
        "id": comment.id,
        "text": comment.text,
    }
    if comment.parent_id is not None:
        value["parent_id"] = comment.parent_id
    return value


@router.post("/instagram/users/{ig_user_id}/published", status_code=201)
async def add_published_media(
    ig_user_id: str, body: MediaRequest, request: Request
) -> JSONResponse:
    """A feed image published at once, to comment on."""
    instagram = emulator_of(request).instagram
    if ig_user_id not in instagram.users:
        raise ControlError(f"no Instagram account {ig_user_id}")
    container = instagram.add_container(
        Container(
            instagram.new_id(),
            ig_user_id,
            "IMAGE",
            instagram.clock.now(),
            caption=body.caption,
            image_url="https://cdn.example.com/seed.jpg",
        )
    )
    container.polls_left = 0
    container.outcome = "FINISHED"
    media = instagram.publish(container)
    return ok({"id": media.id, "permalink": media.permalink}, status=201)


@router.post("/instagram/media/{media_id}/comments", status_code=201)
async def add_follower_comment(
    media_id: str, body: FollowerCommentRequest, request: Request
) -> JSONResponse:
    """A comment by a follower (not the account) on a published media."""
    instagram = emulator_of(request).instagram
    media = instagram.media.get(media_id)
    if media is None:
        raise ControlError(f"no published media {media_id}")
    author = instagram.new_id()
    comment = add_comment(
        instagram, media, author_id=author, username=body.username, text=body.text
    )
    return ok(comment_value(comment), status=201)


@router.get("/instagram/media/{media_id}/comments")
async def comments_of_media(media_id: str, request: Request) -> JSONResponse:
    """Every comment and reply on the media, oldest first, hidden ones included."""
    instagram = emulator_of(request).instagram
    comments = sorted(
        (c for c in instagram.comments.values() if c.media_id == media_id),
        key=lambda c: int(c.id),
    )
    return ok({"comments": [comment_value(c) | {"hidden": c.hidden} for c in comments]})


@router.post("/instagram/comments/{comment_id}/webhook")
async def send_comment_webhook(
    comment_id: str, body: CommentWebhookRequest, request: Request
) -> JSONResponse:
    """Meta's `comments` webhook for the comment, in an envelope of the emulator's time now:
    sent again after the clock moved, the same comment comes in a new envelope."""
    state: EmulatorState = emulator_of(request)
    comment = state.instagram.comments.get(comment_id)
    if comment is None:
        raise ControlError(f"no comment {comment_id}")
    payload = instagram_change(
        comment.media_owner_id, "comments", comment_value(comment), state.clock.now()
    )
    delivery = await meta_webhooks.deliver(state, body.url, payload, app_secret=body.app_secret)
    return ok(delivery.as_json())


class InboxRequest(BaseModel):
    username: str = Field(min_length=1, max_length=30, pattern=r"^[\w.]+$")
    text: str = Field(min_length=1, max_length=1000)
    user_id: str | None = Field(
        default=None, pattern=r"^[0-9]{1,32}$", description="The person's IGSID, to write again."
    )


@router.post("/instagram/users/{ig_user_id}/inbox", status_code=201)
async def person_writes(ig_user_id: str, body: InboxRequest, request: Request) -> JSONResponse:
    """A person writes to the account: it may answer within 24 hours."""
    instagram = emulator_of(request).instagram
    if ig_user_id not in instagram.users:
        raise ControlError(f"no Instagram account {ig_user_id}")
    person = body.user_id or instagram.new_id()
    thread = thread_with(instagram, ig_user_id, person, body.username)
    message = add_message(instagram, thread, person, body.text)
    return ok({"user_id": person, "thread_id": thread.id, "message_id": message.id}, status=201)


@router.get("/instagram/users/{ig_user_id}/threads")
async def threads_of(ig_user_id: str, request: Request) -> JSONResponse:
    """Every conversation of the account, its messages oldest first."""
    instagram = emulator_of(request).instagram
    return ok(
        {
            "threads": [
                {
                    "user_id": thread.user_id,
                    "messages": [
                        {"id": m.id, "from_id": m.from_id, "text": m.text} for m in thread.messages
                    ],
                }
                for (owner, _), thread in instagram.threads.items()
                if owner == ig_user_id
            ]
        }
    )
