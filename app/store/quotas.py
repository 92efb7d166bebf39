"""Quotas kept in the database, so every API process and worker shares them: runs started
per organization and clock hour, and each account's pacing slots.

Both writes are atomic on SQLite and PostgreSQL alike: the hour's count rises only by an
`UPDATE ... WHERE count < limit`, and a slot is taken after a no-op `UPDATE` of its account
row, which makes concurrent takers of one account queue (PostgreSQL's row lock, SQLite's
write lock) instead of reading the same free slot.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import Account, AccountActionSlot, RunStartCount, ScheduledRunAdmission


def _insert_missing(session: AsyncSession, model: Any) -> Any:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model)


async def take_run_start(
    session: AsyncSession, *, organization_id: str, hour: datetime, limit: int
) -> bool:
    """Count one more run started in `hour` unless `limit` are counted already; True if counted."""
    row = _insert_missing(session, RunStartCount).values(
        organization_id=organization_id, hour=hour, count=0
    )
    await session.exec(row.on_conflict_do_nothing())
    raised = await session.exec(
        update(RunStartCount)
        .where(
            col(RunStartCount.organization_id) == organization_id,
            col(RunStartCount.hour) == hour,
            col(RunStartCount.count) < limit,
        )
        .values(count=RunStartCount.count + 1)
    )
    # Past hours are never read again.
    await session.exec(
        delete(RunStartCount).where(
            col(RunStartCount.organization_id) == organization_id, col(RunStartCount.hour) < hour
        )
    )
    await session.commit()
    return bool(raised.rowcount)


async def admit_scheduled_run(
    session: AsyncSession, *, organization_id: str, execution_id: str, hour: datetime, limit: int
) -> bool:
    """Count the scheduled run `execution_id` (Temporal's run id) in `hour` unless `limit`
    are counted already; True if it is counted, now or by an earlier call: the admission row
    and the count are written in one transaction, so asking again (a retried activity) never
    counts it twice."""
    # RETURNING, not rowcount: psycopg answers -1 for an insert that did nothing.
    recorded = await session.exec(
        _insert_missing(session, ScheduledRunAdmission)
        .values(execution_id=execution_id, organization_id=organization_id, hour=hour)
        .on_conflict_do_nothing()
        .returning(col(ScheduledRunAdmission.execution_id))
    )
    if recorded.first() is None:
        await session.commit()
        return True
    await session.exec(
        _insert_missing(session, RunStartCount)
        .values(organization_id=organization_id, hour=hour, count=0)
        .on_conflict_do_nothing()
    )
    raised = await session.exec(
        update(RunStartCount)
        .where(
            col(RunStartCount.organization_id) == organization_id,
            col(RunStartCount.hour) == hour,
            col(RunStartCount.count) < limit,
        )
        .values(count=RunStartCount.count + 1)
    )
    if not raised.rowcount:
        await session.rollback()
        return False
    # Past hours are never read again, nor admissions of runs started in them.
    await session.exec(
        delete(ScheduledRunAdmission).where(
            col(ScheduledRunAdmission.organization_id) == organization_id,
            col(ScheduledRunAdmission.hour) < hour,
        )
    )
    await session.commit()
    return True


async def give_back_run_start(
    session: AsyncSession, *, organization_id: str, hour: datetime
) -> None:
    """Uncount a start that started nothing (a repeated request, a refused start)."""
    await session.exec(
        update(RunStartCount)
        .where(
            col(RunStartCount.organization_id) == organization_id,
            col(RunStartCount.hour) == hour,
            col(RunStartCount.count) > 0,
        )
        .values(count=RunStartCount.count - 1)
    )
    await session.commit()


async def runs_started(session: AsyncSession, *, organization_id: str, hour: datetime) -> int:
    row = await session.get(RunStartCount, (organization_id, hour))
    return row.count if row else 0


async def take_action_slot(
    session: AsyncSession,
    *,
    account_id: str,
    key: str,
    now: datetime,
    limit: int,
    window: timedelta,
) -> datetime:
    """When the action `key` of `account_id` may act: its slot, taken now if it has none.

    A new slot is the earliest time at which the account's last `limit` slots leave one free
    in every `window`: `now`, or `window` after the `limit`-th latest slot.
    """
    # Queue the takers of this account (see the module's docstring).
    await session.exec(
        update(Account)
        .where(col(Account.id) == account_id)
        .values(actions_per_window=Account.actions_per_window)
    )
    mine = await session.get(AccountActionSlot, (account_id, key))
    if mine is not None:
        at = mine.slot_at
        await session.commit()
        return at
    await session.exec(
        delete(AccountActionSlot).where(
            col(AccountActionSlot.account_id) == account_id,
            col(AccountActionSlot.slot_at) <= now - window,
        )
    )
    latest = (
        await session.exec(
            select(AccountActionSlot.slot_at)
            .where(col(AccountActionSlot.account_id) == account_id)
            .order_by(col(AccountActionSlot.slot_at).desc())
            .limit(limit)
        )
    ).all()
    at = now if len(latest) < limit else max(now, latest[limit - 1] + window)
    session.add(AccountActionSlot(account_id=account_id, key=key, slot_at=at))
    await session.commit()
    return at
