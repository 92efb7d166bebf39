"""Instagram conversation node types: list a media's comments, reply to one, hide or show
one, delete one; answer a comment privately; send a direct message. Only comments on the
connected account's own media can be moderated or answered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from activities.base import action_node_type
from activities.instagram.nodes import MediaId
from app.language.node_type import Parameters
from app.language.parameter_validators import max_length_unless_templated, pattern_unless_templated

MAX_COMMENT_CHARACTERS = 2200
MAX_COMMENTS_LISTED = 100
MAX_MESSAGE_CHARACTERS = 1000

CommentId = Annotated[
    str,
    pattern_unless_templated(r"[0-9]{1,32}", "must be an Instagram comment id (digits)"),
    Field(
        json_schema_extra={
            "examples": ["17858893269000001", "{{ trigger.body.entry[0].changes[0].value.id }}"]
        }
    ),
]

CommentText = Annotated[
    str, Field(min_length=1), max_length_unless_templated(MAX_COMMENT_CHARACTERS)
]


class ListCommentsParameters(Parameters):
    """Parameters of `instagram.list_comments`."""

    media_id: MediaId = Field(description="The media whose comments to read.")
    limit: int = Field(
        default=25,
        ge=1,
        le=MAX_COMMENTS_LISTED,
        description=f"At most this many top-level comments, oldest first (1 to "
        f"{MAX_COMMENTS_LISTED}).",
    )


class ReplyCommentParameters(Parameters):
    """Parameters of `instagram.reply_comment`."""

    comment_id: CommentId = Field(description="The top-level comment to answer.")
    message: CommentText = Field(
        description=f"The reply, public under the comment (at most {MAX_COMMENT_CHARACTERS} "
        "characters).",
        json_schema_extra={
            "examples": ["Thanks {{ trigger.body.entry[0].changes[0].value.from.username }}!"]
        },
    )


class HideCommentParameters(Parameters):
    """Parameters of `instagram.hide_comment`."""

    comment_id: CommentId = Field(description="The comment to hide or show again.")
    hide: bool = Field(
        default=True, description="true hides the comment from all but its author; false shows it."
    )


MessageText = Annotated[
    str, Field(min_length=1), max_length_unless_templated(MAX_MESSAGE_CHARACTERS)
]

UserId = Annotated[
    str,
    pattern_unless_templated(r"[0-9]{1,32}", "must be an Instagram-scoped user id (digits)"),
    # A literal id first: checks and the table of what validation accepts read the first
    # example as data of the kind the field takes, which a template is not until it runs.
    Field(
        json_schema_extra={
            "examples": ["6789012345678901", "{{ trigger.body.entry[0].messaging[0].sender.id }}"]
        }
    ),
]


class PrivateReplyParameters(Parameters):
    """Parameters of `instagram.private_reply`."""

    comment_id: CommentId = Field(description="The comment whose author to answer privately.")
    message: MessageText = Field(
        description=f"The direct message (at most {MAX_MESSAGE_CHARACTERS} characters).",
        json_schema_extra={"examples": ["Hi! Here is the link you asked for."]},
    )


class SendMessageParameters(Parameters):
    """Parameters of `instagram.send_message`."""

    recipient_id: UserId = Field(
        description="The person's Instagram-scoped id (IGSID), as Meta's messaging webhook "
        "gives it (`sender.id`) or as a comment's `from.id`."
    )
    message: MessageText = Field(
        description=f"The text (at most {MAX_MESSAGE_CHARACTERS} characters).",
        json_schema_extra={"examples": ["Thanks for writing, we ship tomorrow."]},
    )


class DeleteCommentParameters(Parameters):
    """Parameters of `instagram.delete_comment`."""

    comment_id: CommentId = Field(description="The comment to delete, with its replies.")


_COMMENT: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "text": {"type": "string"},
        "username": {"type": "string", "description": "Who wrote it."},
        "timestamp": {"type": "string", "description": "When, as Meta writes it."},
        "hidden": {"type": "boolean"},
    },
}

_LIST_OUTPUT: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "comments": {"type": "array", "items": _COMMENT},
        "count": {"type": "integer"},
    },
    "required": ["comments", "count"],
}

_REPLY_OUTPUT: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "Id of the reply."},
        "comment_id": {"type": "string", "description": "The comment answered."},
    },
    "required": ["id", "comment_id"],
}

_HIDE_OUTPUT: Mapping[str, Any] = {
    "type": "object",
    "properties": {"comment_id": {"type": "string"}, "hidden": {"type": "boolean"}},
    "required": ["comment_id", "hidden"],
}

_DELETE_OUTPUT: Mapping[str, Any] = {
    "type": "object",
    "properties": {"comment_id": {"type": "string"}, "deleted": {"type": "boolean"}},
    "required": ["comment_id", "deleted"],
}

_MESSAGE_OUTPUT: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "recipient_id": {"type": "string", "description": "The person's IGSID."},
        "message_id": {"type": "string"},
    },
    "required": ["recipient_id", "message_id"],
}

_PRIVATE_REPLY_OUTPUT: Mapping[str, Any] = {
    "type": "object",
    "properties": {**_MESSAGE_OUTPUT["properties"], "comment_id": {"type": "string"}},
    "required": ["comment_id", "recipient_id", "message_id"],
}

COMMENT_NODE_TYPES = (
    action_node_type(
        "instagram",
        "instagram.list_comments",
        "List Instagram comments",
        "Read the top-level comments of one of the account's media, oldest first, hidden "
        "ones included (`hidden`).",
        ListCommentsParameters,
        _LIST_OUTPUT,
    ),
    action_node_type(
        "instagram",
        "instagram.reply_comment",
        "Reply to an Instagram comment",
        "Answer a comment on one of the account's media, publicly under it. Exactly once per "
        "step: a retry after a lost answer finds the reply it made instead of posting again.",
        ReplyCommentParameters,
        _REPLY_OUTPUT,
    ),
    action_node_type(
        "instagram",
        "instagram.hide_comment",
        "Hide an Instagram comment",
        "Hide a comment on one of the account's media from everyone but its author, or show "
        "it again (`hide: false`). The account's own comments cannot be hidden.",
        HideCommentParameters,
        _HIDE_OUTPUT,
    ),
    action_node_type(
        "instagram",
        "instagram.delete_comment",
        "Delete an Instagram comment",
        "Delete a comment (and its replies) on one of the account's media.",
        DeleteCommentParameters,
        _DELETE_OUTPUT,
    ),
    action_node_type(
        "instagram",
        "instagram.private_reply",
        "Reply privately to an Instagram comment",
        "Send the author of a comment on one of the account's media a direct message (Meta's "
        "Private Replies): one per comment, within 7 days of it. Exactly once per step.",
        PrivateReplyParameters,
        _PRIVATE_REPLY_OUTPUT,
    ),
    action_node_type(
        "instagram",
        "instagram.send_message",
        "Send an Instagram direct message",
        "Send a direct message to a person who wrote to the account within the last 24 hours "
        "(Meta's messaging window; later, Meta refuses it). Exactly once per step.",
        SendMessageParameters,
        _MESSAGE_OUTPUT,
    ),
)
