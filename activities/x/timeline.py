"""Finding a post an earlier attempt made, when X's answer to it was lost.

X has no idempotency key for POST /2/tweets, and its duplicate-content check is fuzzy and not
promised. So a retry reads the account's recent timeline before it posts again, and takes a
post made since the activity was first scheduled with the same text, parent, quoted post and
media for its own. Media make a post without text recognisable too: an uploaded media id is
the account's alone and fresh for each upload, and the timeline names it in each post's
`attachments.media_keys` (`<type>_<media id>`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import tweepy

from activities.paths import path_segment
from activities.x.session import XSession

CLOCK_SKEW = timedelta(minutes=2)
"""Our clock and X's may disagree; look a little further back than the first attempt."""
PAGES = 3
PAGE_SIZE = 100
_URL = re.compile(r"https?://\S+")
_TRAILING_LINK = re.compile(r"\s*https?://\S+\s*$")

Post = dict[str, Any]


def same_text(ours: str, theirs: str) -> bool:
    """X rewrites links to t.co; compare texts with every link standing for any other."""
    return _URL.sub("<link>", ours.strip()) == _URL.sub("<link>", theirs.strip())


def _referenced(post: Post, kind: str) -> str | None:
    for reference in post.get("referenced_tweets") or ():
        if reference.get("type") == kind:
            return str(reference["id"])
    return None


def replies_to(post: Post) -> str | None:
    return _referenced(post, "replied_to")


def _timeline_page(
    user_id: str, since: datetime, token: str | None
) -> Callable[[tweepy.Client], dict[str, Any]]:
    user = path_segment(user_id, "the account's X user id")

    def read(client: tweepy.Client) -> dict[str, Any]:
        page: dict[str, Any] = client.get_users_tweets(
            user,
            start_time=since,
            max_results=PAGE_SIZE,
            tweet_fields=["attachments", "created_at", "referenced_tweets"],
            pagination_token=token,
            user_auth=False,
        )
        return page

    return read


async def recent_posts(session: XSession, *, since: datetime) -> list[Post]:
    """The account's posts since `since` (less the clock skew), newest first, at most
    `PAGES` pages of them."""
    user_id = await session.user_id()
    posts: list[Post] = []
    token: str | None = None
    for _ in range(PAGES):
        page = await session.call(_timeline_page(user_id, since - CLOCK_SKEW, token))
        posts.extend(page.get("data") or ())
        token = (page.get("meta") or {}).get("next_token")
        if not token:
            break
    return posts


def attached_media(post: Post) -> frozenset[str]:
    """The ids of the media a post carries, from its media keys (`3_<id>`, `7_<id>`)."""
    keys = (post.get("attachments") or {}).get("media_keys") or ()
    return frozenset(str(key).rpartition("_")[2] for key in keys)


def find_post(
    posts: Sequence[Post],
    *,
    text: str,
    reply_to: str | None,
    quote_of: str | None = None,
    media_ids: Sequence[str] = (),
) -> Post | None:
    """The newest of `posts` with this text, parent, quoted post and media, as an action's
    output."""
    for post in posts:
        theirs = str(post.get("text", ""))
        # X appends a link to the media to the text of a post that carries some.
        if (
            (
                same_text(text, theirs)
                or (bool(media_ids) and same_text(text, _TRAILING_LINK.sub("", theirs)))
            )
            and replies_to(post) == reply_to
            and _referenced(post, "quoted") == quote_of
            and attached_media(post) == frozenset(media_ids)
        ):
            return {"id": str(post["id"]), "text": str(post["text"])}
    return None


class EarlierAttempts:
    """What earlier attempts of this activity may have posted without hearing back.

    Only a retry looks, it reads the timeline once, and it stops looking once it has posted
    something itself: every later post of a thread replies to that new one, which no earlier
    attempt can have answered.
    """

    def __init__(self, session: XSession, *, attempt: int, since: datetime) -> None:
        self._session = session
        self._since = since
        self._looking = attempt > 1
        self._posts: list[Post] | None = None

    @property
    def since(self) -> datetime:
        """When the step was first scheduled: earlier attempts posted after it."""
        return self._since

    async def find(
        self,
        *,
        text: str,
        reply_to: str | None,
        quote_of: str | None = None,
        media_ids: Sequence[str] = (),
    ) -> Post | None:
        if not self._looking or not (text.strip() or media_ids):
            return None
        if self._posts is None:
            self._posts = await recent_posts(self._session, since=self._since)
        return find_post(
            self._posts, text=text, reply_to=reply_to, quote_of=quote_of, media_ids=media_ids
        )

    def posted(self) -> None:
        """This attempt made a post of its own."""
        self._looking = False


async def find_earlier_post(
    session: XSession,
    *,
    text: str,
    reply_to: str | None,
    since: datetime,
    quote_of: str | None = None,
    media_ids: Sequence[str] = (),
) -> Post | None:
    """The newest post of the account since `since` with this text, parent and media, if any."""
    posts = await recent_posts(session, since=since)
    return find_post(posts, text=text, reply_to=reply_to, quote_of=quote_of, media_ids=media_ids)
