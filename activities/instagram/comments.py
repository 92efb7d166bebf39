"""Comments and messages through the Graph API, each side effect once per step.

Instagram takes no idempotency key. A retry (any attempt after the first, or one whose
progress says the last was sending: heartbeat details are not always kept when an attempt
fails) looks among the comment's replies (or the conversation's messages) for one by this
account with the same text since the step was first scheduled (by this worker's clock, which
agrees with Meta's: see `activities.step_clock`), and answers with it rather than sending
again. Hiding is
idempotent by nature; a delete retried after its answer was lost finds the comment gone,
which is what it wanted.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from temporalio import activity

from activities.base import Progress
from activities.instagram.comment_nodes import (
    DeleteCommentParameters,
    HideCommentParameters,
    ListCommentsParameters,
    PrivateReplyParameters,
    ReplyCommentParameters,
    SendMessageParameters,
)
from activities.instagram.errors import GraphError
from activities.instagram.graph import GraphSession
from activities.step_clock import step_clock

CLOCK_SKEW = timedelta(minutes=2)
INVALID_PARAMETER_CODE = 100
_REPLIES_SEARCHED = "100"


def _meta_time(value: Any) -> datetime:
    """Meta's `2024-05-01T09:00:00+0000`."""
    return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z")


def _retried(mark: str) -> bool:
    """Whether an earlier attempt of this step may have made the side effect already."""
    return activity.info().attempt > 1 or Progress.previous() == mark


async def list_comments(graph: GraphSession, params: ListCommentsParameters) -> dict[str, Any]:
    answer = await graph.get(
        params.media_id,
        {"fields": "id,text,username,timestamp,hidden", "limit": str(params.limit)},
        edge="comments",
    )
    comments = [
        {key: item[key] for key in ("id", "text", "username", "timestamp", "hidden") if key in item}
        for item in answer.get("data", [])
    ]
    return {"comments": comments, "count": len(comments)}


async def reply_comment(
    graph: GraphSession, params: ReplyCommentParameters, progress: Progress
) -> dict[str, Any]:
    if _retried("replying"):
        earlier = await _earlier_reply(graph, params, since=step_clock().first_scheduled)
        if earlier is not None:
            return {"id": earlier, "comment_id": params.comment_id}
    progress.record("replying")
    created = await graph.post(params.comment_id, {"message": params.message}, edge="replies")
    return {"id": str(created["id"]), "comment_id": params.comment_id}


async def _earlier_reply(
    graph: GraphSession, params: ReplyCommentParameters, *, since: datetime
) -> str | None:
    """The reply an earlier attempt of this step posted after `since` (less the clock
    skew), if its answer was lost."""
    me = await graph.ig_user_id()
    replies = await graph.get(
        params.comment_id,
        {"fields": "id,text,from,timestamp", "limit": _REPLIES_SEARCHED},
        edge="replies",
    )
    for reply in replies.get("data", []):
        author = reply.get("from")
        posted = _meta_time(reply.get("timestamp"))
        if (
            isinstance(author, dict)
            and author.get("id") == me
            and reply.get("text") == params.message
            and posted >= since - CLOCK_SKEW
        ):
            return str(reply["id"])
    return None


async def hide_comment(graph: GraphSession, params: HideCommentParameters) -> dict[str, Any]:
    await graph.post(params.comment_id, {"hide": "true" if params.hide else "false"})
    return {"comment_id": params.comment_id, "hidden": params.hide}


async def delete_comment(
    graph: GraphSession, params: DeleteCommentParameters, progress: Progress
) -> dict[str, Any]:
    retried = _retried("deleting")
    progress.record("deleting")
    try:
        await graph.delete(params.comment_id)
    except GraphError as error:
        gone = error.code == INVALID_PARAMETER_CODE and "does not exist" in error.message
        if not (retried and gone):
            raise
    return {"comment_id": params.comment_id, "deleted": True}


async def private_reply(
    graph: GraphSession, params: PrivateReplyParameters, progress: Progress
) -> dict[str, Any]:
    me = await graph.ig_user_id()
    if _retried("sending"):
        comment = await graph.get(params.comment_id, {"fields": "from,timestamp"})
        author = comment.get("from")
        if isinstance(author, dict) and author.get("id"):
            # A private reply comes after its comment, by Meta's own clock; one per comment.
            since = _meta_time(comment.get("timestamp"))
            earlier = await _earlier_message(graph, me, str(author["id"]), params.message, since)
            if earlier is not None:
                return {"comment_id": params.comment_id, **earlier}
    progress.record("sending")
    sent = await _send(graph, me, {"comment_id": params.comment_id}, params.message)
    return {"comment_id": params.comment_id, **sent}


async def send_message(
    graph: GraphSession, params: SendMessageParameters, progress: Progress
) -> dict[str, Any]:
    began = step_clock().first_scheduled
    me = await graph.ig_user_id()
    if _retried("sending"):
        since = began - CLOCK_SKEW
        earlier = await _earlier_message(graph, me, params.recipient_id, params.message, since)
        if earlier is not None:
            return earlier
    progress.record("sending")
    return await _send(graph, me, {"id": params.recipient_id}, params.message)


async def _send(
    graph: GraphSession, me: str, recipient: dict[str, str], text: str
) -> dict[str, Any]:
    sent = await graph.post(
        me,
        {"recipient": json.dumps(recipient), "message": json.dumps({"text": text})},
        edge="messages",
    )
    return {"recipient_id": str(sent["recipient_id"]), "message_id": str(sent["message_id"])}


async def _earlier_message(
    graph: GraphSession, me: str, person: str, text: str, since: datetime
) -> dict[str, Any] | None:
    """The message an earlier attempt of this step sent to `person` after `since`, if its
    answer was lost."""
    found = await graph.get(
        me, {"user_id": person, "fields": "messages{id,message,from,created_time}"},
        edge="conversations",
    )  # fmt: skip
    for conversation in found.get("data", []):
        for message in (conversation.get("messages") or {}).get("data", []):
            author = message.get("from")
            sent = _meta_time(message.get("created_time"))
            if sent < since:
                break  # newest first: the rest is older still
            if (
                isinstance(author, dict)
                and author.get("id") == me
                and message.get("message") == text
            ):
                return {"recipient_id": person, "message_id": str(message["id"])}
    return None
