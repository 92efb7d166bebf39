"""Every run can be found through Temporal's visibility by organization, workflow, version,
trigger kind and status (on the dev server: the time-skipping one has no visibility).

The status is Temporal's `ExecutionStatus`; runs started before carry `FlowRunStatus` too,
which they still update when they end."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from app.contract import search_attributes as attrs
from app.db.models import WorkflowVersion
from app.language.calls import plan_key
from app.language.plan import Plan
from app.services.runs import RunStart, RunStatus
from app.services.runs.listing import RunFilter, visibility_query
from app.services.runs.starting import start_run
from tests.workflows.harness import compiled, graph, node, value
from workflows.state import RunState


def version_of(organization_id: str, workflow_id: str, document: dict[str, Any]) -> WorkflowVersion:
    plan = compiled(document)
    return WorkflowVersion(
        workflow_id=workflow_id,
        organization_id=organization_id,
        version=3,
        graph=document,
        plan=plan,
        plan_hash=plan.content_hash(),
    )


async def started(
    client: Client,
    task_queue: str,
    version: WorkflowVersion,
    workflows: dict[str, Plan] | None = None,
) -> str:
    """A manual run of `version`, started as the API starts one."""
    run = await start_run(
        client,
        RunStart.of(version, trigger="manual", payload={}, carried=workflows or {}),
        task_queue=task_queue,
    )
    return run.id


async def listed(client: Client, query: str, expected: int) -> list[str]:
    """The ids of the runs `query` finds, once visibility shows `expected` of them."""
    async with asyncio.timeout(20):
        while True:
            ids = sorted([run.id async for run in client.list_workflows(query)])
            if len(ids) >= expected:
                return ids
            await asyncio.sleep(0.1)


@pytest.fixture
def organization_id() -> str:
    return f"org_{uuid.uuid4().hex[:24]}"


async def test_runs_are_listed_by_organization_status_and_trigger_kind(
    dev_client: Client, task_queue: str, organization_id: str
) -> None:
    fine = version_of(organization_id, "wf_fine", graph(value("ok", 1), edges=[("start", "ok")]))
    failing = version_of(
        organization_id,
        "wf_failing",
        graph(node("no", "fail", {"message": "no"}), edges=[("start", "no")]),
    )
    ok_run = await started(dev_client, task_queue, fine)
    failed_run = await started(dev_client, task_queue, failing)
    await dev_client.get_workflow_handle(ok_run).result()
    with pytest.raises(WorkflowFailureError):
        await dev_client.get_workflow_handle(failed_run).result()
    mine = f'FlowOrganizationId="{organization_id}"'
    failed = visibility_query(organization_id, RunFilter(status=RunStatus.FAILED))
    assert await listed(dev_client, failed, 1) == [failed_run]
    succeeded = visibility_query(organization_id, RunFilter(status=RunStatus.SUCCEEDED))
    assert await listed(dev_client, succeeded, 1) == [ok_run]
    assert await listed(
        dev_client,
        f'{mine} AND FlowWorkflowId="wf_fine" AND FlowWorkflowVersion=3 '
        'AND FlowTriggerKind="manual"',
        1,
    ) == [ok_run]
    assert await listed(dev_client, mine, 2) == sorted([ok_run, failed_run])


async def test_a_child_run_is_listed_under_its_own_workflow_and_version(
    dev_client: Client, task_queue: str, organization_id: str
) -> None:
    child = compiled(graph(value("ok", "child"), edges=[("start", "ok")]))
    parent = version_of(
        organization_id,
        "wf_parent",
        graph(
            node("call", "sub_workflow", {"workflow_id": "wf_child", "version": 2}),
            edges=[("start", "call")],
        ),
    )
    run_id = await started(dev_client, task_queue, parent, {plan_key("wf_child", 2): child})
    state = await dev_client.get_workflow_handle(run_id, result_type=RunState).result()
    assert state.output == {"call": {"ok": "child"}}
    query = (
        f'FlowOrganizationId="{organization_id}" AND FlowWorkflowId="wf_child" '
        'AND FlowWorkflowVersion=2 AND FlowTriggerKind="sub_workflow" '
        'AND ExecutionStatus="Completed"'
    )
    assert await listed(dev_client, query, 1) == [f"{run_id}~call~0"]


async def upserts_of(client: Client, run_id: str) -> list[dict[str, Any]]:
    """The search attributes each `UpsertWorkflowSearchAttributes` event of a run set."""
    history = await client.get_workflow_handle(run_id).fetch_history()
    upserts = [
        event.upsert_workflow_search_attributes_event_attributes.search_attributes
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    ]
    return [
        {name: json.loads(payload.data) for name, payload in upsert.indexed_fields.items()}
        for upsert in upserts
    ]


async def test_a_run_spends_no_command_on_its_status(
    dev_client: Client, task_queue: str, organization_id: str
) -> None:
    """The status comes from Temporal as the run closes: no upsert, no extra event."""
    fine = version_of(organization_id, "wf_fine", graph(value("ok", 1), edges=[("start", "ok")]))
    run_id = await started(dev_client, task_queue, fine)
    await dev_client.get_workflow_handle(run_id).result()
    assert await upserts_of(dev_client, run_id) == []
    found = (await dev_client.get_workflow_handle(run_id).describe()).typed_search_attributes
    assert found.get(attrs.RUN_STATUS) is None
    assert found.get(attrs.ORGANIZATION_ID) == organization_id


async def test_a_run_started_with_the_old_status_attribute_still_updates_it(
    dev_client: Client, task_queue: str, organization_id: str
) -> None:
    """As its history expects (replayed: `sub_workflow_started_with_status_attribute`)."""
    fine = version_of(organization_id, "wf_fine", graph(value("ok", 1), edges=[("start", "ok")]))
    start = RunStart.of(fine, trigger="manual", payload={}, carried={})
    run = await start_run(
        dev_client,
        dataclasses.replace(
            start,
            search_attributes=TypedSearchAttributes(
                [
                    *start.search_attributes,
                    SearchAttributePair(attrs.RUN_STATUS, "running"),
                ]
            ),
        ),
        task_queue=task_queue,
    )
    await dev_client.get_workflow_handle(run.id).result()
    assert await upserts_of(dev_client, run.id) == [{attrs.RUN_STATUS.name: "succeeded"}]
