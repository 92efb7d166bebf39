"""Delivering one run event to one subscription: attempts on a bounded schedule, each an
activity that signs, POSTs and records (`activities.run_events.delivery`); the waits between
them are timers, so a delivery survives workers and servers restarting and costs nothing
while it waits. Its workflow id is the event's and the subscription's, so an event is
delivered at most once per subscription (`app.contract.run_events`)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from app.contract.run_events import (
        ATTEMPT_ACTIVITY,
        DELIVERY_DELAYS,
        DELIVERY_WORKFLOW,
        MAX_RETRY_AFTER,
        Attempt,
        AttemptOutcome,
        Delivery,
    )

ATTEMPT_TIMEOUT = timedelta(seconds=60)
ATTEMPT_RETRIES = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=10,
)
"""Retries of one attempt that could not even be made (a worker died, the database was
away), not of a receiver's failure: those follow `DELIVERY_DELAYS`."""


@workflow.defn(name=DELIVERY_WORKFLOW)
class RunEventDeliveryWorkflow:
    @workflow.run
    async def run(self, delivery: Delivery) -> str:
        """`delivered`, `stopped` (the subscription was deleted or disabled) or `gave_up`."""
        attempts = len(DELIVERY_DELAYS) + 1
        for number in range(1, attempts + 1):
            outcome: AttemptOutcome = await workflow.execute_activity(
                ATTEMPT_ACTIVITY,
                Attempt(delivery=delivery, number=number, last=number == attempts),
                result_type=AttemptOutcome,
                start_to_close_timeout=ATTEMPT_TIMEOUT,
                retry_policy=ATTEMPT_RETRIES,
            )
            if outcome.status != "failed":
                return outcome.status
            if number == attempts:
                break
            await workflow.sleep(_wait(DELIVERY_DELAYS[number - 1], outcome.retry_after_seconds))
        return "gave_up"


def _wait(scheduled: timedelta, retry_after: float | None) -> timedelta:
    """The schedule's wait, or longer when the receiver asked for longer (up to a bound)."""
    if retry_after is None:
        return scheduled
    asked = timedelta(seconds=min(max(retry_after, 0.0), MAX_RETRY_AFTER.total_seconds()))
    return max(scheduled, asked)
