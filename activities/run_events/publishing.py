"""Publishing a run event: one delivery workflow per enabled subscription it matches.

Each delivery's workflow id is the event's id and the subscription's
(`delivery_workflow_id`), and a closed delivery's id is never reused, so an event published
again (the activity retried after a worker died, a replayed run) is delivered at most once
per subscription."""

from __future__ import annotations

import json

from temporalio import activity
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from app.contract.run_events import (
    DELIVERY_WORKFLOW,
    PUBLISH_ACTIVITY,
    Delivery,
    RunEvent,
    delivery_workflow_id,
)
from app.db.engine import Database
from app.store import event_subscriptions as store


class RunEventPublisher:
    def __init__(self, database: Database) -> None:
        self._database = database

    @activity.defn(name=PUBLISH_ACTIVITY)
    async def publish(self, event: RunEvent) -> int:
        """Start the event's deliveries; how many were started now (not before)."""
        async with self._database.session() as session:
            subscriptions = await store.matching_subscriptions(
                session,
                organization_id=event.organization_id,
                event_type=event.type,
                workflow_id=event.workflow_id,
            )
            if not subscriptions:
                return 0
            name = await store.workflow_name(
                session, organization_id=event.organization_id, workflow_id=event.workflow_id
            )
        body = json.dumps(event.payload(name), separators=(",", ":"), ensure_ascii=False)
        client = activity.client()
        task_queue = activity.info().task_queue
        started = 0
        for subscription in subscriptions:
            delivery = Delivery(
                organization_id=event.organization_id,
                subscription_id=subscription.id,
                event_id=event.id,
                event_type=event.type,
                run_id=event.run_id,
                body=body,
            )
            try:
                await client.start_workflow(
                    DELIVERY_WORKFLOW,
                    delivery,
                    id=delivery_workflow_id(event.id, subscription.id),
                    task_queue=task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                )
            except WorkflowAlreadyStartedError:
                continue
            started += 1
        return started
