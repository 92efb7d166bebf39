"""Uploading a file to X for posts: images in one request (`POST /2/media/upload`), GIFs and
videos in chunks (`initialize`, `append` per segment, `finalize`) and then polled with
`STATUS` until X has processed them.

Each step goes out with the heartbeat (`UploadProgress`), so a retry goes on where the last
attempt stopped: after the segments X has, or straight to polling a finalized upload. An
upload nobody posts has no visible effect (X drops it after 24 hours), so a retry that
cannot resume simply uploads again.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

import tweepy

from activities.base import Progress
from activities.paths import path_segment
from activities.x.media_source import MediaFile
from activities.x.session import XSession
from app.contract.failures import FailureType

SEGMENT_BYTES = 4 * 1024 * 1024
"""Bytes per APPEND: under X's 5 MB a segment, and under 6 MB of JSON once base64."""
MIN_POLL_SECONDS = 1.0
MAX_POLL_SECONDS = 60.0
PROCESSING = ("pending", "in_progress")


@dataclass
class UploadProgress:
    """How far a chunked upload got: its media id, the segments X has, whether finalized."""

    media_id: str
    segments: int = 0
    finalized: bool = False
    size: int = 0

    @classmethod
    def resumed(cls, previous: Any, size: int) -> UploadProgress | None:
        """The last attempt's progress, when it was uploading the same file."""
        if not isinstance(previous, dict) or previous.get("size") != size:
            return None
        try:
            return cls(
                media_id=str(previous["media_id"]),
                segments=int(previous["segments"]),
                finalized=bool(previous["finalized"]),
                size=size,
            )
        except (KeyError, TypeError, ValueError):
            return None


def _json(response: Any) -> dict[str, Any]:
    body = response.json()
    return body if isinstance(body, dict) else {}


def _data(body: dict[str, Any]) -> dict[str, Any]:
    data = body.get("data")
    if not isinstance(data, dict) or "id" not in data:
        raise FailureType.XRefused.error("X answered the upload without its media")
    return data


async def upload(
    session: XSession, media: MediaFile, *, progress: Progress, max_wait: timedelta
) -> dict[str, Any]:
    """Upload `media` and wait for X to process it; the node's output."""
    if media.category == "tweet_image":
        data = await _one_shot(session, media)
    else:
        data = await _chunked(session, media, progress, max_wait)
    return {
        "media_id": str(data["id"]),
        "media_key": str(data.get("media_key", "")),
        "media_type": media.media_type,
        "size": len(media.content),
    }


async def _one_shot(session: XSession, media: MediaFile) -> dict[str, Any]:
    body = {
        "media": base64.b64encode(media.content).decode("ascii"),
        "media_category": media.category,
    }
    answer = await session.call(
        lambda client: _json(client.request("POST", "/2/media/upload", json=body))
    )
    return _data(answer)


async def _chunked(
    session: XSession, media: MediaFile, progress: Progress, max_wait: timedelta
) -> dict[str, Any]:
    state = UploadProgress.resumed(Progress.previous(), len(media.content))
    if state is not None:
        try:
            return await _go_on(session, media, progress, state, max_wait)
        except (tweepy.BadRequest, tweepy.NotFound):
            pass  # the session expired or X forgot it: start again
    started = await session.call(
        lambda client: _json(
            client.request(
                "POST",
                "/2/media/upload/initialize",
                json={
                    "media_type": media.media_type,
                    "total_bytes": len(media.content),
                    "media_category": media.category,
                },
            )
        )
    )
    state = UploadProgress(media_id=str(_data(started)["id"]), size=len(media.content))
    progress.record(asdict(state))
    return await _go_on(session, media, progress, state, max_wait)


async def _go_on(
    session: XSession,
    media: MediaFile,
    progress: Progress,
    state: UploadProgress,
    max_wait: timedelta,
) -> dict[str, Any]:
    media_id = path_segment(state.media_id, "media_id")
    if state.finalized:
        # Finalized by the last attempt: X is processing it, or has.
        return await _processed(session, media_id, await _status(session, media_id), max_wait)
    total = len(media.content)
    segments = (total + SEGMENT_BYTES - 1) // SEGMENT_BYTES
    while state.segments < segments:
        start = state.segments * SEGMENT_BYTES
        chunk = base64.b64encode(media.content[start : start + SEGMENT_BYTES]).decode("ascii")
        body = {"media": chunk, "segment_index": state.segments}
        await session.call(
            lambda client, body=body: client.request(  # type: ignore[misc]
                "POST", f"/2/media/upload/{media_id}/append", json=body
            )
        )
        state.segments += 1
        progress.record(asdict(state))
    finalized = await session.call(
        lambda client: _json(client.request("POST", f"/2/media/upload/{media_id}/finalize"))
    )
    state.finalized = True
    progress.record(asdict(state))
    return await _processed(session, media_id, _data(finalized), max_wait)


async def _processed(
    session: XSession, media_id: str, data: dict[str, Any], max_wait: timedelta
) -> dict[str, Any]:
    """Poll STATUS as X's `check_after_secs` asks, until processing ends or `max_wait`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait.total_seconds()
    while True:
        info = data.get("processing_info")
        state = info.get("state") if isinstance(info, dict) else None
        if state is None or state == "succeeded":
            return data
        if state not in PROCESSING:
            raise FailureType.XMediaFailed.error(
                f"X could not process media {media_id} (processing {state})"
            )
        after = info.get("check_after_secs") if isinstance(info, dict) else None
        wait = float(after) if isinstance(after, int | float) else MIN_POLL_SECONDS
        wait = min(max(wait, MIN_POLL_SECONDS), MAX_POLL_SECONDS)
        if loop.time() + wait > deadline:
            raise FailureType.XMediaFailed.error(
                f"X was still processing media {media_id} after {max_wait}: raise max_wait"
            )
        await asyncio.sleep(wait)
        data = await _status(session, media_id)


async def _status(session: XSession, media_id: str) -> dict[str, Any]:
    status = await session.call(
        lambda client: _json(
            client.request(
                "GET", "/2/media/upload", params={"command": "STATUS", "media_id": media_id}
            )
        )
    )
    return _data(status)
