"""X (Twitter) node types: their parameters, palette entries and outputs.

Limits follow the X API v2 OpenAPI document in emulator/specs (`CreatePostsRequest`
for POST /2/tweets, the `post.fields` parameter of GET /2/tweets/{id}).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from activities.base import action_node_type, duration_plus
from activities.x.media_nodes import UPLOAD_OUTPUT, XUploadMediaParameters
from activities.x.read_nodes import (
    READ_OUTPUT,
    XMentionsParameters,
    XSearchRecentParameters,
    XUserPostsParameters,
)
from app.language.node_type import Parameters
from app.language.parameter_validators import (
    Problems,
    field_errors,
    max_length_unless_templated,
    pattern_unless_templated,
)

MAX_POST_CHARACTERS = 280
MAX_MEDIA_PER_POST = 4
MIN_THREAD_POSTS = 2
MAX_THREAD_POSTS = 25

_ID_PATTERN = r"[0-9]{1,19}"

PostId = Annotated[
    str,
    pattern_unless_templated(_ID_PATTERN, "must be an X id: 1 to 19 digits"),
    Field(json_schema_extra={"examples": ["1346889436626259968", "{{ nodes.post.id }}"]}),
]
MediaId = Annotated[
    str,
    pattern_unless_templated(_ID_PATTERN, "must be an X media id: 1 to 19 digits"),
]
PostText = Annotated[str, max_length_unless_templated(MAX_POST_CHARACTERS)]

PostField = Literal[
    "attachments",
    "conversation_id",
    "created_at",
    "edit_controls",
    "entities",
    "lang",
    "non_public_metrics",
    "organic_metrics",
    "possibly_sensitive",
    "public_metrics",
    "reply_settings",
]
"""The `post.fields` values a workflow is likely to use (the spec lists 31)."""
DEFAULT_POST_FIELDS: tuple[PostField, ...] = ("public_metrics", "created_at")


class PostContent(Parameters):
    """The text and media of one post: what `x.post` and each item of `x.thread` share."""

    text: PostText = Field(
        default="",
        description=f"The text of the post, 1 to {MAX_POST_CHARACTERS} characters. Characters are "
        "counted plainly for now (X weighs some, e.g. emoji and URLs, differently). May be "
        "empty when media is attached.",
        json_schema_extra={"examples": ["New episode out now: {{ trigger.url }}"]},
    )
    media_ids: list[MediaId] = Field(
        default_factory=list,
        max_length=MAX_MEDIA_PER_POST,
        description=f"Ids of uploaded media to attach, at most {MAX_MEDIA_PER_POST}.",
        json_schema_extra={"examples": [["1455952740635586573"]]},
    )

    @model_validator(mode="after")
    def _text_or_media(self) -> Self:
        if not self.text.strip() and not self.media_ids:
            raise field_errors(
                type(self), [(("text",), "must not be empty unless media is attached", self.text)]
            )
        return self


class XPostParameters(PostContent):
    """Parameters of `x.post`."""

    reply_to: PostId | None = Field(default=None, description="Id of the post this one replies to.")
    quote_post_id: PostId | None = Field(
        default=None,
        description="Id of the post to quote. X does not allow a quote together with media.",
    )
    reply_settings: Literal["following", "mentionedUsers", "subscribers", "verified"] | None = (
        Field(
            default=None,
            description="Who may reply: accounts the author follows, accounts mentioned in the "
            "post, subscribers, or verified accounts. Everyone when not set.",
        )
    )

    @model_validator(mode="after")
    def _quote_without_media(self) -> Self:
        # X documents media as mutually exclusive with a quoted post.
        if self.quote_post_id is not None and self.media_ids:
            raise field_errors(
                type(self),
                [(("media_ids",), "cannot be combined with quote_post_id", self.media_ids)],
            )
        return self


class XThreadParameters(Parameters):
    """Parameters of `x.thread`."""

    posts: list[PostContent] = Field(
        min_length=MIN_THREAD_POSTS,
        max_length=MAX_THREAD_POSTS,
        description=f"The posts of the thread in order, {MIN_THREAD_POSTS} to {MAX_THREAD_POSTS}; "
        "each replies to the one before it.",
        json_schema_extra={"examples": [[{"text": "A thread (1/2)"}, {"text": "The end (2/2)"}]]},
    )


class XDeleteParameters(Parameters):
    """Parameters of `x.delete`."""

    post_id: PostId = Field(description="Id of the post to delete (one of the account's own).")


class XGetPostParameters(Parameters):
    """Parameters of `x.get_post`."""

    post_id: PostId = Field(description="Id of the post to read.")
    fields: list[PostField] = Field(
        default_factory=lambda: list(DEFAULT_POST_FIELDS),
        description="Which post fields to return besides id and text. `non_public_metrics` and "
        "`organic_metrics` are only available for the account's own posts of the last 30 days.",
        json_schema_extra={"examples": [["public_metrics", "created_at", "lang"]]},
    )

    @model_validator(mode="after")
    def _unique_fields(self) -> Self:
        seen: set[str] = set()
        problems: Problems = []
        for index, name in enumerate(self.fields):
            if name in seen:
                problems.append((("fields", index), f"'{name}' is listed twice", name))
            seen.add(name)
        if problems:
            raise field_errors(type(self), problems)
        return self


class XMeParameters(Parameters):
    """`x.me` takes no parameters: it reads the connected account."""


_ID = {"type": "string", "pattern": f"^{_ID_PATTERN}$"}

_POST_OUTPUT: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "id": {**_ID, "description": "Id of the new post."},
        "text": {"type": "string", "description": "The text as X stored it."},
    },
    "required": ["id", "text"],
}

_THREAD_OUTPUT: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "ids": {"type": "array", "items": _ID, "description": "Ids of the posts, in order."},
        "first_id": {**_ID, "description": "Id of the first post."},
        "last_id": {**_ID, "description": "Id of the last post (reply to it to continue)."},
    },
    "required": ["ids", "first_id", "last_id"],
}

_DELETE_OUTPUT: Mapping[str, Any] = {
    "type": "object",
    "properties": {"deleted": {"type": "boolean", "description": "Whether X deleted the post."}},
    "required": ["deleted"],
}

_COUNT = {"type": "integer", "minimum": 0}
_GET_POST_OUTPUT: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "id": _ID,
        "text": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "lang": {"type": "string", "description": "BCP 47 language tag detected by X."},
        "conversation_id": _ID,
        "reply_settings": {"type": "string"},
        "possibly_sensitive": {"type": "boolean"},
        "public_metrics": {
            "type": "object",
            "description": "Engagement counts at the time of the request.",
            "properties": {
                name: _COUNT
                for name in (
                    "repost_count",
                    "reply_count",
                    "like_count",
                    "quote_count",
                    "impression_count",
                    "bookmark_count",
                )
            },
        },
        "non_public_metrics": {"type": "object", "additionalProperties": _COUNT},
        "organic_metrics": {"type": "object", "additionalProperties": _COUNT},
        "attachments": {"type": "object"},
        "edit_controls": {"type": "object"},
        "entities": {"type": "object"},
    },
    "required": ["id", "text"],
}

_ME_OUTPUT: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "id": {**_ID, "description": "The account's user id."},
        "name": {"type": "string", "description": "Display name."},
        "username": {"type": "string", "description": "Handle, without the @."},
    },
    "required": ["id", "name", "username"],
}


NODE_TYPES = (
    action_node_type(
        "x",
        "x.post",
        "Post to X",
        "Publish a post on X, optionally as a reply, a quote or with media (media ids from "
        "x.upload_media). Before a retry posts again, it looks on the account's timeline for "
        "a post with the same text, parent, quote and media made since the step started, and "
        "takes that one: the earlier attempt may have posted without hearing back. Media make "
        "a post without text recognisable too, so every post is made once.",
        XPostParameters,
        _POST_OUTPUT,
    ),
    action_node_type(
        "x",
        "x.thread",
        "Post a thread to X",
        "Publish several posts on X, each replying to the one before. A retry resumes after "
        "the posts already made, finding those whose answers were lost on the account's "
        "timeline by text, parent and media.",
        XThreadParameters,
        _THREAD_OUTPUT,
    ),
    action_node_type(
        "x",
        "x.delete",
        "Delete X post",
        "Delete one of the connected account's posts on X.",
        XDeleteParameters,
        _DELETE_OUTPUT,
    ),
    action_node_type(
        "x",
        "x.get_post",
        "Get X post",
        "Read a post on X with its metrics and other chosen fields.",
        XGetPostParameters,
        _GET_POST_OUTPUT,
    ),
    action_node_type(
        "x",
        "x.me",
        "Get X account",
        "Read the id, name and username of the connected X account.",
        XMeParameters,
        _ME_OUTPUT,
    ),
    action_node_type(
        "x",
        "x.upload_media",
        "Upload media to X",
        "Upload an image, GIF or video for posts, fetched from a URL or given as base64 "
        "data; output media_id goes to x.post's media_ids (within 24 hours). Images go in one "
        "request; GIFs and videos in chunks, then the step waits (up to max_wait) for X to "
        "process them. A retry resumes after the chunks X has. Limits: images 5 MB, GIFs "
        "15 MB, videos 512 MB.",
        XUploadMediaParameters,
        UPLOAD_OUTPUT,
        default_timeout=timedelta(minutes=20),
        timeout_needed=duration_plus("max_wait", timedelta(minutes=10)),
    ),
    action_node_type(
        "x",
        "x.mentions",
        "Read X mentions",
        "Read posts that mention the account (or user_id), newest first. Output: `items` "
        "(the posts), `newest_id` (pass it as since_id next time to read only newer ones), "
        "`next_token` (more, further back), `result_count`. Reads at most max_pages pages.",
        XMentionsParameters,
        READ_OUTPUT,
    ),
    action_node_type(
        "x",
        "x.user_posts",
        "Read X user's posts",
        "Read the posts of the account (or user_id), newest first, optionally without replies "
        "or reposts. Output: `items` (the posts), `newest_id` (pass it as since_id next time "
        "to read only newer ones), `next_token` (more, further back), `result_count`. Reads "
        "at most max_pages pages.",
        XUserPostsParameters,
        READ_OUTPUT,
    ),
    action_node_type(
        "x",
        "x.search_recent",
        "Search recent X posts",
        "Search the posts of the last 7 days, newest first. Output: `items` (the posts), "
        "`newest_id` (pass it as since_id next time to read only newer ones), `next_token` "
        "(more, further back), `result_count`. Reads at most max_pages pages.",
        XSearchRecentParameters,
        READ_OUTPUT,
    ),
)
