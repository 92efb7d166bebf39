"""A run's progress as Server-Sent Events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import APIRouter
from fastapi.sse import EventSourceResponse, format_sse_event

from app.api.deps import CallerDep, RunsDep, SessionDep
from app.api.responses import AUTHENTICATED, errors
from app.api.run_schemas import RunStatePublic
from app.services.runs import RunView

router = APIRouter(tags=["runs"], responses={**AUTHENTICATED, **errors(503)})

POLL = timedelta(milliseconds=250)


async def _events(views: AsyncIterator[RunView]) -> AsyncIterator[bytes]:
    sequence = 0
    async for view in views:
        sequence += 1
        state = RunStatePublic.model_validate(view).model_dump_json()
        yield format_sse_event(data_str=state, event="state", id=str(sequence))
    yield format_sse_event(data_str="{}", event="end", id=str(sequence + 1))


@router.get(
    "/runs/{run_id}/stream",
    operation_id="stream_run",
    response_model=None,
    responses={
        **errors(404),
        200: {
            "description": (
                "`text/event-stream`: a `state` event (data: the run's state as in get_run) "
                "at once and at every change, then one `end` event when the run has ended."
            ),
            "content": {
                "text/event-stream": {
                    "example": 'event: state\ndata: {"status": "running", ...}\nid: 1\n\n'
                    "event: end\ndata: {}\nid: 2\n\n"
                }
            },
        },
    },
)
async def stream_run(
    run_id: str, caller: CallerDep, session: SessionDep, runs: RunsDep
) -> EventSourceResponse:
    """Follow a run: its state now and after every step, until it ends."""
    # Found before the stream starts, so a wrong id is a plain 404, not a broken stream.
    views = await runs.follow(organization_id=caller.organization_id, run_id=run_id, poll=POLL)
    # A stream may last long: it must not hold a database connection (the key is checked).
    await session.close()
    return EventSourceResponse(_events(views))
