"""Polling triggers' cursors: what each `trigger.poll` node has seen of its source."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import PollCursor
from app.db.types import utcnow


async def get_cursor(
    session: AsyncSession, *, organization_id: str, workflow_id: str, node_id: str
) -> PollCursor | None:
    return (
        await session.exec(
            select(PollCursor).where(
                PollCursor.organization_id == organization_id,
                PollCursor.workflow_id == workflow_id,
                PollCursor.node_id == node_id,
            )
        )
    ).first()


async def move_cursor(
    session: AsyncSession,
    *,
    organization_id: str,
    workflow_id: str,
    node_id: str,
    seen: list[str],
    runs_started: int,
) -> PollCursor:
    """Replace what the trigger has seen, after the runs for the new items have started;
    commits."""
    cursor = await get_cursor(
        session, organization_id=organization_id, workflow_id=workflow_id, node_id=node_id
    )
    if cursor is None:
        cursor = PollCursor(
            organization_id=organization_id, workflow_id=workflow_id, node_id=node_id, seen=[]
        )
    cursor.seen = seen
    cursor.polls += 1
    cursor.runs_started += runs_started
    cursor.updated_at = utcnow()
    session.add(cursor)
    await session.commit()
    return cursor
