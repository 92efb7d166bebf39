"""Finding a post an earlier attempt made, when X's answer to it was lost.

X has no idempotency key for POST /2/tweets. When a retry is refused as duplicate content,
our earlier attempt may have posted after all: the account's recent timeline tells, by text
and by what the post replies to, among posts made since the activity was first scheduled.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import tweepy

from activities.x.session import XSession

CLOCK_SKEW = timedelta(minutes=2)
"""Our clock and X's may disagree; look a little further back than the first attempt."""
PAGES = 3
PAGE_SIZE = 100
_URL = re.compile(r"https?://\S+")


def same_text(ours: str, theirs: str) -> bool:
    """X rewrites links to t.co; compare texts with every link standing for any other."""
    return _URL.sub("<link>", ours.strip()) == _URL.sub("<link>", theirs.strip())


def replies_to(post: dict[str, Any]) -> str | None:
    for reference in post.get("referenced_tweets") or ():
        if reference.get("type") == "replied_to":
            return str(reference["id"])
    return None


def _timeline_page(
    user_id: str, since: datetime, token: str | None
) -> Callable[[tweepy.Client], dict[str, Any]]:
    def read(client: tweepy.Client) -> dict[str, Any]:
        page: dict[str, Any] = client.get_users_tweets(
            user_id,
            start_time=since,
            max_results=PAGE_SIZE,
            tweet_fields=["created_at", "referenced_tweets"],
            pagination_token=token,
            user_auth=False,
        )
        return page

    return read


async def find_earlier_post(
    session: XSession, *, text: str, reply_to: str | None, since: datetime
) -> dict[str, Any] | None:
    """The newest post of the account since `since` with this text and parent, if any."""
    user_id = await session.user_id()
    token: str | None = None
    for _ in range(PAGES):
        page = await session.call(_timeline_page(user_id, since - CLOCK_SKEW, token))
        for post in page.get("data") or ():
            if same_text(text, str(post.get("text", ""))) and replies_to(post) == reply_to:
                return {"id": str(post["id"]), "text": str(post["text"])}
        token = (page.get("meta") or {}).get("next_token")
        if not token:
            return None
    return None
