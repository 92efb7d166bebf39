"""X API v2 endpoints the engine calls: create, delete and read posts, the caller's account, a
user's timeline and mentions, and recent search, as documented by x-api-v2.openapi.json and as
the live API behaves."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from fastapi import APIRouter, Request, Response

from emulator.config import (
    CREATE_POST,
    DELETE_POST,
    GET_ME,
    GET_POST,
    SEARCH_RECENT,
    USER_MENTIONS,
    USER_POSTS,
)
from emulator.params import number
from emulator.x_access import XCall, admit
from emulator.x_problems import (
    DUPLICATE_CONTENT,
    XProblem,
    about_blank,
    invalid_request,
    not_found,
)
from emulator.x_render import (
    post_expansions,
    post_fields,
    post_json,
    requested,
    user_expansions,
    user_fields,
    user_json,
)
from emulator.x_spec import schema_problems
from emulator.x_state import Post

router = APIRouter()

_ID = re.compile(r"[0-9]{1,19}")
_FIELD_PARAMETERS = {"tweet.fields", "post.fields", "user.fields", "expansions"}
_LOOKUP_PARAMETERS = _FIELD_PARAMETERS | {"media.fields", "poll.fields", "place.fields"}
_PAGING = {"max_results", "pagination_token", "since_id", "until_id", "start_time", "end_time"}
QUERY_PARAMETERS = {
    GET_ME: _FIELD_PARAMETERS,
    GET_POST: _LOOKUP_PARAMETERS,
    USER_POSTS: _LOOKUP_PARAMETERS | _PAGING | {"exclude"},
    USER_MENTIONS: _LOOKUP_PARAMETERS | _PAGING,
    SEARCH_RECENT: _LOOKUP_PARAMETERS | _PAGING | {"query", "next_token", "sort_order"},
}
"""The query parameters of each read: the spec's, and `tweet.fields`, the live API's name of
`post.fields`. Others are refused, as X refuses them."""
SUPPORTED_BODY = {"text", "reply", "quote_tweet_id", "media", "reply_settings"}
"""What the emulator acts on in a CreatePostsRequest; other valid members get a clear 400."""


def _invalid(parameter: str, value: str, message: str) -> XProblem:
    return XProblem(400, invalid_request(message, {parameter: [value]}))


def _check_id(parameter: str, value: str) -> str:
    if not _ID.fullmatch(value):
        message = f"The `{parameter}` query parameter value [{value}] is not valid"
        raise _invalid(parameter, value, message)
    return value


def _check_query(query: Mapping[str, str], allowed: set[str]) -> None:
    for name in query:
        if name not in allowed:
            message = f"The query parameter [{name}] is not one of [{','.join(sorted(allowed))}]"
            raise _invalid(name, query[name], message)


class Fields(NamedTuple):
    """What a read asks for: post fields, user fields and expansions."""

    posts: set[str]
    users: set[str]
    expansions: set[str]


def _reading(request: Request, endpoint: str) -> tuple[XCall, Fields]:
    """Admit a read and check its query: known parameters, known field names."""
    call = admit(request, endpoint)
    query = dict(request.query_params)
    _check_query(query, QUERY_PARAMETERS[endpoint])
    expansions = user_expansions() if endpoint == GET_ME else post_expansions()
    fields = Fields(
        requested(query, ("tweet.fields", "post.fields"), post_fields()),
        requested(query, ("user.fields",), user_fields()),
        requested(query, ("expansions",), expansions),
    )
    return call, fields


def _answer(call: XCall, body: dict[str, Any], posts: list[Post], fields: Fields) -> Response:
    """Posts as `data` (a lookup's one post as an object, a timeline's as a list).

    `expansions=author_id` adds the authors under `includes.users`; other expansions are
    accepted and add nothing (the emulator has no media, polls or places to expand)."""
    x = call.state.x
    rendered = [post_json(post, fields.posts, call.user.id, x.media_key) for post in posts]
    if rendered:
        body["data"] = rendered if "meta" in body else rendered[0]
    if "author_id" in fields.expansions and posts:
        authors = {post.author_id: call.state.x.users[post.author_id] for post in posts}
        body["includes"] = {
            "users": [user_json(u, fields.users, call.state.x) for u in authors.values()]
        }
    return call.answer(body)


@router.post("/2/tweets", status_code=201)
async def create_post(request: Request) -> Response:
    raw = await request.body()
    call = admit(request, CREATE_POST)
    try:
        body = json.loads(raw)
    except ValueError:
        raise XProblem(400, invalid_request("The request body is not valid JSON.")) from None
    problems = schema_problems("#/components/schemas/CreatePostsRequest", body)
    if problems:
        raise XProblem(
            400, {**invalid_request(problems[0]), "errors": [{"message": p} for p in problems]}
        )
    unsupported = sorted(set(body) - SUPPORTED_BODY)
    if unsupported:
        message = f"`{unsupported[0]}` is valid for X but not supported by the Flowhold emulator."
        raise XProblem(
            400, invalid_request(message, {unsupported[0]: [json.dumps(body[unsupported[0]])]})
        )
    post = _new_post(call, body)
    call.state.x.add_post(post)
    data = {
        "id": post.id,
        "text": post.text,
        "edit_history_tweet_ids": [post.id],
        "edit_history_post_ids": [post.id],
    }
    return call.answer({"data": data}, status=201)


def _new_post(call: XCall, body: dict[str, Any]) -> Post:
    x = call.state.x
    text: str = body.get("text", "")
    media_ids = tuple(body.get("media", {}).get("media_ids", ()))
    reply_to = body.get("reply", {}).get("in_reply_to_tweet_id")
    quote_of = body.get("quote_tweet_id")
    if not text.strip() and not media_ids:
        raise XProblem(400, invalid_request("A post needs text or media.", {"text": [text]}))
    if len(text) > x.config.x_max_post_length:
        raise XProblem(403, about_blank(403, "Your Tweet text is too long."))
    if not all(x.attachable(media_id, call.user.id) for media_id in media_ids):
        raise XProblem(
            400,
            invalid_request("Your media IDs are invalid.", {"media.media_ids": list(media_ids)}),
        )
    if quote_of is not None and media_ids:
        message = "quote_tweet_id and media.media_ids are mutually exclusive."
        raise XProblem(400, invalid_request(message, {"quote_tweet_id": [quote_of]}))
    parent = x.live_post(reply_to) if reply_to is not None else None
    if reply_to is not None and parent is None:
        detail = "You attempted to reply to a Tweet that is deleted or not visible to you."
        raise XProblem(403, about_blank(403, detail))
    quoted = x.live_post(quote_of) if quote_of is not None else None
    if quote_of is not None and quoted is None:
        detail = "You attempted to quote a Tweet that is deleted or not visible to you."
        raise XProblem(403, about_blank(403, detail))
    if x.duplicate_of(call.user.id, text) is not None:
        raise XProblem(403, DUPLICATE_CONTENT)
    post_id = x.ids.next()
    post = Post(
        id=post_id,
        author_id=call.user.id,
        text=text,
        created_at=x.clock.now(),
        conversation_id=parent.conversation_id if parent else post_id,
        reply_to=reply_to,
        in_reply_to_user_id=parent.author_id if parent else None,
        quote_of=quote_of,
        media_ids=media_ids,
        reply_settings=body.get("reply_settings"),
    )
    if parent is not None:
        parent.metrics["reply_count"] += 1
    if quoted is not None:
        quoted.metrics["quote_count"] += 1
    return post


@router.delete("/2/tweets/{post_id}")
async def delete_post(post_id: str, request: Request) -> Response:
    call = admit(request, DELETE_POST)
    _check_id("id", post_id)
    post = call.state.x.live_post(post_id)
    if post is None:
        raise XProblem(404, not_found("tweet", "id", post_id))
    if post.author_id != call.user.id:
        raise XProblem(403, about_blank(403, "You are not allowed to delete this Tweet."))
    call.state.x.delete_post(post)
    return call.answer({"data": {"deleted": True}})


@router.get("/2/tweets/{post_id}")
async def get_post(post_id: str, request: Request) -> Response:
    call, fields = _reading(request, GET_POST)
    _check_id("id", post_id)
    post = call.state.x.live_post(post_id)
    if post is None:
        # A lookup that finds nothing still answers 200, with the problem in `errors`.
        return call.answer({"errors": [not_found("tweet", "id", post_id)]})
    return _answer(call, {}, [post], fields)


@router.get("/2/users/me")
async def get_me(request: Request) -> Response:
    call, fields = _reading(request, GET_ME)
    return call.answer({"data": user_json(call.user, fields.users, call.state.x)})


@router.get("/2/users/{user_id}/tweets")
async def user_posts(user_id: str, request: Request) -> Response:
    """The user's posts, newest first."""
    call, fields = _reading(request, USER_POSTS)
    query = dict(request.query_params)
    _check_id("id", user_id)
    if user_id not in call.state.x.users:
        return call.answer({"errors": [not_found("user", "id", user_id)]})
    excluded = requested(query, ("exclude",), frozenset({"replies", "retweets"}))
    posts = [
        post
        for post in call.state.x.posts_by(user_id)
        if not ("replies" in excluded and post.reply_to is not None)
    ]
    return _page(call, fields, query, posts)


