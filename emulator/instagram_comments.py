"""Instagram comments through the Graph API: list a media's comments and a comment's replies,
comment on one's own media, reply to a comment, hide or show it, delete it.

Only the media's owner moderates: every call names a media or a comment on a media of the
token's account, else Meta's unknown-object error. A reply answers a top-level comment;
replies to replies are refused, as Meta refuses them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from emulator import record as kinds
from emulator.graph_access import GraphCall, graph_call
from emulator.instagram_state import Comment, Media, add_comment, comments_under
from emulator.meta_errors import invalid_parameter, unknown_object
from emulator.params import number

router = APIRouter()

GRAPH = "/{version:graph_version}"
MAX_MESSAGE = 2200
COMMENT_FIELDS = frozenset(
    {"id", "text", "username", "timestamp", "hidden", "like_count", "from", "parent_id", "media"}
)


def comment_fields(comment: Comment, names: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": comment.id,
        "text": comment.text,
        "username": comment.username,
        "timestamp": comment.created_at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "hidden": comment.hidden,
        "like_count": 0,
        "from": {"id": comment.author_id, "username": comment.username},
        "parent_id": comment.parent_id,
        "media": {"id": comment.media_id},
    }
    return {name: values[name] for name in names if values[name] is not None}


def own_comment(call: GraphCall, comment_id: str, method: str = "get") -> Comment:
    comment = call.state.instagram.comments.get(comment_id)
    if comment is None or comment.media_owner_id != call.user.id:
        raise unknown_object(comment_id, method)
    return comment


def _own_media(call: GraphCall, media_id: str, method: str = "get") -> Media:
    media = call.state.instagram.media.get(media_id)
    if media is None or media.owner_id != call.user.id:
        raise unknown_object(media_id, method)
    return media


def _message(call: GraphCall) -> str:
    message = call.required("message")
    if len(message) > MAX_MESSAGE:
        raise invalid_parameter(f"The comment is longer than {MAX_MESSAGE} characters")
    return message


def _listing(call: GraphCall, comments: list[Comment]) -> dict[str, Any]:
    names = call.fields(COMMENT_FIELDS, "IGComment", "timestamp,text,id")
    limit = number(call.params.get("limit", "25"))
    if limit is None or not 1 <= limit <= 100:
        raise invalid_parameter("Param limit must be a number from 1 to 100")
    if "after" in call.params:
        after = number(call.params["after"])
        if after is None:
            raise invalid_parameter("Param after is not a valid cursor")
        comments = [comment for comment in comments if int(comment.id) > after]
    page = comments[:limit]
    body: dict[str, Any] = {"data": [comment_fields(comment, names) for comment in page]}
    if page:
        body["paging"] = {"cursors": {"before": page[0].id, "after": page[-1].id}}
        if len(comments) > limit:
            body["paging"]["next"] = f"?after={page[-1].id}&limit={limit}"
    return body


@router.get(GRAPH + "/{media_id}/comments")
async def list_comments(media_id: str, request: Request) -> Response:
    """The media's top-level comments, oldest first."""
    call = await graph_call(request)
    media = _own_media(call, media_id)
    return call.answer(_listing(call, comments_under(call.state.instagram, media.id, None)))


@router.post(GRAPH + "/{media_id}/comments")
async def comment_on_media(media_id: str, request: Request) -> Response:
    call = await graph_call(request)
    media = _own_media(call, media_id, "post")
    comment = add_comment(
        call.state.instagram, media, author_id=call.user.id, username=call.user.username,
        text=_message(call),
    )  # fmt: skip
    return call.answer({"id": comment.id})


@router.get(GRAPH + "/{comment_id}/replies")
async def list_replies(comment_id: str, request: Request) -> Response:
    call = await graph_call(request)
    comment = own_comment(call, comment_id)
    replies = comments_under(call.state.instagram, comment.media_id, comment.id)
    return call.answer(_listing(call, replies))


@router.post(GRAPH + "/{comment_id}/replies")
async def reply(comment_id: str, request: Request) -> Response:
    call = await graph_call(request)
    comment = own_comment(call, comment_id, "post")
    if comment.parent_id is not None:
        raise invalid_parameter("Replies can only be made to top-level comments")
    media = call.state.instagram.media[comment.media_id]
    answer = add_comment(
        call.state.instagram, media, author_id=call.user.id, username=call.user.username,
        text=_message(call), parent_id=comment.id,
    )  # fmt: skip
    return call.answer({"id": answer.id})


@router.post(GRAPH + "/{comment_id}")
async def hide(comment_id: str, request: Request) -> Response:
    """`hide=true` hides the comment from everyone but its author; `hide=false` shows it."""
    call = await graph_call(request)
    comment = own_comment(call, comment_id, "post")
    flag = call.required("hide").lower()
    if flag not in ("true", "false"):
        raise invalid_parameter("Param hide must be a boolean")
    if comment.author_id == call.user.id:
        raise invalid_parameter("You cannot hide your own comments")
    comment.hidden = flag == "true"
    call.state.instagram.effect(
        kinds.INSTAGRAM_COMMENT_HIDDEN, comment.id, hidden=comment.hidden, media_id=comment.media_id
    )
    return call.answer({"success": True})


@router.delete(GRAPH + "/{comment_id}")
async def delete(comment_id: str, request: Request) -> Response:
    """The comment, and its replies with it."""
    call = await graph_call(request)
    comment = own_comment(call, comment_id, "delete")
    instagram = call.state.instagram
    for reply_ in comments_under(instagram, comment.media_id, comment.id):
        del instagram.comments[reply_.id]
    del instagram.comments[comment.id]
    instagram.effect(kinds.INSTAGRAM_COMMENT_DELETED, comment.id, media_id=comment.media_id)
    return call.answer({"success": True})
