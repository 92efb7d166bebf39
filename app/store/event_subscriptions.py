"""Event subscriptions and their delivery log: one function per read or write."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import EventDeliveryAttempt, EventSubscription, Workflow
from app.db.types import utcnow
from app.errors import NotFoundError

MAX_SUBSCRIPTIONS = 50
"""Per organization: each event starts one delivery workflow per matching subscription."""


async def count_subscriptions(session: AsyncSession, *, organization_id: str) -> int:
    counted = await session.exec(
        select(func.count())
        .select_from(EventSubscription)
        .where(EventSubscription.organization_id == organization_id)
    )
    return int(counted.one())


async def add_subscription(session: AsyncSession, subscription: EventSubscription) -> None:
    session.add(subscription)
    await session.commit()
    await session.refresh(subscription)


async def get_subscription(
    session: AsyncSession, *, organization_id: str, subscription_id: str
) -> EventSubscription:
    found = await find_subscription(
        session, organization_id=organization_id, subscription_id=subscription_id
    )
    if found is None:
        raise NotFoundError(f"event subscription {subscription_id} not found")
    return found


async def find_subscription(
    session: AsyncSession, *, organization_id: str, subscription_id: str
) -> EventSubscription | None:
    return (
        await session.exec(
            select(EventSubscription).where(
                EventSubscription.id == subscription_id,
                EventSubscription.organization_id == organization_id,
            )
        )
    ).first()


async def list_subscriptions(
    session: AsyncSession, *, organization_id: str
) -> list[EventSubscription]:
    return list(
        await session.exec(
            select(EventSubscription)
            .where(EventSubscription.organization_id == organization_id)
            .order_by(col(EventSubscription.created_at), col(EventSubscription.id))
        )
    )


async def save_subscription(session: AsyncSession, subscription: EventSubscription) -> None:
    subscription.updated_at = utcnow()
    session.add(subscription)
    await session.commit()
    await session.refresh(subscription)


async def delete_subscription(
    session: AsyncSession, *, organization_id: str, subscription_id: str
) -> None:
    subscription = await get_subscription(
        session, organization_id=organization_id, subscription_id=subscription_id
    )
    await session.delete(subscription)
    await session.commit()


async def matching_subscriptions(
    session: AsyncSession, *, organization_id: str, event_type: str, workflow_id: str
) -> list[EventSubscription]:
    """The enabled subscriptions an event of this type, of a run of this workflow, goes to."""
    enabled = await session.exec(
        select(EventSubscription).where(
            EventSubscription.organization_id == organization_id,
            col(EventSubscription.enabled).is_(True),
        )
    )
    return [
        subscription
        for subscription in enabled
        if event_type in subscription.event_types
        and (subscription.workflow_ids is None or workflow_id in subscription.workflow_ids)
    ]


async def any_for_workflow(
    session: AsyncSession, *, organization_id: str, workflow_id: str
) -> bool:
    """Whether an enabled subscription would hear of some event of a run of this workflow:
    read where a run starts, so that a run no one listens to publishes nothing."""
    enabled = await session.exec(
        select(EventSubscription.workflow_ids).where(
            EventSubscription.organization_id == organization_id,
            col(EventSubscription.enabled).is_(True),
        )
    )
    return any(workflow_ids is None or workflow_id in workflow_ids for workflow_ids in enabled)


async def workflow_name(
    session: AsyncSession, *, organization_id: str, workflow_id: str
) -> str | None:
    return (
        await session.exec(
            select(Workflow.name).where(
                Workflow.id == workflow_id, Workflow.organization_id == organization_id
            )
        )
    ).first()


async def record_attempt(session: AsyncSession, attempt: EventDeliveryAttempt) -> None:
    session.add(attempt)
    await session.commit()


async def list_attempts(
    session: AsyncSession,
    *,
    organization_id: str,
    subscription_id: str,
    limit: int,
    offset: int,
    event_id: str | None = None,
) -> Sequence[EventDeliveryAttempt]:
    """The subscription's delivery attempts, newest first."""
    query = select(EventDeliveryAttempt).where(
        EventDeliveryAttempt.organization_id == organization_id,
        EventDeliveryAttempt.subscription_id == subscription_id,
    )
    if event_id is not None:
        query = query.where(EventDeliveryAttempt.event_id == event_id)
    return list(
        await session.exec(
            query.order_by(
                col(EventDeliveryAttempt.attempted_at).desc(),
                col(EventDeliveryAttempt.attempt).desc(),
                col(EventDeliveryAttempt.id),
            )
            .limit(limit)
            .offset(offset)
        )
    )


def attempt_row(
    *,
    organization_id: str,
    subscription_id: str,
    event_id: str,
    event_type: str,
    run_id: str,
    attempt: int,
    outcome: str,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    attempted_at: datetime,
) -> EventDeliveryAttempt:
    return EventDeliveryAttempt(
        organization_id=organization_id,
        subscription_id=subscription_id,
        event_id=event_id,
        event_type=event_type,
        run_id=run_id,
        attempt=attempt,
        outcome=outcome,
        status_code=status_code,
        error=error[:500] if error else None,
        duration_ms=duration_ms,
        attempted_at=attempted_at,
    )
