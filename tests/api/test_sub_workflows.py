"""Sub-workflows through the API: versions pinned when stored, plans carried when run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.engine import Database
from app.db.models import WorkflowVersion
from app.language.calls import MAX_SUB_WORKFLOW_DEPTH
from app.language.compiler import build_plan, compile_workflow
from app.language.errors import Issue
from app.language.plan import Plan
from app.language.validation import validate
from app.settings import Settings
from app.store import workflows as store
from app.sub_workflows import link
from tests.api.test_walking_skeleton import wait_for_end
from tests.conftest import ApiHarness
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


async def add_version(api: ApiHarness, workflow_id: str, graph: dict[str, Any]) -> None:
    """Store `graph` as the workflow's next version, as an update will (issue 5)."""
    plan = compile_workflow(graph)
    async with session_of(api.settings) as session:
        workflow = await store.get_workflow(
            session, organization_id=api.organization_id, workflow_id=workflow_id
        )
        workflow.latest_version += 1
        session.add(workflow)
        session.add(
            WorkflowVersion(
                workflow_id=workflow_id,
                organization_id=api.organization_id,
                version=workflow.latest_version,
                graph=graph,
                plan=plan.model_dump(mode="json"),
                plan_hash=plan.content_hash(),
            )
        )
        await session.commit()


async def link_as_version_of(
    api: ApiHarness, workflow_id: str, graph: dict[str, Any]
) -> tuple[Plan | None, list[Issue]]:
    """What storing `graph` as a new version of `workflow_id` would give (issue 5's update)."""
    checked, _ = validate(graph, accounts={})
    assert checked is not None
    async with session_of(api.settings) as session:
        return await link(
            session,
            organization_id=api.organization_id,
            graph=checked.graph,
            plan=build_plan(checked),
            workflow_id=workflow_id,
        )


async def test_a_sub_workflow_runs_the_version_that_was_latest_when_its_caller_was_saved(
    api: ApiHarness,
) -> None:
    child = await create(api, plain({"v": 1, "got": "{{ trigger.n }}"}))
    parent = await create(api, calling(child))
    async with session_of(api.settings) as session:
        stored = await store.get_version(
            session, organization_id=api.organization_id, workflow_id=parent
        )
    assert stored.plan["nodes"]["call"]["parameters"]["version"] == 1
    await add_version(api, child, plain({"v": 2}))
    final = await run(api, parent, {"n": 7})
    assert final["status"] == "succeeded"
    assert final["output"] == {"call": {"out": {"v": 1, "got": 7}}}


async def test_a_sub_workflow_may_name_its_version(api: ApiHarness) -> None:
    child = await create(api, plain({"v": 1}))
    await add_version(api, child, plain({"v": 2}))
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
    # A new version of `first` that runs `third` would close the cycle first → third →
    # second → first; the update route (issue 5) checks it with `link(workflow_id=first)`.
    plan, issues = await link_as_version_of(api, first, calling(third))
    assert plan is None
    [issue] = issues
    assert issue.code == "sub_workflow_cycle"
    assert issue.node_id == "call"
    assert issue.path == ("nodes", 1, "parameters", "workflow_id")
    assert f"{third} → {second} → {first}" in issue.message


async def test_a_workflow_may_not_run_itself(api: ApiHarness) -> None:
    first = await create(api, plain(1))
    _, issues = await link_as_version_of(api, first, calling(first))
    assert [(issue.code, issue.message) for issue in issues] == [
        ("sub_workflow_cycle", "a workflow may not run itself")
    ]


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
    async with session_of(api.settings) as session:
        workflow = await store.get_workflow(
            session, organization_id=api.organization_id, workflow_id=child
        )
        await session.delete(workflow)
        await session.commit()
    response = await api.client.post(f"/workflows/{parent}/runs", json={"input": {}})
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["details"][0]["node_id"] == "call"
    assert child in error["message"]
