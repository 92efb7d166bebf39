"""Runs that continued as new: the API reads what the chain started with, not the progress
its latest run carries (`RunInput.resume`)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from temporalio.client import Client

from app.services.runs import RunStart
from app.services.runs import control as run_control
from app.services.runs.starting import start_run
from app.store import workflows as store
from tests.api.test_sub_workflows import session_of
from tests.conftest import ApiHarness
from tests.utils.api import create_workflow, eventually, wait_for_end, wait_until_waiting
from workflows.state import RunInput, RunLimits

SCHEDULED_WAIT_THEN_FAIL: dict[str, Any] = {
    "nodes": [
        {
            "id": "weekly",
            "type": "trigger.schedule",
            "parameters": {"cron": ["0 9 * * MON"], "input": {"report": "sales"}},
        },
        {
            "id": "tick",
            "type": "wait_for_event",
            "parameters": {"event": "tick", "match": "event.go"},
        },
        {"id": "boom", "type": "fail", "parameters": {"message": "failed on {{ trigger.report }}"}},
    ],
    "edges": [{"source": "weekly", "target": "tick"}, {"source": "tick", "target": "boom"}],
}
SMALL_HISTORY = RunLimits(history_events=20)


async def start_scheduled(api: ApiHarness, workflow_id: str) -> str:
    """Start a run as its Temporal Schedule would, with a history bound of a few signals."""
    async with session_of(api.settings) as session:
        version = await store.get_version(
            session, organization_id=api.organization_id, workflow_id=workflow_id
        )
    start = RunStart.of(version, trigger="schedule", payload={"report": "sales"}, carried={})
    started = await start_run(
        api.temporal,
        dataclasses.replace(start, input=start.input.model_copy(update={"limits": SMALL_HISTORY})),
        task_queue=api.settings.temporal_task_queue,
    )
    return started.id


async def started_with(client: Client, run_id: str) -> RunInput:
    """The input of the first run of `run_id`'s chain, read by the test itself."""
    handle = client.get_workflow_handle(run_id)
    description = await handle.describe()
    first = client.get_workflow_handle(
        run_id, run_id=description.raw_description.workflow_execution_info.first_run_id
    )
    async for event in first.fetch_history_events(page_size=1):
        payloads = event.workflow_execution_started_event_attributes.input.payloads
        [decoded] = await client.data_converter.decode(payloads, [RunInput])
        assert isinstance(decoded, RunInput)
        return decoded
    raise AssertionError("no history")


async def continue_as_new(api: ApiHarness, run_id: str) -> None:
    """Send stale ticks through the API until the run has continued as new twice."""
    handle = api.temporal.get_workflow_handle(run_id)
    first = (await handle.describe()).run_id
    runs_seen = {first}
    async with asyncio.timeout(30):
        while len(runs_seen) < 3:
            sent = await api.client.post(
                f"/runs/{run_id}/events", json={"name": "tick", "payload": {"go": False}}
            )
            assert sent.status_code == 202, sent.text
            runs_seen.add((await handle.describe()).run_id)


async def test_a_run_that_continued_as_new_is_rerun_from_its_original_input(
    api: ApiHarness,
) -> None:
    run_id = await start_scheduled(api, await create_workflow(api.client, SCHEDULED_WAIT_THEN_FAIL))
    await wait_until_waiting(api.client, run_id, "tick")
    await continue_as_new(api, run_id)
    sent = await api.client.post(
        f"/runs/{run_id}/events", json={"name": "tick", "payload": {"go": True}}
    )
    assert sent.status_code == 202, sent.text
    assert (await wait_for_end(api.client, run_id))["status"] == "failed"

    original = await run_control.original_input(
        api.temporal, organization_id=api.organization_id, run_id=run_id
    )
    assert original.resume is None
    assert original == await started_with(api.temporal, run_id)

    rerun = await api.client.post(f"/runs/{run_id}/rerun")
    assert rerun.status_code == 201, rerun.text
    rerun_id = rerun.json()["id"]
    again = await started_with(api.temporal, rerun_id)
    assert again.resume is None
    # As the Schedule started the first run: the trigger's payload before the run added
    # its `scheduled_time` (which the run carries on when it continues as new).
    assert again.trigger == original.trigger
    await wait_until_waiting(api.client, rerun_id, "tick")
    await api.client.post(
        f"/runs/{rerun_id}/events", json={"name": "tick", "payload": {"go": True}}
    )
    final = await wait_for_end(api.client, rerun_id)
    assert final["rerun_of"] == run_id
    assert final["error"]["message"] == "node 'boom' failed: failed on sales"


async def test_a_run_that_continued_as_new_is_listed_once_as_running(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, SCHEDULED_WAIT_THEN_FAIL)
    run_id = await start_scheduled(api, workflow_id)
    await wait_until_waiting(api.client, run_id, "tick")
    await continue_as_new(api, run_id)
    # Temporal's visibility lists each execution of the chain: the two that continued too.
    await eventually(
        lambda: api.temporal.count_workflows(f'WorkflowId = "{run_id}"'),
        lambda counted: counted.count == 3,
    )
    response = await api.client.get("/runs", params={"workflow_id": workflow_id})
    assert response.status_code == 200, response.text
    listed = response.json()
    assert [(run["id"], run["status"]) for run in listed["data"]] == [(run_id, "running")]
    assert listed["count"] == 1
