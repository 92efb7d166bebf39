"""Publishing: create the container(s), wait for processing, publish, without repeating a step
a previous attempt already took.

Progress (heartbeat details) holds the carousel's item containers, the container, whether
publishing was attempted, the media once published and whether its first comment was being
posted; a retry picks up there. If an earlier attempt's publish went through
but its answer was lost, the container reads PUBLISHED and the media is found among the
account's newest, by caption and time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import activity

from activities.base import Progress
from activities.instagram.errors import NOT_READY_CODE, GraphError
from activities.instagram.graph import GraphSession
from activities.instagram.nodes import (
    CarouselItem,
    InstagramPublishParameters,
    ProductTag,
    UserTag,
)
from activities.step_clock import step_clock
from app.contract.failures import FailureType

ATTEMPT_MARGIN = timedelta(seconds=15)
"""Stop waiting this long before the attempt's own timeout, to hand over to the next attempt."""
CLOCK_SKEW = timedelta(minutes=2)


def _container_parameters(
    params: InstagramPublishParameters, children: list[str]
) -> dict[str, str]:
    if params.kind == "image":
        fields = {"image_url": params.image_url}
    elif params.kind == "reel":
        fields = {
            "media_type": "REELS", "video_url": params.video_url, "cover_url": params.cover_url,
            "share_to_feed": "true" if params.share_to_feed else "false",
        }  # fmt: skip
    elif params.kind == "story":
        fields = {"media_type": "STORIES", "image_url": params.image_url,
                  "video_url": params.video_url}  # fmt: skip
    else:
        fields = {"media_type": "CAROUSEL", "children": ",".join(children)}
    if params.kind != "story":
        fields["caption"] = params.caption
    fields |= _options(params)
    return {name: value for name, value in fields.items() if value is not None}


def _options(params: InstagramPublishParameters) -> dict[str, str | None]:
    """Alt text, tags, location and collaborators, as the container takes them (JSON lists);
    validation has refused each where its kind takes none."""

    def placed(tags: Sequence[UserTag | ProductTag], key: str) -> str | None:
        if not tags:
            return None
        return json.dumps(
            [
                {key: getattr(tag, key)} | ({"x": tag.x, "y": tag.y} if tag.x is not None else {})
                for tag in tags
            ]
        )

    return {
        "alt_text": params.alt_text,
        "user_tags": placed(params.user_tags, "username"),
        "product_tags": placed(params.product_tags, "product_id"),
        "location_id": params.location_id,
        "collaborators": json.dumps(params.collaborators) if params.collaborators else None,
    }


def _item_parameters(item: CarouselItem) -> dict[str, str]:
    if item.image_url is not None:
        return {"is_carousel_item": "true", "image_url": item.image_url}
    return {"is_carousel_item": "true", "media_type": "VIDEO", "video_url": str(item.video_url)}


