"""The poller of a `trigger.poll` node: one short workflow per poll, started by the node's
Temporal Schedule (overlap `skip`, so two polls of one trigger never run at once).

It calls the source's action activity exactly as the interpreter calls an action node, then
hands the answer to `POLL_RUNS_ACTIVITY` (`app.services.polling`), which starts one run per
new item and only then moves the trigger's cursor. Both are activities, so a worker killed
mid-poll leaves the poll to be retried; the runs' ids derive from the items' ids, so a
retried or repeated poll starts nothing twice.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from app.contract.actions import ActionInput
    from app.contract.polling import POLL_RUNS_ACTIVITY, POLL_WORKFLOW, PolledItems, PollInput

SOURCE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2, maximum_attempts=3
)
"""A source that keeps failing waits for the next poll: polls are frequent, and a poll that
retried for long would hold the next ones back (`skip`)."""
RUNS_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
)
"""Starting runs is retried until it succeeds: items read and not yet started would
otherwise wait for the next poll, and a retry starts nothing twice."""
RUNS_TIMEOUT = timedelta(minutes=2)


@workflow.defn(name=POLL_WORKFLOW)
class FlowPollWorkflow:
    @workflow.run
    async def run(self, poll: PollInput) -> PolledItems:
        output = await workflow.execute_activity(
            poll.source_activity,
            ActionInput(
                node_id=poll.node_id,
                node_type=poll.source_type,
                parameters=poll.source_parameters,
                organization_id=poll.organization_id,
                idempotency_key=workflow.info().workflow_id,
                account_id=poll.source_account_id,
            ),
            start_to_close_timeout=timedelta(seconds=poll.source_timeout_seconds),
            retry_policy=SOURCE_RETRY,
        )
        result: PolledItems = await workflow.execute_activity(
            POLL_RUNS_ACTIVITY,
            args=[poll, output],
            start_to_close_timeout=RUNS_TIMEOUT,
            retry_policy=RUNS_RETRY,
            result_type=PolledItems,
        )
        return result
