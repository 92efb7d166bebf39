"""Every run carries its organization as Temporal's fairness key, and so do its activities
and child runs: the server shares the workers between organizations by that key
(temporal/fairness.py). Timing is for bench/tenant_fairness.py; this checks the wiring."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, ScheduleActionStartWorkflow

from temporal.dev_server import DevServerConfig, command
from tests.api.test_schedules import scheduled_graph
from tests.conftest import ApiHarness
from tests.utils.api import create_workflow, manual_then, start_run, wait_for_end
from tests.utils.servers import serve


@pytest.fixture
async def endpoint() -> AsyncIterator[str]:
    app = FastAPI()

    @app.get("/ok")
    async def ok() -> dict[str, bool]:
        return {"ok": True}

    async with serve(app) as url:
        yield url


def fetching(url: str) -> dict[str, Any]:
    return {"id": "fetch", "type": "http.request", "parameters": {"url": f"{url}/ok"}}


async def fairness_keys(temporal: Client, run_id: str) -> dict[str, list[str]]:
    """The fairness keys of a run's start and of each activity it scheduled, from its
    history, the key its description shows, and the ids of the child runs it started."""
    keys: dict[str, list[str]] = {"started": [], "activities": [], "described": [], "children": []}
    handle = temporal.get_workflow_handle(run_id)
    event: HistoryEvent
    async for event in handle.fetch_history_events():
        if event.HasField("workflow_execution_started_event_attributes"):
            started = event.workflow_execution_started_event_attributes
            keys["started"].append(started.priority.fairness_key)
        if event.HasField("activity_task_scheduled_event_attributes"):
            scheduled = event.activity_task_scheduled_event_attributes
            keys["activities"].append(scheduled.priority.fairness_key)
        if event.HasField("child_workflow_execution_started_event_attributes"):
            child = event.child_workflow_execution_started_event_attributes
            keys["children"].append(child.workflow_execution.workflow_id)
    description = await handle.describe()
    keys["described"].append(
        description.raw_description.workflow_execution_info.priority.fairness_key
    )
    return keys


async def test_a_run_its_activities_and_its_child_runs_carry_the_organization(
    api: ApiHarness, endpoint: str
) -> None:
    child = await create_workflow(api.client, manual_then(fetching(endpoint)), name="child")
    call = {
        "id": "call",
        "type": "sub_workflow",
        "parameters": {"workflow_id": child, "input": {}},
    }
    parent = await create_workflow(api.client, manual_then(fetching(endpoint), call))
    run_id = await start_run(api.client, parent, {})
    final = await wait_for_end(api.client, run_id)
    assert final["status"] == "succeeded", final
    organization = api.organization_id
    keys = {"started": [organization], "activities": [organization], "described": [organization]}
    parent_keys = await fairness_keys(api.temporal, run_id)
    [child_run] = parent_keys.pop("children")
    assert parent_keys == keys
    assert await fairness_keys(api.temporal, child_run) == keys | {"children": []}


async def test_a_schedule_starts_runs_with_the_organization_as_fairness_key(
    api: ApiHarness,
) -> None:
    workflow_id = await create_workflow(api.client, scheduled_graph())
    response = await api.client.post(f"/workflows/{workflow_id}/activate")
    assert response.status_code == 200, response.text
    described = await api.temporal.get_schedule_handle(f"{workflow_id}.tick").describe()
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.priority.fairness_key == api.organization_id
    assert action.priority.priority_key is None


def test_the_embedded_server_turns_fairness_on(tmp_path: Any) -> None:
    flags = command(DevServerConfig(db_file=tmp_path / "temporal.db"))
    at = flags.index("matching.enableFairness=true")
    assert flags[at - 1] == "--dynamic-config-value"
