"""Account pacing run to its end (issue 15 point 6): three posts on an X account paced at two
an hour, started together: two post at once, the third waits for its slot an hour later
(a durable retry timer on the server, skipped here) and posts then; none fails, each posts
exactly once, and the retried attempt keeps the one slot it took. Real time-skipping Temporal
server, a real worker, the engine's SQLite database, X played by the emulator over HTTP."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.services import ActionServices
from app.catalog import CATALOG
from app.db.models import Account, AccountActionSlot
from emulator.control import XAccount
from emulator.testing import EmulatorHandle
from temporal.worker import build_worker
from tests.activities.support import new_account, new_organization
from tests.utils.compiling import compile_workflow
from tests.utils.temporal import close_open_runs
from workflows.state import INTERPRETER_WORKFLOW, RunInput, RunMetadata, RunState, TriggerInput

WINDOW = timedelta(hours=1)


async def paced_x_account(
    services: ActionServices, emulator: EmulatorHandle, per_window: int
) -> tuple[str, str, XAccount]:
    """(organization, account id, X user) of a new X account paced at `per_window` an hour."""
    organization = await new_organization(services.database)
    x = emulator.add_x_user(f"pace{uuid.uuid4().hex[:8]}")
    account_id = await new_account(
        services, organization_id=organization, platform="x", kind="oauth2",
        secret={"access_token": x.access_token, "refresh_token": str(x.refresh_token)},
        external_id=x.user_id, expires_at=x.expires_at,
    )  # fmt: skip
    async with services.database.session() as session:
        await session.exec(
            sa.update(Account)
            .where(col(Account.id) == account_id)
            .values(
                actions_per_window=per_window, action_window_seconds=int(WINDOW.total_seconds())
            )
        )
        await session.commit()
    return organization, account_id, x


@pytest.fixture
async def worker_client(
    time_skipping_env: WorkflowEnvironment, task_queue: str, services: ActionServices
) -> AsyncIterator[Client]:
    async with build_worker(time_skipping_env.client, task_queue, services=services):
        yield time_skipping_env.client
        await close_open_runs(time_skipping_env.client)


async def start_post(
    client: Client, task_queue: str, organization: str, account_id: str, text: str,
    attempts: int = 2,
) -> WorkflowHandle[Any, RunState]:  # fmt: skip
    graph = {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "post", "type": "x.post", "account_id": account_id,
             "parameters": {"text": text}, "retry": {"maximum_attempts": attempts}},
        ],
        "edges": [{"source": "start", "target": "post"}],
    }  # fmt: skip
    plan = compile_workflow(graph, accounts={account_id: "x"}, catalog=CATALOG)
    run = RunInput(
        plan=plan,
        trigger=TriggerInput(kind="manual", node_id="start", payload=None),
        metadata=RunMetadata(
            organization_id=organization, workflow_id="wf_paced", workflow_version=1,
            plan_hash=plan.content_hash(),
        ),
    )  # fmt: skip
    return await client.start_workflow(
        INTERPRETER_WORKFLOW, run, id=f"run_{uuid.uuid4().hex}", task_queue=task_queue,
        result_type=RunState,
    )  # fmt: skip


async def settled_or_waiting(handles: list[WorkflowHandle[Any, RunState]], waiting: int) -> None:
    """Wait (without letting time skip: no `result()`) until all but `waiting` runs completed
    and those wait for their next attempt."""
    async with asyncio.timeout(60):
        while True:
            completed = pending = 0
            for handle in handles:
                description = await handle.describe()
                if description.status == WorkflowExecutionStatus.COMPLETED:
                    completed += 1
                for info in description.raw_description.pending_activities:
                    if info.attempt >= 2:
                        pending += 1
            if (completed, pending) == (len(handles) - waiting, waiting):
                return
            await asyncio.sleep(0.05)


async def post_started_at(handle: WorkflowHandle[Any, RunState]) -> float:
    """When (server time) the attempt that posted started: the last `x.post` attempt."""
    started = [
        event.event_time.ToDatetime().timestamp()
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    return started[-1]


async def test_three_posts_paced_at_two_an_hour_spread_out_and_none_fails(
    worker_client: Client,
    task_queue: str,
    services: ActionServices,
    emulator: EmulatorHandle,
) -> None:
    organization, account_id, x = await paced_x_account(services, emulator, per_window=2)
    texts = [f"paced post {n}" for n in range(3)]
    handles = [
        await start_post(worker_client, task_queue, organization, account_id, text)
        for text in texts
    ]
    await settled_or_waiting(handles, waiting=1)
    assert len(emulator.posts_by(x.user_id)) == 2
    # One at a time: results awaited together on the time-skipping server let time run on
    # while the waiting action's next attempt is under way (it then times out).
    states = [await handle.result() for handle in handles]
    assert [state.status for state in states] == ["succeeded"] * 3
    posts = emulator.posts_by(x.user_id)
    assert sorted(post.text for post in posts) == texts
    attempts = sorted(state.nodes["post"].attempts for state in states)
    # Two acted at their first attempt; the third waited one attempt for its slot.
    assert attempts == [1, 1, 2]
    times = sorted([await post_started_at(handle) for handle in handles])
    assert times[2] - times[0] >= WINDOW.total_seconds() - 1
    async with services.database.session() as session:
        slots = (
            await session.exec(
                select(AccountActionSlot).where(col(AccountActionSlot.account_id) == account_id)
            )
        ).all()
    # One slot per action: the attempt that waited found its own slot again.
    assert len(slots) == 3
    [waited] = [state for state in states if state.nodes["post"].attempts == 2]
    assert waited.nodes["post"].error is None


async def test_an_account_without_pacing_acts_at_once_and_keeps_no_slot(
    worker_client: Client,
    task_queue: str,
    services: ActionServices,
    emulator: EmulatorHandle,
) -> None:
    organization, account_id, x = await paced_x_account(services, emulator, per_window=1)
    async with services.database.session() as session:
        await session.exec(
            sa.update(Account).where(col(Account.id) == account_id).values(actions_per_window=None)
        )
        await session.commit()
    handles = [
        await start_post(worker_client, task_queue, organization, account_id, f"free {n}")
        for n in range(2)
    ]
    await settled_or_waiting(handles, waiting=0)
    # One at a time: results awaited together on the time-skipping server let time run on
    # while the waiting action's next attempt is under way (it then times out).
    states = [await handle.result() for handle in handles]
    assert [state.nodes["post"].attempts for state in states] == [1, 1]
    assert len(emulator.posts_by(x.user_id)) == 2
    async with services.database.session() as session:
        slots = (
            await session.exec(
                select(AccountActionSlot).where(col(AccountActionSlot.account_id) == account_id)
            )
        ).all()
    assert slots == []