class Publishing:
    """One publish of one account, resumable from `Progress`."""

    def __init__(
        self, graph: GraphSession, params: InstagramPublishParameters, progress: Progress
    ) -> None:
        self.graph = graph
        self.params = params
        self.progress = progress
        previous = Progress.previous()
        self.state: dict[str, Any] = dict(previous) if isinstance(previous, dict) else {}
        self.state.setdefault("children", [])
        progress.details = dict(self.state)
        # By this worker's clock, which `_pause` and Meta's timestamps are compared with.
        clock = step_clock()
        self.first_scheduled = clock.first_scheduled
        self.attempt_ends = (
            clock.attempt_ends - ATTEMPT_MARGIN if clock.attempt_ends is not None else None
        )

    async def run(self) -> dict[str, Any]:
        ig_user_id = await self.graph.ig_user_id()
        for item in self.params.items[len(self.state["children"]) :]:
            created = await self.graph.post(ig_user_id, _item_parameters(item), edge="media")
            self._record(children=[*self.state["children"], str(created["id"])])
        for child in self.state["children"]:
            await self._until_finished(child)
        if "container" not in self.state:
            parameters = _container_parameters(self.params, self.state["children"])
            created_at = datetime.now(UTC).timestamp()
            created = await self.graph.post(ig_user_id, parameters, edge="media")
            self._record(container=str(created["id"]), created_at=created_at)
        container = self.state["container"]
        media_id = self.state.get("media_id")
        if not isinstance(media_id, str):
            status = await self._until_finished(container)
            media_id = (
                await self._published_media(ig_user_id)
                if status == "PUBLISHED"
                else await self._publish(ig_user_id, container)
            )
            self._record(media_id=media_id)
        media = await self.graph.get(media_id, {"fields": "permalink"})
        published = {
            "media_id": media_id,
            "container_id": container,
            "permalink": media.get("permalink", ""),
        }
        if self.params.first_comment is not None:
            published["first_comment_id"] = await self._first_comment(
                ig_user_id, media_id, self.params.first_comment
            )
        return published

    async def _first_comment(self, ig_user_id: str, media_id: str, text: str) -> str:
        """The comment under the new media, once: a retry after a lost answer finds the one
        an earlier attempt posted (this account's, with this text) instead of posting again."""
        # Progress may be lost with a failed attempt: any retry looks first.
        if self.state.get("commenting") or activity.info().attempt > 1:
            listing = await self.graph.get(
                media_id, {"fields": "id,text,from", "limit": "100"}, edge="comments"
            )
            for comment in listing.get("data", []):
                author = comment.get("from")
                if (
                    isinstance(author, dict)
                    and author.get("id") == ig_user_id
                    and comment.get("text") == text
                ):
                    return str(comment["id"])
        self._record(commenting=True)
        created = await self.graph.post(media_id, {"message": text}, edge="comments")
        return str(created["id"])

    async def _publish(self, ig_user_id: str, container: str) -> str:
        self._record(publishing=True)
        while True:
            try:
                published = await self.graph.post(
                    ig_user_id, {"creation_id": container}, edge="media_publish"
                )
                return str(published["id"])
            except GraphError as error:
                if error.code != NOT_READY_CODE:
                    raise
            await self._pause()

    async def _until_finished(self, container: str) -> str:
        """Poll until the container is FINISHED (or PUBLISHED by an earlier attempt)."""
        while True:
            answer = await self.graph.get(container, {"fields": "status_code,status"})
            status = str(answer.get("status_code"))
            if status in ("FINISHED", "PUBLISHED"):
                return status
            if status == "ERROR":
                raise FailureType.InstagramMediaFailed.error(
                    f"Instagram could not process the media: {answer.get('status', status)}"
                )
            if status == "EXPIRED":
                # Not published within 24 hours: the next attempt starts from new containers.
                self._record(children=[], container=None, created_at=None)
                raise FailureType.InstagramContainerExpired.error(
                    "the media container expired before it was published"
                )
            await self._pause()

    async def _pause(self) -> None:
        now = datetime.now(self.first_scheduled.tzinfo)
        if now - self.first_scheduled >= self.params.max_wait:
            raise FailureType.InstagramProcessingTimeout.error(
                f"Instagram did not finish processing within {self.params.max_wait}"
            )
        if self.attempt_ends is not None and now + self.params.poll_interval > self.attempt_ends:
            # This attempt's time is up; the next one resumes with the same container.
            raise FailureType.InstagramStillProcessing.error(
                "Instagram is still processing the media",
                next_retry_delay=self.params.poll_interval,
            )
        await asyncio.sleep(self.params.poll_interval.total_seconds())

    async def _published_media(self, ig_user_id: str) -> str:
        """The media an earlier attempt published from our container: the newest with our
        caption since the container was made (by this worker's clock, less some skew)."""
        listing = await self.graph.get(
            ig_user_id, {"fields": "id,caption,timestamp", "limit": "25"}, edge="media"
        )
        created_at = self.state.get("created_at")
        made = (
            datetime.fromtimestamp(created_at, UTC)
            if isinstance(created_at, int | float)
            else self.first_scheduled
        )
        since = made - CLOCK_SKEW
        for media in listing.get("data", []):
            published = datetime.strptime(str(media.get("timestamp")), "%Y-%m-%dT%H:%M:%S%z")
            if published >= since and media.get("caption") == self.params.caption:
                return str(media["id"])
        raise FailureType.InstagramMediaNotFound.error(
            "Instagram published the media in an earlier attempt, but it cannot be found "
            "among the account's newest"
        )

    def _record(self, **changes: Any) -> None:
        self.state.update(changes)
        for name in ("container", "created_at"):
            if self.state.get(name) is None:
                self.state.pop(name, None)
        self.progress.record(self.state)
