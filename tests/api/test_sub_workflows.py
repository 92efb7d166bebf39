"""Sub-workflows through the API: versions pinned when stored, plans carried when run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.engine import Database
from app.language.calls import MAX_SUB_WORKFLOW_DEPTH
from app.settings import Settings
from app.store import workflows as store
from tests.api.test_webhooks import deliver, signed
from tests.conftest import ApiHarness
from tests.utils.api import eventually, wait_for_end
from tests.utils.factories import new_organization


def plain(value: Any) -> dict[str, Any]:
    """A workflow that outputs `value` (templates read its input as `trigger`)."""
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "out", "type": "transform", "parameters": {"value": value}},
        ],
        "edges": [{"source": "start", "target": "out"}],
    }


def calling(workflow_id: str, **parameters: Any) -> dict[str, Any]:
    """A workflow whose node `call` (index 1) runs `workflow_id` with its own input."""
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {
                "id": "call",
                "type": "sub_workflow",
                "parameters": {"workflow_id": workflow_id, "input": "{{ trigger }}", **parameters},
            },
        ],
        "edges": [{"source": "start", "target": "call"}],
    }


async def create(api: ApiHarness, graph: dict[str, Any]) -> str:
    response = await api.client.post("/workflows", json={"name": "w", "graph": graph})
    assert response.status_code == 201, response.text
    workflow_id: str = response.json()["id"]
    return workflow_id


async def refused(api: ApiHarness, graph: dict[str, Any]) -> dict[str, Any]:
    """The single detail of the 422 that storing `graph` gets; nothing is stored."""
    response = await api.client.post("/workflows", json={"name": "w", "graph": graph})
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    return detail  # type: ignore[no-any-return]


async def run(api: ApiHarness, workflow_id: str, input: Any) -> dict[str, Any]:
    started = await api.client.post(f"/workflows/{workflow_id}/runs", json={"input": input})
    assert started.status_code == 201, started.text
    final: dict[str, Any] = await wait_for_end(api.client, started.json()["id"])
    return final


@asynccontextmanager
async def session_of(settings: Settings) -> AsyncIterator[AsyncSession]:
    database = Database(settings.resolved_database_url)
    try:
        async with database.session() as session:
            yield session
    finally:
        await database.dispose()


async def edit(api: ApiHarness, workflow_id: str, graph: dict[str, Any]) -> httpx.Response:
    """Save `graph` as the workflow's next version."""
    return await api.client.patch(f"/workflows/{workflow_id}", json={"graph": graph})


async def test_a_sub_workflow_runs_the_version_that_was_latest_when_its_caller_was_saved(
    api: ApiHarness,
) -> None:
    child = await create(api, plain({"v": 1, "got": "{{ trigger.n }}"}))
    parent = await create(api, calling(child))
    async with session_of(api.settings) as session:
        stored = await store.get_version(
            session, organization_id=api.organization_id, workflow_id=parent
        )
    assert stored.plan.nodes["call"].parameters["version"] == 1
    assert (await edit(api, child, plain({"v": 2}))).status_code == 200
    final = await run(api, parent, {"n": 7})
    assert final["status"] == "succeeded"
    assert final["output"] == {"call": {"out": {"v": 1, "got": 7}}}


async def test_a_sub_workflow_may_name_its_version(api: ApiHarness) -> None:
    child = await create(api, plain({"v": 1}))
    assert (await edit(api, child, plain({"v": 2}))).status_code == 200
    parent = await create(api, calling(child, version=1))
    assert (await run(api, parent, {}))["output"] == {"call": {"out": {"v": 1}}}


async def test_a_workflow_that_does_not_exist_is_refused_naming_the_node(api: ApiHarness) -> None:
    detail = await refused(api, calling("wf_0123456789abcdef01234567"))
    assert detail["node_id"] == "call"
    assert detail["path"] == ["graph", "nodes", 1, "parameters", "workflow_id"]
    assert detail["code"] == "unknown_workflow"


