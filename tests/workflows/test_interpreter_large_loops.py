"""A loop over thousands of items whose body only decides and shapes data (no activity,
no timer), or over fewer items whose body works hard, still runs in workflow tasks short
enough for Temporal's deadlock detector."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from app.language.expressions import Meter, render_value
from tests.workflows.harness import COSTLY_RECORDS, control_only_loop, costly_loop, start
from workflows.pace import NODES_PER_TASK, WORK_PER_TASK


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


async def test_a_loop_of_costly_nodes_takes_a_breath_by_their_counted_work(
    client: Client, task_queue: str
) -> None:
    items = 200
    handle = await start(client, task_queue, costly_loop(items), {"records": COSTLY_RECORDS})
    final = await handle.result()
    assert final.nodes["each"].output["count"] == items
    events = [event.event_type for event in (await handle.fetch_history()).events]
    # Counted by nodes alone, the 200 iterations ran in one workflow task (about 4 s on a
    # 2-core machine), which the deadlock detector failed (TMPRL1101) on every retry.
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in events
    meter = Meter()
    body = costly_loop(1)["nodes"][2]
    render_value(body["parameters"], {"trigger": {"records": COSTLY_RECORDS}}, meter=meter)
    # A breath once the work passes the budget, so each task does a little more than it.
    breaths = events.count(EventType.EVENT_TYPE_TIMER_STARTED)
    assert breaths >= items * meter.work // (2 * WORK_PER_TASK)
