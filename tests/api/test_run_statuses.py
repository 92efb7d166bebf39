"""Runs stopped from outside read as what stopped them: `terminated` and `timed_out` are
statuses of their own in a run's answer, in the list of runs and in its `status` filter."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiHarness
from tests.utils.api import (
    WAITING_GRAPH,
    create_workflow,
    eventually,
    run_state,
    start_run,
    wait_for_end,
    wait_until_waiting,
)


def calling_with_time_limit(child: str, seconds: float) -> dict[str, Any]:
    """A workflow whose `call` node runs `child` as a child run limited to `seconds`."""
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {
                "id": "call",
                "type": "sub_workflow",
                "parameters": {"workflow_id": child},
                "timeout_seconds": seconds,
            },
        ],
        "edges": [{"source": "start", "target": "call"}],
    }


async def listed_ids(api: ApiHarness, count: int, **params: Any) -> list[str]:
    """The ids of the runs `GET /runs` lists with `params`, once it lists `count` of them."""
    body = await eventually(
        lambda: api.client.get("/runs", params=params),
        lambda response: response.status_code == 200 and response.json()["count"] == count,
    )
    return [run["id"] for run in body.json()["data"]]


async def terminated_run(api: ApiHarness) -> str:
    run_id = await start_run(api.client, await create_workflow(api.client, WAITING_GRAPH))
    await wait_until_waiting(api.client, run_id, "pay")
    response = await api.client.post(f"/runs/{run_id}/terminate", json={"reason": "oops"})
    assert response.status_code == 202, response.text
    return run_id


async def timed_out_child(api: ApiHarness) -> tuple[str, str]:
    """(parent run, its child run) where the child waited past its time limit."""
    child = await create_workflow(api.client, WAITING_GRAPH, name="child")
    parent = await create_workflow(api.client, calling_with_time_limit(child, 1), name="parent")
    parent_run = await start_run(api.client, parent)
    assert (await wait_for_end(api.client, parent_run))["status"] == "failed"
    return parent_run, f"{parent_run}~call~0"


async def test_a_terminated_run_shows_where_it_stopped(api: ApiHarness) -> None:
    run_id = await terminated_run(api)
    final = await wait_for_end(api.client, run_id)
    assert final["status"] == "terminated"
    assert final["nodes"]["start"]["status"] == "succeeded"
    assert final["nodes"]["pay"]["status"] == "cancelled"
    assert final["waiting_for"] == []
    assert final["ended_at"] is not None


async def test_a_terminated_run_is_listed_and_filtered_as_terminated(api: ApiHarness) -> None:
    run_id = await terminated_run(api)
    other = await start_run(api.client, await create_workflow(api.client, WAITING_GRAPH))
    await wait_until_waiting(api.client, other, "pay")
    assert (await api.client.post(f"/runs/{other}/cancel")).status_code == 202
    assert await listed_ids(api, 1, status="terminated") == [run_id]
    assert await listed_ids(api, 1, status="cancelled") == [other]
    listed = (await api.client.get("/runs", params={"status": "terminated"})).json()["data"]
    assert listed[0]["status"] == "terminated"


async def test_a_child_run_past_its_time_limit_reads_timed_out(api: ApiHarness) -> None:
    parent_run, child_run = await timed_out_child(api)
    child = await run_state(api.client, child_run)
    assert child["status"] == "timed_out"
    assert child["trigger"] == "sub_workflow"
    assert child["ended_at"] is not None
    parent = await run_state(api.client, parent_run)
    assert parent["error"]["message"] == f"node 'call' failed: run {child_run} timed out"


async def test_a_timed_out_run_is_listed_and_filtered_as_timed_out(api: ApiHarness) -> None:
    parent_run, child_run = await timed_out_child(api)
    assert await listed_ids(api, 1, status="timed_out") == [child_run]
    assert await listed_ids(api, 1, status="failed") == [parent_run]
    listed = (await api.client.get("/runs", params={"status": "timed_out"})).json()["data"]
    assert listed[0]["status"] == "timed_out"


async def test_an_unknown_status_filter_is_a_422_naming_the_statuses(api: ApiHarness) -> None:
    response = await api.client.get("/runs", params={"status": "stopped"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["details"][0]["path"] == ["query", "status"]
    assert "'timed_out'" in error["details"][0]["message"]
