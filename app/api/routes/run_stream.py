"""A run's progress as Server-Sent Events."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.sse import EventSourceResponse

from app.api.deps import CallerDep, DatabaseDep, RunsDep, SessionDep, SettingsDep
from app.api.guarded_stream import StreamTiming, guarded_events
from app.api.responses import AUTHENTICATED, errors
from app.api.run_stream_events import RunStreamEncoder
from app.store.api_keys import is_live

router = APIRouter(tags=["runs"], responses={**AUTHENTICATED, **errors(503)})

POLL = timedelta(milliseconds=250)
MAX_EVENT_ID = 2**53 - 1
"""Ids stay exact in a JavaScript number."""


@router.get(
    "/runs/{run_id}/stream",
    operation_id="stream_run",
    response_model=None,
    responses={
        **errors(404),
        200: {
            "description": (
                "`text/event-stream`: a `state` event (data: the run's whole state as in "
                "get_run) at once; then a `node` event (`{node_id, iteration, state}`) for "
                "each node whose state changed and a `run` event (every run-level field) when "
                "one of them changed; one `end` event when the run has ended, or an `error` "
                "event when the API key was revoked or expired meanwhile. A `: ping` comment "
                "after `STREAM_KEEP_ALIVE_SECONDS` of silence. Event ids increase, and go on "
                "from `Last-Event-ID` on a reconnection, which starts with a whole `state`."
            ),
            "content": {
                "text/event-stream": {
                    "example": 'event: state\ndata: {"status": "running", ...}\nid: 1\n\n'
                    'event: node\ndata: {"node_id": "post", "iteration": null, '
                    '"state": {"status": "succeeded", ...}}\nid: 2\n\n'
                    'event: run\ndata: {"status": "succeeded", ...}\nid: 3\n\n'
                    "event: end\ndata: {}\nid: 4\n\n"
                }
            },
        },
    },
)
async def stream_run(
    run_id: str,
    caller: CallerDep,
    session: SessionDep,
    runs: RunsDep,
    database: DatabaseDep,
    settings: SettingsDep,
    last_event_id: Annotated[
        int | None,
        Header(
            alias="Last-Event-ID",
            ge=0,
            le=MAX_EVENT_ID,
            description="The last event id a dropped connection received: ids go on from it.",
        ),
    ] = None,
) -> EventSourceResponse:
    """Follow a run: its whole state now, then what changes after every step, until it ends."""
    # Found before the stream starts, so a wrong id is a plain 404, not a broken stream.
    views = await runs.follow(organization_id=caller.organization_id, run_id=run_id, poll=POLL)
    # A stream may last long: it must not hold a database connection, and it checks its key
    # again with a short session of its own each time.
    await session.close()

    async def key_is_live() -> bool:
        async with database.session() as check:
            return await is_live(check, key_id=caller.api_key_id)

    timing = StreamTiming(
        keep_alive=settings.stream_keep_alive_seconds, key_check=settings.stream_key_check_seconds
    )
    encoder = RunStreamEncoder(last_event_id or 0)
    return EventSourceResponse(guarded_events(views, encoder, key_is_live, timing))