@router.get("/2/users/{user_id}/mentions")
async def user_mentions(user_id: str, request: Request) -> Response:
    """Posts that mention the user by @username, anyone's, newest first."""
    call, fields = _reading(request, USER_MENTIONS)
    query = dict(request.query_params)
    _check_id("id", user_id)
    user = call.state.x.users.get(user_id)
    if user is None:
        return call.answer({"errors": [not_found("user", "id", user_id)]})
    mention = re.compile(rf"(?<!\w)@{re.escape(user.username)}(?!\w)", re.IGNORECASE)
    posts = [post for post in call.state.x.all_posts() if mention.search(post.text)]
    return _page(call, fields, query, posts)


SEARCH_WINDOW = timedelta(days=7)
"""Recent search covers the last seven days."""


@router.get("/2/tweets/search/recent")
async def search_recent(request: Request) -> Response:
    """Posts of the last seven days that match `query`, newest first."""
    call, fields = _reading(request, SEARCH_RECENT)
    query = dict(request.query_params)
    matches = search_query(query.get("query"), call.state.x.users)
    oldest = call.state.x.clock.now() - SEARCH_WINDOW
    start = _moment(query, "start_time")
    if start is not None and start < oldest:
        message = (
            f"Invalid 'start_time':'{query['start_time']}'. 'start_time' must be on or after "
            f"{oldest.strftime('%Y-%m-%dT%H:%MZ')}"
        )
        raise _invalid("start_time", query["start_time"], message)
    if "next_token" in query and "pagination_token" not in query:
        query["pagination_token"] = query["next_token"]
    posts = [
        post for post in call.state.x.all_posts() if post.created_at >= oldest and matches(post)
    ]
    return _page(call, fields, query, posts, smallest_page=10)


