"""Comment moderation through the Graph API, each side effect once per step.

Instagram takes no idempotency key. A reply records in its progress (heartbeat details) that
it is about to post; a retry that finds that mark looks among the comment's replies for one
by this account with the same text since the step was first scheduled, and answers with it
rather than posting again. Hiding is idempotent by nature; a delete retried after its answer
was lost finds the comment gone, which is what it wanted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import activity

from activities.base import Progress
from activities.instagram.comment_nodes import (
    DeleteCommentParameters,
    HideCommentParameters,
    ListCommentsParameters,
    ReplyCommentParameters,
)
from activities.instagram.errors import GraphError
from activities.instagram.graph import GraphSession

CLOCK_SKEW = timedelta(minutes=2)
INVALID_PARAMETER_CODE = 100
_REPLIES_SEARCHED = "100"


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
    if Progress.previous() == "replying":
        earlier = await _earlier_reply(graph, params)
        if earlier is not None:
            return {"id": earlier, "comment_id": params.comment_id}
    progress.record("replying")
    created = await graph.post(params.comment_id, {"message": params.message}, edge="replies")
    return {"id": str(created["id"]), "comment_id": params.comment_id}


async def _earlier_reply(graph: GraphSession, params: ReplyCommentParameters) -> str | None:
    """The reply an earlier attempt of this step posted, if its answer was lost."""
    me = await graph.ig_user_id()
    since = activity.info().scheduled_time - CLOCK_SKEW
    replies = await graph.get(
        params.comment_id,
        {"fields": "id,text,from,timestamp", "limit": _REPLIES_SEARCHED},
        edge="replies",
    )
    for reply in replies.get("data", []):
        author = reply.get("from")
        posted = datetime.strptime(str(reply.get("timestamp")), "%Y-%m-%dT%H:%M:%S%z")
        if (
            isinstance(author, dict)
            and author.get("id") == me
            and reply.get("text") == params.message
            and posted >= since
        ):
            return str(reply["id"])
    return None


async def hide_comment(graph: GraphSession, params: HideCommentParameters) -> dict[str, Any]:
    await graph.post(params.comment_id, {"hide": "true" if params.hide else "false"})
    return {"comment_id": params.comment_id, "hidden": params.hide}


async def delete_comment(
    graph: GraphSession, params: DeleteCommentParameters, progress: Progress
) -> dict[str, Any]:
    retried = Progress.previous() == "deleting"
    progress.record("deleting")
    try:
        await graph.delete(params.comment_id)
    except GraphError as error:
        gone = error.code == INVALID_PARAMETER_CODE and "does not exist" in error.message
        if not (retried and gone):
            raise
    return {"comment_id": params.comment_id, "deleted": True}