async def test_another_organizations_workflow_is_as_unknown_as_a_missing_one(
    api: ApiHarness,
) -> None:
    _, other_key = await new_organization(api.settings)
    response = await api.client.post(
        "/workflows",
        json={"name": "theirs", "graph": plain(1)},
        headers={"Authorization": f"Bearer {other_key}"},
    )
    theirs = response.json()["id"]
    detail = await refused(api, calling(theirs))
    assert detail["code"] == "unknown_workflow"
    assert detail["message"] == f"workflow '{theirs}' not found"


async def test_a_version_that_does_not_exist_is_refused(api: ApiHarness) -> None:
    child = await create(api, plain(1))
    detail = await refused(api, calling(child, version=2))
    assert detail["path"] == ["graph", "nodes", 1, "parameters", "version"]
    assert detail["code"] == "unknown_version"


async def test_a_templated_workflow_id_is_refused(api: ApiHarness) -> None:
    detail = await refused(api, calling("{{ trigger.which }}"))
    assert detail["path"] == ["graph", "nodes", 1, "parameters", "workflow_id"]
    assert "not a template" in detail["message"]


async def test_a_workflow_without_a_manual_trigger_cannot_be_a_sub_workflow(
    api: ApiHarness,
) -> None:
    hooked = plain(1)
    hooked["nodes"][0] = {"id": "start", "type": "trigger.webhook"}
    child = await create(api, hooked)
    assert (await refused(api, calling(child)))["code"] == "not_startable"


async def test_nesting_deeper_than_the_limit_is_refused(api: ApiHarness) -> None:
    workflow_id = await create(api, plain("leaf"))
    for _ in range(MAX_SUB_WORKFLOW_DEPTH):
        workflow_id = await create(api, calling(workflow_id))
    detail = await refused(api, calling(workflow_id))
    assert detail["code"] == "too_deep"
    assert detail["node_id"] == "call"


async def test_the_validate_route_reports_sub_workflow_problems_too(api: ApiHarness) -> None:
    response = await api.client.post(
        "/workflows/validate", json={"graph": calling("wf_0123456789abcdef01234567")}
    )
    body = response.json()
    assert body["valid"] is False
    assert [error["code"] for error in body["errors"]] == ["unknown_workflow"]


async def test_a_cycle_of_workflows_is_refused_naming_the_node(api: ApiHarness) -> None:
    first = await create(api, plain(1))
    second = await create(api, calling(first))
    third = await create(api, calling(second))
    response = await edit(api, first, calling(third))
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["code"] == "sub_workflow_cycle"
    assert detail["node_id"] == "call"
    assert detail["path"] == ["graph", "nodes", 1, "parameters", "workflow_id"]
    assert f"{third} → {second} → {first}" in detail["message"]
    stored = await api.client.get(f"/workflows/{first}")
    assert stored.json()["latest_version"] == 1


async def test_a_workflow_may_not_run_itself(api: ApiHarness) -> None:
    first = await create(api, plain(1))
    response = await edit(api, first, calling(first))
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert (detail["code"], detail["message"]) == (
        "sub_workflow_cycle",
        "a workflow may not run itself",
    )


async def test_a_run_carries_its_childrens_children(api: ApiHarness) -> None:
    leaf = await create(api, plain({"leaf": "{{ trigger.n }}"}))
    middle = await create(api, calling(leaf))
    top = await create(api, calling(middle))
    final = await run(api, top, {"n": 3})
    assert final["output"] == {"call": {"call": {"out": {"leaf": 3}}}}


async def test_starting_a_run_whose_sub_workflow_was_deleted_is_a_conflict(
    api: ApiHarness,
) -> None:
    child = await create(api, plain(1))
    parent = await create(api, calling(child))
    assert (await api.client.delete(f"/workflows/{child}")).status_code == 204
    response = await api.client.post(f"/workflows/{parent}/runs", json={"input": {}})
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["details"][0]["node_id"] == "call"
    assert child in error["message"]


