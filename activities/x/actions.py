"""The X activities: post, thread, delete, get a post, me, upload media, and the reads
(mentions, a user's posts, recent search). Errors map in `errors`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import tweepy
from temporalio import activity

from activities.accounts.failures import required_account
from activities.base import Progress, parse_parameters, platform_call
from activities.paths import path_segment
from activities.services import ActionServices
from activities.step_clock import step_clock
from activities.x.errors import is_duplicate, x_failure_of
from activities.x.media import upload
from activities.x.media_nodes import XUploadMediaParameters
from activities.x.media_source import media_file
from activities.x.nodes import (
    PostContent,
    XDeleteParameters,
    XGetPostParameters,
    XMeParameters,
    XPostParameters,
    XThreadParameters,
)
from activities.x.read_nodes import (
    XMentionsParameters,
    XSearchRecentParameters,
    XUserPostsParameters,
)
from activities.x.reads import paging, read_pages
from activities.x.session import XSession
from activities.x.timeline import EarlierAttempts, find_earlier_post
from app.contract.actions import ActionInput
from app.contract.failures import FailureType

T = TypeVar("T")


def _post_output(created: dict[str, Any]) -> dict[str, Any]:
    data = created["data"]
    return {"id": str(data["id"]), "text": str(data.get("text", ""))}


class XActivities:
    """X actions through tweepy, for the account the node names."""

    def __init__(self, services: ActionServices) -> None:
        self.services = services

    @activity.defn(name="x.post")
    async def post(self, action: ActionInput) -> dict[str, Any]:
        """Publish one post. A retry first looks on the timeline for the post an earlier
        attempt may have made (not possible for a post without text)."""
        params = parse_parameters(XPostParameters, action)
        session = self._session(action)

        async def publish() -> dict[str, Any]:
            return await _create(
                session, params, _earlier_attempts(session), reply_to=params.reply_to,
                quote_post_id=params.quote_post_id, reply_settings=params.reply_settings,
            )  # fmt: skip

        return await self._mapped(publish)

    @activity.defn(name="x.thread")
    async def thread(self, action: ActionInput) -> dict[str, Any]:
        """Publish the posts in order, each replying to the one before. Posted ids go out with
        every heartbeat, so a retry resumes after the last post it knows of; posts whose
        answers were lost are found on the timeline instead of being posted twice."""
        params = parse_parameters(XThreadParameters, action)
        session = self._session(action)
        progress = Progress()
        previous = Progress.previous()
        ids: list[str] = list(previous.get("ids", [])) if isinstance(previous, dict) else []
        if len(ids) > len(params.posts):
            raise FailureType.InvalidParameters.error("the thread changed between attempts")
        progress.details = {"ids": list(ids)}

        async def publish() -> dict[str, Any]:
            earlier = _earlier_attempts(session)
            for content in params.posts[len(ids) :]:
                created = await _create(
                    session, content, earlier, reply_to=ids[-1] if ids else None
                )
                ids.append(created["id"])
                progress.record({"ids": ids})
            return {"ids": ids, "first_id": ids[0], "last_id": ids[-1]}

        return await self._mapped(publish, progress)

    @activity.defn(name="x.delete")
    async def delete(self, action: ActionInput) -> dict[str, Any]:
        """Delete a post of the account. A retry that finds it gone counts it deleted: the
        earlier attempt did it."""
        params = parse_parameters(XDeleteParameters, action)
        post_id = path_segment(params.post_id, "post_id")
        session = self._session(action)

        async def remove() -> dict[str, Any]:
            try:
                answer: dict[str, Any] = await session.call(
                    lambda client: client.delete_tweet(post_id, user_auth=False)
                )
            except tweepy.NotFound:
                if activity.info().attempt > 1:
                    return {"deleted": True}
                raise
            return {"deleted": bool(answer["data"]["deleted"])}

        return await self._mapped(remove)

    @activity.defn(name="x.get_post")
    async def get_post(self, action: ActionInput) -> dict[str, Any]:
        """A post with the fields asked for (public metrics by default)."""
        params = parse_parameters(XGetPostParameters, action)
        post_id = path_segment(params.post_id, "post_id")
        session = self._session(action)

        async def read() -> dict[str, Any]:
            answer: dict[str, Any] = await session.call(
                lambda client: client.get_tweet(
                    post_id, tweet_fields=list(params.fields), user_auth=False
                )
            )
            data = answer.get("data")
            if not isinstance(data, dict):
                # X answers 200 with `errors` for a post that is gone or hidden.
                problems = answer.get("errors") or [{}]
                detail = problems[0].get("detail") or f"post {params.post_id} was not found"
                raise FailureType.XNotFound.error(f"X: {detail}")
            return _post_fields(data, params.fields)

        return await self._mapped(read)

    @activity.defn(name="x.me")
    async def me(self, action: ActionInput) -> dict[str, Any]:
        """The connected account's id, name and username."""
        parse_parameters(XMeParameters, action)
        session = self._session(action)

        async def read() -> dict[str, Any]:
            answer: dict[str, Any] = await session.call(
                lambda client: client.get_me(
                    user_fields=["id", "name", "username"], user_auth=False
                )
            )
            data = answer["data"]
            return {"id": str(data["id"]), "name": data["name"], "username": data["username"]}

        return await self._mapped(read)

    def _session(self, action: ActionInput) -> XSession:
        account_id = required_account(action, "X")
        return XSession(self.services, action.organization_id, account_id)

    async def _mapped(
        self, body: Callable[[], Awaitable[T]], progress: Progress | None = None
    ) -> T:
        return await platform_call(body, failure=x_failure_of, progress=progress)

    @activity.defn(name="x.upload_media")
    async def upload_media(self, action: ActionInput) -> dict[str, Any]:
        """Fetch or decode the file, upload it (in chunks for GIFs and videos) and wait for X
        to process it. Each step goes out with the heartbeat, so a retry resumes."""
        params = parse_parameters(XUploadMediaParameters, action)
        session = self._session(action)
        progress = Progress()

        async def send() -> dict[str, Any]:
            media = await media_file(params, self.services, action.organization_id)
            return await upload(session, media, progress=progress, max_wait=params.max_wait)

        return await self._mapped(send, progress)

    @activity.defn(name="x.mentions")
    async def mentions(self, action: ActionInput) -> dict[str, Any]:
        """Posts mentioning a user (the account by default), newest first."""
        params = parse_parameters(XMentionsParameters, action)
        session = self._session(action)

        async def read() -> dict[str, Any]:
            user = path_segment(params.user_id or await session.user_id(), "user_id")
            shared = paging(params)
            return await read_pages(
                session, params,
                lambda client, token: client.get_users_mentions(
                    user, pagination_token=token, **shared
                ),
            )  # fmt: skip

        return await self._mapped(read)

    @activity.defn(name="x.user_posts")
    async def user_posts(self, action: ActionInput) -> dict[str, Any]:
        """A user's posts (the account's by default), newest first."""
        params = parse_parameters(XUserPostsParameters, action)
        session = self._session(action)

        async def read() -> dict[str, Any]:
            user = path_segment(params.user_id or await session.user_id(), "user_id")
            shared = paging(params)
            if params.exclude:
                shared["exclude"] = sorted(set(params.exclude))
            return await read_pages(
                session, params,
                lambda client, token: client.get_users_tweets(
                    user, pagination_token=token, **shared
                ),
            )  # fmt: skip

        return await self._mapped(read)

    @activity.defn(name="x.search_recent")
    async def search_recent(self, action: ActionInput) -> dict[str, Any]:
        """Posts of the last 7 days matching the query, newest first."""
        params = parse_parameters(XSearchRecentParameters, action)
        session = self._session(action)

        async def read() -> dict[str, Any]:
            shared = paging(params)
            return await read_pages(
                session, params,
                lambda client, token: client.search_recent_tweets(
                    params.query, next_token=token, **shared
                ),
            )  # fmt: skip

        return await self._mapped(read)

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.post, self.thread, self.delete, self.get_post, self.me, self.upload_media,
            self.mentions, self.user_posts, self.search_recent,
        ]  # fmt: skip


