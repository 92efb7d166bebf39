"""The X read nodes: `x.mentions`, `x.user_posts`, `x.search_recent`, their parameters and
their one output shape.

Each reads pages of posts newest first, at most `max_pages` of them, and answers the posts
under `items` with `newest_id` (what to pass as `since_id` next time to read only newer
posts) and `next_token` (to read further back). A polling trigger uses them as item sources
through exactly these keys. Limits follow the X API v2 OpenAPI document
(`GET /2/users/{id}/mentions`, `/2/users/{id}/tweets`, `/2/tweets/search/recent`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from app.language.node_type import Parameters
from app.language.parameter_validators import Problems, field_errors, pattern_unless_templated

MAX_PAGES = 10
"""Pages one step may read: a bound on the step's time, its rate-limit use and its output."""
MAX_QUERY_CHARACTERS = 512
"""Recent search's query length on X's Basic and Pro tiers."""

_ID_PATTERN = r"[0-9]{1,19}"
XId = Annotated[
    str,
    pattern_unless_templated(_ID_PATTERN, "must be an X id: 1 to 19 digits"),
    Field(json_schema_extra={"examples": ["1346889436626259968", "{{ nodes.read.newest_id }}"]}),
]
PageToken = Annotated[
    str,
    pattern_unless_templated(r"[0-9A-Za-z_=-]{1,256}", "must be a next_token X gave"),
]

ReadField = Literal[
    "attachments",
    "author_id",
    "conversation_id",
    "created_at",
    "entities",
    "in_reply_to_user_id",
    "lang",
    "possibly_sensitive",
    "public_metrics",
    "referenced_tweets",
    "reply_settings",
]
"""The `tweet.fields` a read may ask for besides id and text."""
DEFAULT_READ_FIELDS: tuple[ReadField, ...] = ("author_id", "created_at", "conversation_id")


class XReadParameters(Parameters):
    """What every X read takes: where to start, how much to read, which fields."""

    since_id: XId | None = Field(
        default=None,
        description="Read only posts newer than this id: pass the newest_id of the last read "
        "to get what is new since.",
    )
    max_results: int = Field(
        default=100, ge=10, le=100, description="Posts per page (X's max_results), 10 to 100."
    )
    max_pages: int = Field(
        default=1,
        ge=1,
        le=MAX_PAGES,
        description=f"At most this many pages are read, 1 to {MAX_PAGES}; when more remain, "
        "next_token says where to go on.",
    )
    pagination_token: PageToken | None = Field(
        default=None,
        description="Go on from an earlier read's next_token (further back in time).",
    )
    fields: list[ReadField] = Field(
        default_factory=lambda: list(DEFAULT_READ_FIELDS),
        description="Which post fields each item has besides id and text.",
        json_schema_extra={"examples": [["author_id", "created_at", "public_metrics"]]},
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


class XMentionsParameters(XReadParameters):
    """Parameters of `x.mentions`."""

    user_id: XId | None = Field(
        default=None, description="Whose mentions to read; the connected account's when not set."
    )


class XUserPostsParameters(XReadParameters):
    """Parameters of `x.user_posts`."""

    user_id: XId | None = Field(
        default=None, description="Whose posts to read; the connected account's when not set."
    )
    exclude: list[Literal["replies", "retweets"]] = Field(
        default_factory=list, max_length=2, description="Leave out replies, reposts or both."
    )


class XSearchRecentParameters(XReadParameters):
    """Parameters of `x.search_recent`."""

    query: str = Field(
        min_length=1,
        max_length=MAX_QUERY_CHARACTERS,
        description="X's search query over the last 7 days: words (all must match), "
        '"exact phrases", from:username, @username, #hashtag, -word to exclude.',
        json_schema_extra={"examples": ["#flowhold -is:retweet", "from:{{ nodes.me.username }}"]},
    )


_ID = {"type": "string", "pattern": f"^{_ID_PATTERN}$"}
READ_OUTPUT: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "description": "The posts read, newest first: id, text and the fields asked for.",
            "items": {
                "type": "object",
                "properties": {"id": _ID, "text": {"type": "string"}},
                "required": ["id", "text"],
            },
        },
        "newest_id": {
            "anyOf": [_ID, {"type": "null"}],
            "description": "The newest post's id; since_id when nothing newer came (null if "
            "neither). Pass it as since_id next time.",
        },
        "oldest_id": {"anyOf": [_ID, {"type": "null"}]},
        "next_token": {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "description": "Where to go on (further back) when max_pages were read and more "
            "remain; null when all were read.",
        },
        "result_count": {"type": "integer", "minimum": 0},
    },
    "required": ["items", "newest_id", "oldest_id", "next_token", "result_count"],
}