def _page(
    call: XCall, fields: Fields, query: Mapping[str, str], posts: list[Post],
    smallest_page: int = 5,
) -> Response:  # fmt: skip
    """One page of `posts` (newest first) as the query chooses, with X's `meta`."""
    chosen = _filtered(posts, query)
    size = _max_results(query, smallest_page)
    page, rest = chosen[:size], chosen[size:]
    meta: dict[str, Any] = {"result_count": len(page)}
    if page:
        meta |= {"newest_id": page[0].id, "oldest_id": page[-1].id}
    if rest:
        meta["next_token"] = _page_token(page[-1].id)
    return _answer(call, {"meta": meta}, page, fields)


def _filtered(posts: list[Post], query: Mapping[str, str]) -> list[Post]:
    """The posts the paging parameters let through."""
    since_id = _check_id("since_id", query["since_id"]) if "since_id" in query else None
    until_id = _check_id("until_id", query["until_id"]) if "until_id" in query else None
    start = _moment(query, "start_time")
    end = _moment(query, "end_time")
    before = _read_page_token(query["pagination_token"]) if "pagination_token" in query else None
    return [
        post
        for post in posts
        if (since_id is None or int(post.id) > int(since_id))
        and (until_id is None or int(post.id) < int(until_id))
        and (before is None or int(post.id) < before)
        and (start is None or post.created_at >= start)
        and (end is None or post.created_at <= end)
    ]


