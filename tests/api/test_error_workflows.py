"""A workflow's error workflow (issue 16 point 4a): started with a failed run's details
whenever one of its runs fails, once, never in a loop; named with PATCH and checked. Real
Temporal dev server and worker, over real HTTP, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
from temporalio.testing import ActivityEnvironment

from app.contract.failed_runs import FailedRun, FailedRunError
from app.db.engine import Database
from app.services.error_workflows import ErrorWorkflows
from app.services.runs.starting import new_run_id
from tests.conftest import ApiHarness
from tests.utils.api import (
    FAILING_GRAPH,
    create_workflow,
    eventually,
    foreign_client,
    manual_then,
    run_state,
    start_run,
    wait_for_end,
)

ECHO = manual_then({"id": "echo", "type": "transform", "parameters": {"value": "{{ trigger }}"}})


async def name_error_workflow(
    client: httpx.AsyncClient, workflow_id: str, error_workflow_id: str | None
) -> httpx.Response:
    return await client.patch(
        f"/workflows/{workflow_id}", json={"error_workflow_id": error_workflow_id}
    )


async def ended(client: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    """The run once it exists and has ended."""

    async def state() -> dict[str, Any]:
        response = await client.get(f"/runs/{run_id}")
        return response.json() if response.status_code == 200 else {"status": "absent"}

    return await eventually(state, lambda s: s["status"] not in ("absent", "running"))


async def test_a_failed_run_starts_its_error_workflow_with_its_details(api: ApiHarness) -> None:
    failing = await create_workflow(api.client, FAILING_GRAPH, name="fails")
    handler = await create_workflow(api.client, ECHO, name="on failure")
    named = await name_error_workflow(api.client, failing, handler)
    assert named.status_code == 200, named.text
    assert named.json()["error_workflow_id"] == handler
    run_id = await start_run(api.client, failing, {"n": 7})
    failed = await wait_for_end(api.client, run_id)
    assert failed["status"] == "failed"
    notice = await ended(api.client, f"{run_id}~error")
    assert notice["status"] == "succeeded"
    assert notice["workflow_id"] == handler
    details = notice["nodes"]["echo"]["output"]
    assert details == {
        "run_id": run_id,
        "workflow_id": failing,
        "workflow_version": 1,
        "trigger": "manual",
        "node_id": "boom",
        "error": {"type": "WorkflowFailed", "message": "failed on 7"},
        "input": {"n": 7},
        "input_dropped": False,
    }
    assert notice["input"] == details


async def test_a_succeeded_run_starts_nothing(api: ApiHarness) -> None:
    fine = await create_workflow(api.client, ECHO, name="fine")
    handler = await create_workflow(api.client, ECHO, name="on failure")
    await name_error_workflow(api.client, fine, handler)
    run_id = await start_run(api.client, fine, {})
    assert (await wait_for_end(api.client, run_id))["status"] == "succeeded"
    assert (await api.client.get(f"/runs/{run_id}~error")).status_code == 404


async def test_error_workflows_that_fail_in_turn_do_not_loop(api: ApiHarness) -> None:
    first = await create_workflow(api.client, FAILING_GRAPH, name="first")
    second = await create_workflow(api.client, FAILING_GRAPH, name="second")
    await name_error_workflow(api.client, first, second)
    await name_error_workflow(api.client, second, first)
    run_id = await start_run(api.client, first, {"n": 1})
    notice = await ended(api.client, f"{run_id}~error")
    assert notice["status"] == "failed"
    assert notice["workflow_id"] == second
    listed = (await api.client.get("/runs", params={"workflow_id": first})).json()
    assert [run["id"] for run in listed["data"]] == [run_id]
    assert (await api.client.get(f"/runs/{run_id}~error~error")).status_code == 404


async def test_a_deleted_error_workflow_is_skipped_and_the_run_fails_as_before(
    api: ApiHarness,
) -> None:
    failing = await create_workflow(api.client, FAILING_GRAPH, name="fails")
    handler = await create_workflow(api.client, ECHO, name="on failure")
    await name_error_workflow(api.client, failing, handler)
    assert (await api.client.delete(f"/workflows/{handler}")).status_code == 204
    run_id = await start_run(api.client, failing, {"n": 2})
    failed = await wait_for_end(api.client, run_id)
    assert failed["status"] == "failed"
    assert failed["error"]["node_id"] == "boom"
    assert (await api.client.get(f"/runs/{run_id}~error")).status_code == 404


async def test_an_error_workflow_must_be_another_of_the_organization(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, ECHO)
    async with await foreign_client(api) as other:
        strangers = await create_workflow(other, ECHO)
    cases = {"wf_nothere": "unknown_workflow", workflow_id: "invalid_value"}
    cases[strangers] = "unknown_workflow"
    for named, code in cases.items():
        response = await name_error_workflow(api.client, workflow_id, named)
        assert response.status_code == 422, response.text
        [detail] = response.json()["error"]["details"]
        assert detail["path"] == ["body", "error_workflow_id"]
        assert detail["code"] == code
    workflow = (await api.client.get(f"/workflows/{workflow_id}")).json()
    assert workflow["error_workflow_id"] is None
    handler = await create_workflow(api.client, ECHO, name="on failure")
    await name_error_workflow(api.client, workflow_id, handler)
    renamed = await api.client.patch(f"/workflows/{workflow_id}", json={"name": "still named"})
    assert renamed.json()["error_workflow_id"] == handler
    cleared = await name_error_workflow(api.client, workflow_id, None)
    assert cleared.json()["error_workflow_id"] is None
    assert (await run_state(api.client, await start_run(api.client, workflow_id, {})))["id"]


async def test_scheduled_runs_follow_an_error_workflow_named_after_activation(
    api: ApiHarness,
) -> None:
    graph = {
        "nodes": [
            {"id": "tick", "type": "trigger.schedule", "parameters": {"cron": ["0 9 1 1 *"]}},
            {"id": "boom", "type": "fail", "parameters": {"message": "scheduled"}},
        ],
        "edges": [{"source": "tick", "target": "boom"}],
    }
    scheduled = await create_workflow(api.client, graph, name="scheduled")
    handler = await create_workflow(api.client, ECHO, name="on failure")
    assert (await api.client.post(f"/workflows/{scheduled}/activate")).status_code == 200
    await name_error_workflow(api.client, scheduled, handler)
    fired = await api.client.post(f"/workflows/{scheduled}/schedules/tick/trigger")
    assert fired.status_code in (200, 202, 204), fired.text

    async def runs() -> list[dict[str, Any]]:
        listed = await api.client.get("/runs", params={"workflow_id": scheduled})
        data: list[dict[str, Any]] = listed.json()["data"]
        return data

    [run] = await eventually(runs, lambda found: len(found) == 1)
    notice = await ended(api.client, f"{run['id']}~error")
    assert notice["nodes"]["echo"]["output"]["trigger"] == "schedule"
    assert notice["nodes"]["echo"]["output"]["node_id"] == "boom"
    await api.client.post(f"/workflows/{scheduled}/deactivate")


async def test_a_retried_notice_starts_the_error_run_once(api: ApiHarness) -> None:
    """The activity run again, as after a worker died before it reported: the same run."""
    failing = await create_workflow(api.client, FAILING_GRAPH, name="fails")
    handler = await create_workflow(api.client, ECHO, name="on failure")
    failed = FailedRun(
        organization_id=api.organization_id,
        error_workflow_id=handler,
        # Its own id: both databases' tests share one Temporal server, where ids are unique.
        run_id=new_run_id(),
        workflow_id=failing,
        workflow_version=1,
        trigger="manual",
        node_id="boom",
        error=FailedRunError(type="WorkflowFailed", message="failed"),
    )
    database = Database(api.settings.resolved_database_url, api.settings.database_pool)
    try:
        notices = ErrorWorkflows(database, api.settings.temporal_task_queue)
        environment = ActivityEnvironment(client=api.temporal)
        first = await environment.run(notices.start, failed)
        again = await environment.run(notices.start, failed)
    finally:
        await database.dispose()
    assert first == again == f"{failed.run_id}~error"
    assert (await ended(api.client, first))["status"] == "succeeded"
    listed = (await api.client.get("/runs", params={"workflow_id": handler})).json()
    assert [run["id"] for run in listed["data"]] == [first]