# Every way a run starts carries the plans of its sub-workflows.


def triggered_by(trigger: dict[str, Any], child: str) -> dict[str, Any]:
    graph = calling(child, input={"n": 5})
    graph["nodes"][0] = trigger
    graph["edges"][0]["source"] = trigger["id"]
    return graph


async def test_a_scheduled_run_carries_its_sub_workflows(api: ApiHarness) -> None:
    child = await create(api, plain({"got": "{{ trigger.n }}"}))
    tick = {"id": "tick", "type": "trigger.schedule", "parameters": {"interval": {"every": "P1D"}}}
    parent = await create(api, triggered_by(tick, child))
    await api.client.post(f"/workflows/{parent}/activate")
    response = await api.client.post(f"/workflows/{parent}/schedules/tick/trigger")
    assert response.status_code == 202, response.text
    listed = await eventually(
        lambda: api.client.get("/runs", params={"workflow_id": parent, "trigger": "schedule"}),
        lambda response: len(response.json()["data"]) >= 1,
    )
    final = await wait_for_end(api.client, listed.json()["data"][0]["id"])
    assert final["output"] == {"call": {"out": {"got": 5}}}


async def test_a_webhook_run_carries_its_sub_workflows(api: ApiHarness) -> None:
    child = await create(api, plain({"got": "{{ trigger.n }}"}))
    hook = {"id": "hook", "type": "trigger.webhook", "parameters": {}}
    parent = await create(api, triggered_by(hook, child))
    secret = (await api.client.put(f"/workflows/{parent}/webhooks/hook/secret", json={})).json()
    await api.client.post(f"/workflows/{parent}/activate")
    response = await deliver(
        secret["url"], b"{}", **{"X-Hub-Signature-256": signed(secret["secret"], b"{}")}
    )
    assert response.status_code == 202, response.text
    final = await wait_for_end(api.client, response.json()["run_id"])
    assert final["output"] == {"call": {"out": {"got": 5}}}


async def test_a_re_run_carries_its_sub_workflows(api: ApiHarness) -> None:
    failing = plain(1)
    failing["nodes"][1] = {"id": "out", "type": "fail", "parameters": {"message": "no"}}
    child = await create(api, failing)
    parent = await create(api, calling(child))
    first = await run(api, parent, {})
    assert first["status"] == "failed"
    rerun = await api.client.post(f"/runs/{first['id']}/rerun")
    assert rerun.status_code == 201, rerun.text
    again = await wait_for_end(api.client, rerun.json()["id"])
    assert again["error"]["message"].startswith("node 'call' failed: run ")
    assert again["error"]["message"].endswith("failed: node 'out' failed: no")


async def test_a_sub_workflow_run_is_re_run_through_its_parent(api: ApiHarness) -> None:
    failing = plain(1)
    failing["nodes"][1] = {"id": "out", "type": "fail", "parameters": {"message": "no"}}
    parent = await create(api, calling(await create(api, failing)))
    first = await run(api, parent, {})
    response = await api.client.post(f"/runs/{first['id']}~call~0/rerun")
    assert response.status_code == 409, response.text


async def test_a_workflow_an_active_workflow_calls_cannot_be_deleted(api: ApiHarness) -> None:
    child = await create(api, plain(1))
    parent = await create(api, calling(child))
    assert (await api.client.post(f"/workflows/{parent}/activate")).status_code == 200
    response = await api.client.delete(f"/workflows/{child}")
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert parent in error["message"]
    assert error["details"] == [
        {
            "path": ["workflows", parent, "nodes", "call"],
            "node_id": "call",
            "message": f"active workflow '{parent}' (w) runs this workflow",
            "code": "conflict",  # a detail without a code of its own carries its error's type
        }
    ]
    assert (await api.client.get(f"/workflows/{child}")).status_code == 200
    await api.client.post(f"/workflows/{parent}/deactivate")
    assert (await api.client.delete(f"/workflows/{child}")).status_code == 204
