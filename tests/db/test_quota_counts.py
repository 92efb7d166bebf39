"""The quota counts every API process and worker shares (app/store/quotas.py), taken by many
at once through two engines (two processes' pools) on SQLite and PostgreSQL: never more runs
counted than an hour allows, never two actions in one pacing slot, one slot per action."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from app.db.engine import Database
from app.db.models import Account, Organization
from app.store.quotas import give_back_run_start, runs_started, take_action_slot, take_run_start

HOUR = datetime(2026, 5, 4, 10, tzinfo=UTC)
WINDOW = timedelta(hours=1)


@pytest.fixture
async def two_processes(database_url: str) -> AsyncIterator[tuple[Database, Database]]:
    first, second = Database(database_url), Database(database_url)
    yield first, second
    await first.dispose()
    await second.dispose()


async def organization_with_account(database: Database) -> tuple[str, str]:
    async with database.session() as session:
        organization = Organization(name="Quotas")
        session.add(organization)
        await session.flush()
        account = Account(
            organization_id=organization.id, platform="x", display_name="paced",
            actions_per_window=2, action_window_seconds=int(WINDOW.total_seconds()),
        )  # fmt: skip
        session.add(account)
        await session.commit()
        return organization.id, account.id


async def test_many_starts_at_once_count_no_more_than_the_hour_allows(
    two_processes: tuple[Database, Database],
) -> None:
    organization_id, _ = await organization_with_account(two_processes[0])

    async def take(database: Database) -> bool:
        async with database.session() as session:
            return await take_run_start(
                session, organization_id=organization_id, hour=HOUR, limit=3
            )

    taken = await asyncio.gather(*(take(two_processes[n % 2]) for n in range(12)))
    assert sum(taken) == 3
    async with two_processes[1].session() as session:
        assert await runs_started(session, organization_id=organization_id, hour=HOUR) == 3
        await give_back_run_start(session, organization_id=organization_id, hour=HOUR)
        assert await take_run_start(session, organization_id=organization_id, hour=HOUR, limit=3)
        # A new hour starts from nothing, and the past hour's row goes.
        later = HOUR + timedelta(hours=1)
        assert await take_run_start(session, organization_id=organization_id, hour=later, limit=3)
        assert await runs_started(session, organization_id=organization_id, hour=HOUR) == 0


async def test_many_actions_at_once_get_slots_spread_over_the_window(
    two_processes: tuple[Database, Database],
) -> None:
    _, account_id = await organization_with_account(two_processes[0])

    async def take(database: Database, key: str, now: datetime = HOUR) -> datetime:
        async with database.session() as session:
            return await take_action_slot(
                session, account_id=account_id, key=key, now=now, limit=2, window=WINDOW
            )

    keys = [f"run_{n}/post/0" for n in range(6)]
    slots = await asyncio.gather(*(take(two_processes[n % 2], key) for n, key in enumerate(keys)))
    assert sorted(slots) == [
        HOUR, HOUR, HOUR + WINDOW, HOUR + WINDOW, HOUR + 2 * WINDOW, HOUR + 2 * WINDOW,
    ]  # fmt: skip
    # A retried attempt finds its own slot, later or from another process, and takes no other.
    for n, key in enumerate(keys):
        assert await take(two_processes[(n + 1) % 2], key) == slots[n]
    # The seventh waits for the third window; once every slot has passed, one acts at once.
    assert await take(two_processes[0], "run_6/post/0") == HOUR + 3 * WINDOW
    later = HOUR + 5 * WINDOW
    assert await take(two_processes[1], "run_7/post/0", later) == later
