"""Posts and users as X's JSON, with the fields a request asks for.

The spec renamed some fields (`post.fields`, `repost_count`, `edit_history_post_ids`) that the
live API and tweepy still call by their old names (`tweet.fields`, `retweet_count`,
`edit_history_tweet_ids`): requests may use either, and answers carry both."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from emulator.x_problems import XProblem, invalid_request
from emulator.x_spec import parameter_enum
from emulator.x_state import Post, XState, XUser

_LOOKUP = ("GET", "/2/tweets/{id}")
_STREAM = ("GET", "/2/tweets/sample/stream")  # still documents the live parameter names
_HASHTAG = re.compile(r"(?<!\w)#(\w+)")
_MENTION = re.compile(r"(?<!\w)@(\w{1,15})")
EDIT_WINDOW = timedelta(hours=1)
DEFAULT_PROFILE_IMAGE = (
    "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"
)


@functools.cache
def post_fields() -> frozenset[str]:
    return parameter_enum(*_LOOKUP, "post.fields") | parameter_enum(*_STREAM, "tweet.fields")


@functools.cache
def post_expansions() -> frozenset[str]:
    return parameter_enum(*_LOOKUP, "expansions") | parameter_enum(*_STREAM, "expansions")


@functools.cache
def user_expansions() -> frozenset[str]:
    """GET /2/users/me's expansions, by the spec's names and the live API's."""
    live = {"pinned_tweet_id", "most_recent_tweet_id"}
    return parameter_enum("GET", "/2/users/me", "expansions") | live


@functools.cache
def user_fields() -> frozenset[str]:
    return parameter_enum("GET", "/2/users/me", "user.fields") | parameter_enum(
        *_STREAM, "user.fields"
    )


def requested(
    query: Mapping[str, str], names: tuple[str, ...], allowed: frozenset[str]
) -> set[str]:
    """The comma-separated values of query parameters `names`, each checked against `allowed`."""
    chosen: set[str] = set()
    for name in names:
        if name not in query:
            continue
        values = query[name].split(",")
        wrong = [value for value in values if value not in allowed]
        if wrong:
            message = (
                f"The `{name}` query parameter value [{wrong[0]}] is not one of "
                f"[{','.join(sorted(allowed))}]"
            )
            raise XProblem(400, invalid_request(message, {name: [query[name]]}))
        chosen.update(values)
    return chosen


def timestamp(moment: datetime) -> str:
    """X's time format: UTC with milliseconds, `2024-05-01T09:00:00.000Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def post_json(
    post: Post, fields: set[str], viewer_id: str, media_key: Callable[[str], str] | None = None
) -> dict[str, Any]:
    """`media_key`: a media id's key (`3_<id>` for a photo, `7_` a video, `16_` a GIF)."""
    key = media_key or (lambda media_id: f"3_{media_id}")
    data: dict[str, Any] = {
        "id": post.id,
        "text": post.text,
        "edit_history_tweet_ids": [post.id],
        "edit_history_post_ids": [post.id],
    }
    optional: dict[str, Callable[[], Any]] = {
        "author_id": lambda: post.author_id,
        "conversation_id": lambda: post.conversation_id,
        "created_at": lambda: timestamp(post.created_at),
        "in_reply_to_user_id": lambda: post.in_reply_to_user_id,
        "lang": lambda: "und",  # X's "undetermined": the emulator detects no language
        "possibly_sensitive": lambda: False,
        "reply_settings": lambda: post.reply_settings or "everyone",
        "public_metrics": lambda: post.metrics | {"retweet_count": post.metrics["repost_count"]},
        "edit_controls": lambda: _edit_controls(post),
        "entities": lambda: _entities(post.text),
        "attachments": lambda: (
            {"media_keys": [key(m) for m in post.media_ids]} if post.media_ids else None
        ),
        "referenced_tweets": lambda: _references(post),
    }
    data |= _chosen(fields, optional)
    if "referenced_tweets" in data:
        data["referenced_posts"] = data["referenced_tweets"]
    if post.author_id == viewer_id:
        impressions = post.metrics["impression_count"]
        if "non_public_metrics" in fields:
            data["non_public_metrics"] = {"impression_count": impressions, "user_profile_clicks": 0}
        if "organic_metrics" in fields:
            data["organic_metrics"] = {
                "impression_count": impressions,
                "like_count": post.metrics["like_count"],
                "reply_count": post.metrics["reply_count"],
                "retweet_count": post.metrics["repost_count"],
                "user_profile_clicks": 0,
            }
    return data


def _chosen(fields: set[str], optional: Mapping[str, Callable[[], Any]]) -> dict[str, Any]:
    """The optional fields asked for that apply (a reply-less post has no references)."""
    return {
        name: rendered
        for name, value in optional.items()
        if name in fields and (rendered := value()) is not None
    }


def _edit_controls(post: Post) -> dict[str, Any]:
    return {
        "edits_remaining": 5,
        "is_edit_eligible": not post.media_ids,
        "editable_until": timestamp(post.created_at + EDIT_WINDOW),
    }


def _entities(text: str) -> dict[str, Any] | None:
    entities: dict[str, Any] = {}
    hashtags = [{"start": m.start(), "end": m.end(), "tag": m[1]} for m in _HASHTAG.finditer(text)]
    mentions = [
        {"start": m.start(), "end": m.end(), "username": m[1]} for m in _MENTION.finditer(text)
    ]
    if hashtags:
        entities["hashtags"] = hashtags
    if mentions:
        entities["mentions"] = mentions
    return entities or None


def _references(post: Post) -> list[dict[str, str]] | None:
    references = []
    if post.reply_to is not None:
        references.append({"type": "replied_to", "id": post.reply_to})
    if post.quote_of is not None:
        references.append({"type": "quoted", "id": post.quote_of})
    return references or None


def user_json(user: XUser, fields: set[str], x: XState) -> dict[str, Any]:
    data: dict[str, Any] = {"id": user.id, "name": user.name, "username": user.username}
    posts = x.posts_by(user.id)
    optional: dict[str, Callable[[], Any]] = {
        "created_at": lambda: timestamp(user.created_at),
        "description": lambda: user.description,
        "protected": lambda: False,
        "verified": lambda: False,
        "profile_image_url": lambda: DEFAULT_PROFILE_IMAGE,
        "public_metrics": lambda: {
            "followers_count": 0,
            "following_count": 0,
            "post_count": len(posts),
            "tweet_count": len(posts),
            "listed_count": 0,
            "like_count": 0,
            "media_count": sum(1 for post in posts if post.media_ids),
        },
        "most_recent_tweet_id": lambda: posts[0].id if posts else None,
    }
    data |= _chosen(fields, optional)
    return data
