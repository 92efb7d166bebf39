"""Sending a run's views as Server-Sent Events for as long as the caller's key stays live.

A stream may stay open for days (a run waiting for an approval), far longer than the
request's authentication holds: the key is checked again before every event and every
`key_check` seconds in between, and the stream ends with an `error` event when it was revoked
or has expired. Silences longer than `keep_alive` get a comment line.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from app.api.run_schemas import RunStatePublic
from app.api.run_stream_events import KEEP_ALIVE, RunStreamEncoder
from app.errors import AuthenticationError
from app.services.runs import RunView

KEY_NO_LONGER_LIVE = "the API key of this stream was revoked or has expired"


@dataclass(frozen=True)
class StreamTiming:
    keep_alive: float
    """Seconds of silence before a `: ping`."""
    key_check: float
    """Seconds between two checks of the key while no event is sent."""


@dataclass(frozen=True)
class _Ended:
    """The views ran out (the run has ended), or failed with `error`."""

    error: BaseException | None = None


async def _pump(views: AsyncIterator[RunView], into: asyncio.Queue[RunView | _Ended]) -> None:
    try:
        async for view in views:
            await into.put(view)
    except Exception as error:
        await into.put(_Ended(error))
    else:
        await into.put(_Ended())


async def guarded_events(
    views: AsyncIterator[RunView],
    encoder: RunStreamEncoder,
    key_is_live: Callable[[], Awaitable[bool]],
    timing: StreamTiming,
) -> AsyncIterator[bytes]:
    """The stream's bytes: `views` encoded by `encoder`, until the run ends or the key dies."""
    # One view at a time: a slow client slows the polling, nothing piles up.
    queue: asyncio.Queue[RunView | _Ended] = asyncio.Queue(maxsize=1)
    pump = asyncio.create_task(_pump(views, queue))
    loop = asyncio.get_running_loop()
    last_check = last_sent = loop.time()
    try:
        while True:
            wait = min(last_check + timing.key_check, last_sent + timing.keep_alive) - loop.time()
            item: RunView | _Ended | None
            try:
                item = await asyncio.wait_for(queue.get(), timeout=max(wait, 0))
            except TimeoutError:
                item = None
            now = loop.time()
            if item is not None or now >= last_check + timing.key_check:
                if not await key_is_live():
                    yield encoder.error(AuthenticationError.type, KEY_NO_LONGER_LIVE)
                    return
                last_check = now
            if isinstance(item, _Ended):
                if item.error is not None:
                    raise item.error
                yield encoder.end()
                return
            if item is not None:
                events = encoder.changes(RunStatePublic.model_validate(item))
                if events:
                    yield b"".join(events)
                    last_sent = now
            if loop.time() >= last_sent + timing.keep_alive:
                yield KEEP_ALIVE
                last_sent = loop.time()
    finally:
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pump