_TERM = re.compile(r'(-?)("[^"]*"|\S+)')
MAX_QUERY_LENGTH = 512
"""Recent search's query length on the Basic and Pro tiers (the spec allows 4096)."""


def search_query(raw: str | None, users: Mapping[str, Any]) -> Callable[[Post], bool]:
    """A subset of X's search language: terms that must all match (case-insensitive), quoted
    phrases, `from:user`, `@user`, `#tag`, `-term` to exclude. Other operators are refused."""
    if raw is None or not raw.strip():
        raise _invalid("query", raw or "", "The `query` query parameter can not be empty")
    if len(raw) > MAX_QUERY_LENGTH:
        message = f"The `query` query parameter value is longer than {MAX_QUERY_LENGTH} characters"
        raise _invalid("query", raw, message)
    tests: list[tuple[bool, Callable[[Post], bool]]] = []
    for negated, term in _TERM.findall(raw):
        tests.append((negated == "-", _term(term, raw, users)))
    return lambda post: all(test(post) != negated for negated, test in tests)


def _term(term: str, raw: str, users: Mapping[str, Any]) -> Callable[[Post], bool]:
    if term.startswith('"'):
        phrase = term.strip('"').lower()
        return lambda post: phrase in post.text.lower()
    name, colon, value = term.partition(":")
    if colon and name == "from":
        author = value.removeprefix("@").lower()
        ids = {user_id for user_id, user in users.items() if user.username.lower() == author}
        return lambda post: post.author_id in ids
    if colon and name not in ("http", "https"):
        message = f"The `{name}:` operator is not supported by the Flowhold emulator"
        raise _invalid("query", raw, message)
    if term.upper() == "OR" or term.startswith("("):
        raise _invalid("query", raw, "`OR` and groups are not supported by the Flowhold emulator")
    word = re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)
    return lambda post: word.search(post.text) is not None


def _max_results(query: Mapping[str, str], smallest: int = 5) -> int:
    raw = query.get("max_results", "10")
    size = number(raw)
    if size is None or not smallest <= size <= 100:
        message = (
            f"The `max_results` query parameter value [{raw}] is not between {smallest} and 100"
        )
        raise _invalid("max_results", raw, message)
    return size


def _moment(query: Mapping[str, str], name: str) -> datetime | None:
    if name not in query:
        return None
    raw = query[name]
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        message = f"Invalid '{name}':'{raw}'. '{name}' must be an RFC 3339 date-time."
        raise _invalid(name, raw, message)
    return moment


def _page_token(oldest_id: str) -> str:
    return base64.b32hexencode(oldest_id.encode()).decode().rstrip("=").lower()


def _read_page_token(token: str) -> int:
    padded = token.upper() + "=" * (-len(token) % 8)
    try:
        value = base64.b32hexdecode(padded).decode()
    except ValueError:
        value = ""
    if not _ID.fullmatch(value):
        message = f"The `pagination_token` query parameter value [{token}] is not valid"
        raise _invalid("pagination_token", token, message)
    return int(value)
