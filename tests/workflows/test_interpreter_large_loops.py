"""A loop over thousands of items whose body only decides and shapes data (no activity,
no timer) still runs in workflow tasks short enough for Temporal's deadlock detector."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from tests.workflows.harness import control_only_loop, start
from workflows.pace import NODES_PER_TASK


async def test_a_loop_of_ten_thousand_control_items_takes_many_short_workflow_tasks(
    client: Client, task_queue: str
) -> None:
    items = list(range(10_000))
    handle = await start(client, task_queue, control_only_loop(), {"items": items})
    final = await handle.result()
    assert final.nodes["each"].output["count"] == len(items)
    assert final.nodes["check"].attempts == len(items)
    events = [event.event_type for event in (await handle.fetch_history()).events]
    # Unpaced, the whole loop ran in one workflow task, which the deadlock detector failed
    # (TMPRL1101) on every retry on a 2-core machine.
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in events
    nodes_run = 2 * len(items) + 2
    tasks = events.count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    assert tasks >= nodes_run // NODES_PER_TASK
