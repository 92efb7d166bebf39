"""Reading pages of posts from X (mentions, a user's posts, recent search) into the read
nodes' one output: `items`, `newest_id`, `oldest_id`, `next_token`, `result_count`.

Reads have no side effect, so a retry (after a rate limit, say) reads again from the start;
the pages are bounded by the node's `max_pages`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tweepy

from activities.x.read_nodes import XReadParameters
from activities.x.session import XSession
from app.contract.failures import FailureType

Page = Callable[[tweepy.Client, str | None], dict[str, Any]]
"""One page of a read: the client and the pagination token (None for the first page)."""


def paging(params: XReadParameters) -> dict[str, Any]:
    """The tweepy arguments every page of a read shares."""
    arguments: dict[str, Any] = {
        "max_results": params.max_results,
        "tweet_fields": sorted(params.fields),
        "user_auth": False,
    }
    if params.since_id is not None:
        arguments["since_id"] = params.since_id
    return arguments


async def read_pages(session: XSession, params: XReadParameters, page: Page) -> dict[str, Any]:
    """Up to `max_pages` pages, newest first, from `params.pagination_token` on."""
    items: list[dict[str, Any]] = []
    token = params.pagination_token
    for _ in range(params.max_pages):
        answer = await session.call(lambda client, token=token: page(client, token))  # type: ignore[misc]
        if "meta" not in answer and answer.get("errors"):
            # X answers 200 with only `errors` for a user that does not exist.
            detail = answer["errors"][0].get("detail") or "X found nothing to read"
            raise FailureType.XNotFound.error(f"X: {detail}")
        items.extend(_item(post) for post in answer.get("data") or ())
        token = (answer.get("meta") or {}).get("next_token")
        if not token:
            break
    newest = max((item["id"] for item in items), key=int, default=None)
    oldest = min((item["id"] for item in items), key=int, default=None)
    return {
        "items": items,
        "newest_id": newest if newest is not None else params.since_id,
        "oldest_id": oldest,
        "next_token": token or None,
        "result_count": len(items),
    }


def _item(post: dict[str, Any]) -> dict[str, Any]:
    """A post as X gave it, ids as strings, without the edit history X always adds."""
    item = {
        name: value
        for name, value in post.items()
        if name not in ("edit_history_tweet_ids", "edit_history_post_ids", "referenced_posts")
    }
    item["id"] = str(post["id"])
    item["text"] = str(post.get("text", ""))
    return item
