"""Delivering run events on the retry schedule (issue 16 point 4b): a real interpreter run
publishes its failure, the delivery workflow POSTs it to a real receiver that fails at
first, waits as the schedule or the receiver's Retry-After says, and logs every attempt.
On the time-skipping server, so hours of backoff pass at once; SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select
from temporalio.api.testservice.v1 import LockTimeSkippingRequest, UnlockTimeSkippingRequest
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.services import ActionServices
from app.contract.run_events import DELIVERY_DELAYS, delivery_workflow_id, event_id
from app.db.models import EventDeliveryAttempt, EventSubscription
from app.vault.webhook_secrets import new_secret, seal
from temporal.worker import build_worker
from tests.activities.support import TEST_VAULT_KEYS, new_organization, services_for
from tests.utils.event_receiver import Receiver, payload, verify_signature
from tests.utils.servers import serve
from tests.utils.temporal import close_open_runs, history_text
from tests.workflows.harness import run_input
from workflows.state import INTERPRETER_WORKFLOW, RunMetadata

FAILING = {
    "nodes": [
        {"id": "start", "type": "trigger.manual"},
        {"id": "boom", "type": "fail", "parameters": {"message": "broken"}},
    ],
    "edges": [{"source": "start", "target": "boom"}],
}


@dataclass
class Setup:
    client: Client
    task_queue: str
    services: ActionServices
    organization: str
    receiver: Receiver
    url: str

    async def subscribe(self, path: str, organization: str | None = None) -> tuple[str, str]:
        """A subscription to run failures at `path`; its id and secret."""
        secret = new_secret()
        row = EventSubscription(
            organization_id=organization or self.organization,
            url=f"{self.url}/{path}",
            event_types=["run.failed"],
            secret_sealed="",
        )
        row.secret_sealed = seal(secret, bound_to=row.id, vault_keys=TEST_VAULT_KEYS)
        async with self.services.database.session() as session:
            session.add(row)
            await session.commit()
        return row.id, secret

    async def failed_run(self, run_id: str, organization: str | None = None) -> None:
        start = run_input(FAILING, {}, run_events=True)
        start = start.model_copy(
            update={
                "metadata": RunMetadata(
                    organization_id=organization or self.organization,
                    workflow_id="wf_test",
                    workflow_version=1,
                    plan_hash=start.metadata.plan_hash,
                )
            }
        )
        handle = await self.client.start_workflow(
            INTERPRETER_WORKFLOW, start, id=run_id, task_queue=self.task_queue
        )
        with pytest.raises(WorkflowFailureError):
            await handle.result()

    async def outcome(self, handle: WorkflowHandle[Any, str]) -> str:
        """The delivery's result, time skipping meanwhile: the SDK skips time only while a
        handle from `start_workflow` is awaited, and the publishing activity started this one."""
        test = self.client.test_service
        await test.unlock_time_skipping(UnlockTimeSkippingRequest())
        try:
            return await handle.result()
        finally:
            await test.lock_time_skipping(LockTimeSkippingRequest())

    async def attempts(self, subscription_id: str) -> list[EventDeliveryAttempt]:
        async with self.services.database.session() as session:
            found = await session.exec(
                select(EventDeliveryAttempt)
                .where(EventDeliveryAttempt.subscription_id == subscription_id)
                .order_by(col(EventDeliveryAttempt.attempt))
            )
            return list(found)


@pytest.fixture
async def setup(
    time_skipping_env: WorkflowEnvironment, task_queue: str, database_url: str
) -> AsyncIterator[Setup]:
    # The receiver is on loopback: the organization may call private networks.
    services = services_for(database_url)
    organization = await new_organization(services.database, private_networks=True)
    receiver = Receiver()
    try:
        async with (
            serve(receiver.app()) as url,
            build_worker(time_skipping_env.client, task_queue, services=services),
        ):
            yield Setup(time_skipping_env.client, task_queue, services, organization, receiver, url)
            await close_open_runs(time_skipping_env.client)
    finally:
        await services.close()


def timers(history: Any) -> list[timedelta]:
    return [
        event.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        for event in history.events
        if event.HasField("timer_started_event_attributes")
    ]


async def test_a_failing_receiver_is_retried_after_its_retry_after_then_delivered(
    setup: Setup, task_queue: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    subscription_id, secret = await setup.subscribe("flaky")
    setup.receiver.fail_first("flaky", 2, status=503, retry_after="900")
    run_id = f"run_{task_queue}"
    await setup.failed_run(run_id)
    event = event_id(run_id, "run.failed", "boom")
    handle: WorkflowHandle[Any, str] = setup.client.get_workflow_handle(
        delivery_workflow_id(event, subscription_id)
    )
    assert await setup.outcome(handle) == "delivered"

    got = setup.receiver.received["flaky"]
    assert len(got) == 3
    assert {one.headers["webhook-id"] for one in got} == {event}
    assert len({one.body for one in got}) == 1
    for one in got:
        verify_signature(secret, one)
    body = payload(got[-1])
    assert (body["type"], body["data"]["node_id"]) == ("run.failed", "boom")
    assert body["data"]["error"] == {"type": "WorkflowFailed", "message": "broken"}
    # The receiver asked for 15 minutes, longer than the schedule's 5 s and 5 min.
    assert timers(await handle.fetch_history()) == [timedelta(seconds=900)] * 2

    log = await setup.attempts(subscription_id)
    assert [(a.attempt, a.outcome, a.status_code) for a in log] == [
        (1, "failed", 503), (2, "failed", 503), (3, "delivered", 204),
    ]  # fmt: skip
    assert {a.event_id for a in log} == {event}
    assert all(a.run_id == run_id and a.error != "" for a in log)
    assert log[0].error == "the receiver answered 503"
    history = await history_text(handle) + await history_text(
        setup.client.get_workflow_handle(run_id)
    )
    assert secret not in history
    assert secret.removeprefix("whsec_") not in history
    assert "POST" in caplog.text  # the delivery's requests were logged, at least by httpx
    assert secret.removeprefix("whsec_") not in caplog.text


async def test_a_receiver_that_never_answers_well_is_given_up_after_the_schedule(
    setup: Setup, task_queue: str
) -> None:
    subscription_id, _ = await setup.subscribe("down")
    setup.receiver.fail_first("down", 100, status=500)
    run_id = f"run_{task_queue}"
    await setup.failed_run(run_id)
    handle: WorkflowHandle[Any, str] = setup.client.get_workflow_handle(
        delivery_workflow_id(event_id(run_id, "run.failed", "boom"), subscription_id)
    )
    assert await setup.outcome(handle) == "gave_up"
    assert timers(await handle.fetch_history()) == list(DELIVERY_DELAYS)
    log = await setup.attempts(subscription_id)
    assert [a.outcome for a in log] == ["failed"] * len(DELIVERY_DELAYS) + ["gave_up"]
    assert len(setup.receiver.received["down"]) == len(DELIVERY_DELAYS) + 1


async def test_a_delivery_stops_once_its_subscription_is_disabled(
    setup: Setup, task_queue: str
) -> None:
    subscription_id, _ = await setup.subscribe("paused")
    setup.receiver.fail_first("paused", 100, status=500)
    run_id = f"run_{task_queue}"
    await setup.failed_run(run_id)
    handle: WorkflowHandle[Any, str] = setup.client.get_workflow_handle(
        delivery_workflow_id(event_id(run_id, "run.failed", "boom"), subscription_id)
    )
    # Disabled before the first attempt or while its retry waits: the next attempt finds it
    # so and stops, sending nothing more.
    async with setup.services.database.session() as session:
        row = await session.get(EventSubscription, subscription_id)
        assert row is not None
        row.enabled = False
        session.add(row)
        await session.commit()
    assert await setup.outcome(handle) == "stopped"
    log = await setup.attempts(subscription_id)
    assert [a.outcome for a in log] in ([], ["failed"])
    assert len(setup.receiver.received["paused"]) == len(log)


async def test_a_receiver_on_a_private_network_is_refused_at_delivery_without_permission(
    setup: Setup, task_queue: str
) -> None:
    """Subscribed while it was allowed, say: each attempt checks where it connects again."""
    guarded = await new_organization(setup.services.database)
    subscription_id, _ = await setup.subscribe("private", organization=guarded)
    run_id = f"run_{task_queue}"
    await setup.failed_run(run_id, organization=guarded)
    handle: WorkflowHandle[Any, str] = setup.client.get_workflow_handle(
        delivery_workflow_id(event_id(run_id, "run.failed", "boom"), subscription_id)
    )
    assert await setup.outcome(handle) == "gave_up"
    assert setup.receiver.received["private"] == []
    log = await setup.attempts(subscription_id)
    assert len(log) == len(DELIVERY_DELAYS) + 1
    assert {a.status_code for a in log} == {None}
    assert all("may not call private networks" in (a.error or "") for a in log)