def _earlier_attempts(session: XSession) -> EarlierAttempts:
    # By the worker's clock, which X's timestamps agree with (see `activities.step_clock`).
    return EarlierAttempts(
        session, attempt=activity.info().attempt, since=step_clock().first_scheduled
    )


async def _create(
    session: XSession,
    content: PostContent,
    earlier: EarlierAttempts,
    *,
    reply_to: str | None,
    quote_post_id: str | None = None,
    reply_settings: str | None = None,
) -> dict[str, Any]:
    """Post `content`, unless an earlier attempt did already (see `timeline`)."""
    text = content.text if content.text.strip() else None
    media_ids = tuple(content.media_ids)
    found = await earlier.find(
        text=content.text, media_ids=media_ids, reply_to=reply_to, quote_of=quote_post_id
    )
    if found is not None:
        return found
    try:
        created: dict[str, Any] = await session.call(
            lambda client: client.create_tweet(
                text=text,
                media_ids=content.media_ids or None,
                in_reply_to_tweet_id=reply_to,
                quote_tweet_id=quote_post_id,
                reply_settings=reply_settings,
                user_auth=False,
            )
        )
    except tweepy.Forbidden as error:
        # Refused as duplicate on a retry: the timeline may have lagged behind our post.
        info = activity.info()
        if not is_duplicate(error) or info.attempt == 1:
            raise
        again = await find_earlier_post(
            session, text=content.text, media_ids=media_ids, reply_to=reply_to,
            since=earlier.since, quote_of=quote_post_id,
        )  # fmt: skip
        if again is None:
            raise
        return again
    earlier.posted()
    return _post_output(created)


def _post_fields(data: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """The post as the node's output schema has it: id, text and the fields asked for."""
    post = {"id": str(data["id"]), "text": str(data.get("text", ""))}
    post |= {name: data[name] for name in fields if name in data}
    metrics = post.get("public_metrics")
    if isinstance(metrics, dict) and "repost_count" not in metrics and "retweet_count" in metrics:
        # The spec's name for what the live API still calls retweet_count.
        post["public_metrics"] = {**metrics, "repost_count": metrics["retweet_count"]}
    return post
