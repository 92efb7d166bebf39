"""The Temporal UI speaks our language: a run carries its workflow's name and trigger as its
summary, and each action its node's name and id (`Post to X (announce)`), not only `x.post`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from temporalio.api.enums.v1 import EventType

from tests.conftest import ApiHarness
from tests.utils.api import create_workflow, manual_then, start_run, wait_for_end
from tests.utils.servers import serve


@pytest.fixture
async def answers() -> AsyncIterator[str]:
    app = FastAPI()

    @app.get("/price")
    async def price() -> dict[str, int]:
        return {"price": 12}

    async with serve(app) as url:
        yield url


async def test_runs_and_actions_carry_the_names_people_gave_them(
    api: ApiHarness, answers: str
) -> None:
    fetch = {
        "id": "fetch",
        "type": "http.request",
        "name": "Read the price",
        "parameters": {"method": "GET", "url": f"{answers}/price"},
    }
    workflow_id = await create_workflow(api.client, manual_then(fetch), name="Price watcher")
    run_id = await start_run(api.client, workflow_id)
    assert (await wait_for_end(api.client, run_id))["status"] == "succeeded"

    handle = api.temporal.get_workflow_handle(run_id)
    description = await handle.describe()
    assert await description.static_summary() == "Price watcher (manual)"

    summaries = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            payload = event.user_metadata.summary
            [summary] = await api.temporal.data_converter.decode([payload], [str])
            summaries.append(summary)
    assert summaries == ["Read the price (fetch)"]


async def test_a_node_without_a_name_is_summarized_by_its_type_title(
    api: ApiHarness, answers: str
) -> None:
    fetch = {
        "id": "fetch",
        "type": "http.request",
        "parameters": {"method": "GET", "url": f"{answers}/price"},
    }
    run_id = await start_run(api.client, await create_workflow(api.client, manual_then(fetch)))
    await wait_for_end(api.client, run_id)
    handle = api.temporal.get_workflow_handle(run_id)
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            [summary] = await api.temporal.data_converter.decode(
                [event.user_metadata.summary], [str]
            )
            assert summary.endswith(" (fetch)")
            assert summary != " (fetch)"


async def test_a_child_run_carries_its_calling_node_s_name(api: ApiHarness) -> None:
    child_graph = manual_then({"id": "double", "type": "transform", "parameters": {"value": 2}})
    child_id = await create_workflow(api.client, child_graph, name="Doubler")
    call = {
        "id": "call",
        "type": "sub_workflow",
        "name": "Double it",
        "parameters": {"workflow_id": child_id},
    }
    run_id = await start_run(api.client, await create_workflow(api.client, manual_then(call)))
    assert (await wait_for_end(api.client, run_id))["status"] == "succeeded"
    handle = api.temporal.get_workflow_handle(run_id)
    children = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            attributes = event.start_child_workflow_execution_initiated_event_attributes
            children.append(attributes.workflow_id)
    [child_run] = children
    child = await api.temporal.get_workflow_handle(child_run).describe()
    assert await child.static_summary() == "Double it (call)"
