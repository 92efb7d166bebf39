"""Listing runs from Temporal visibility: by workflow, status, trigger and time, in pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import ApiHarness
from tests.utils.api import (
    FAILING_GRAPH,
    create_workflow,
    eventually,
    start_run,
    wait_for_end,
)


async def listed(api: ApiHarness, **params: Any) -> dict[str, Any]:
    response = await api.client.get("/runs", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def three_runs(api: ApiHarness) -> tuple[str, list[str], str]:
    """Two succeeded runs of one workflow and one failed run of another, all ended."""
    greet = await create_workflow(api.client)
    failing = await create_workflow(api.client, FAILING_GRAPH, name="fails")
    ok = [await start_run(api.client, greet, {"name": str(n)}) for n in range(2)]
    failed = await start_run(api.client, failing, {"n": 1})
    for run_id in [*ok, failed]:
        await wait_for_end(api.client, run_id)
    await eventually(
        lambda: listed(api),
        lambda body: body["count"] == 3 and all(r["status"] != "running" for r in body["data"]),
    )
    return greet, ok, failed


async def test_runs_are_listed_by_workflow_and_by_status(api: ApiHarness) -> None:
    greet, ok, failed = await three_runs(api)
    by_workflow = await listed(api, workflow_id=greet)
    assert {run["id"] for run in by_workflow["data"]} == set(ok)
    assert all(run["status"] == "succeeded" for run in by_workflow["data"])
    by_status = await eventually(lambda: listed(api, status="failed"), lambda b: b["count"] == 1)
    assert [run["id"] for run in by_status["data"]] == [failed]
    assert by_status["data"][0]["trigger"] == "manual"


async def test_runs_are_paged_with_a_token(api: ApiHarness) -> None:
    _, ok, failed = await three_runs(api)
    everything = await eventually(
        lambda: listed(api, status="succeeded"), lambda b: b["count"] == 2
    )
    assert everything["count"] == 2
    first = await listed(api, page_size=2)
    assert first["count"] == 3
    assert len(first["data"]) == 2
    second = await listed(api, page_size=2, page_token=first["next_page_token"])
    ids = [run["id"] for run in first["data"] + second["data"]]
    assert sorted(ids) == sorted([*ok, failed])
    assert second["next_page_token"] is None


async def test_runs_are_filtered_by_trigger_and_start_time(api: ApiHarness) -> None:
    await three_runs(api)
    assert (await listed(api, trigger="webhook"))["count"] == 0
    assert (await listed(api, trigger="manual"))["count"] == 3
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (await listed(api, started_after=future))["count"] == 0
    assert (await listed(api, started_before=future))["count"] == 3


async def test_a_start_time_without_a_time_zone_is_a_422(api: ApiHarness) -> None:
    response = await api.client.get("/runs", params={"started_after": "2025-01-01T00:00:00"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["path"] == ["query", "started_after"]


async def test_a_workflow_id_that_could_change_the_query_is_a_422(api: ApiHarness) -> None:
    response = await api.client.get("/runs", params={"workflow_id": 'x" OR FlowOrganizationId!="'})
    assert response.status_code == 422


async def test_a_made_up_page_token_is_a_422(api: ApiHarness) -> None:
    for token in ("%%%", "bm90IGEgdG9rZW4"):
        response = await api.client.get("/runs", params={"page_token": token})
        assert response.status_code == 422, (token, response.text)


async def test_runs_of_another_organization_are_not_listed(api: ApiHarness) -> None:
    from tests.utils.api import foreign_client

    await three_runs(api)
    async with await foreign_client(api) as other:
        body = (await other.get("/runs")).json()
    assert body == {"data": [], "count": 0, "next_page_token": None}


async def test_child_runs_are_listed_by_their_sub_workflow_trigger(api: ApiHarness) -> None:
    child = await create_workflow(api.client, name="child")
    parent = await create_workflow(
        api.client,
        {
            "nodes": [
                {"id": "start", "type": "trigger.manual"},
                {"id": "call", "type": "sub_workflow", "parameters": {"workflow_id": child}},
            ],
            "edges": [{"source": "start", "target": "call"}],
        },
        name="parent",
    )
    parent_run = await start_run(api.client, parent, {"name": "Ada"})
    await wait_for_end(api.client, parent_run)
    children = await eventually(
        lambda: listed(api, trigger="sub_workflow"), lambda body: body["count"] == 1
    )
    [child_run] = children["data"]
    assert child_run["id"].startswith(f"{parent_run}~call~")
    assert (child_run["workflow_id"], child_run["trigger"]) == (child, "sub_workflow")
    manual = await listed(api, trigger="manual")
    assert [run["id"] for run in manual["data"]] == [parent_run]
