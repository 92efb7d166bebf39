"""Starting and reading runs: the API's only bridge to the interpreter workflow."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from app.db.models import WorkflowVersion
from app.errors import InvalidInputError, NotFoundError
from app.language.plan import Plan
from temporal import search_attributes as attrs
from workflows.state import (
    INTERPRETER_WORKFLOW,
    NodeError,
    RunInput,
    RunMetadata,
    RunState,
    RunStatus,
    TriggerInput,
    TriggerKind,
)

_CLOSED_STATUS: dict[WorkflowExecutionStatus, RunStatus] = {
    WorkflowExecutionStatus.COMPLETED: "succeeded",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.TERMINATED: "cancelled",
    WorkflowExecutionStatus.TIMED_OUT: "failed",
}


def new_run_id() -> str:
    return f"run_{secrets.token_hex(12)}"


async def start_run(
    client: Client,
    *,
    version: WorkflowVersion,
    trigger: TriggerKind,
    payload: Any,
    task_queue: str,
    run_id: str | None = None,
    trigger_node: str | None = None,
    workflows: Mapping[str, Plan] | None = None,
) -> str:
    """Start the interpreter on this exact version's plan; the run id is its Temporal id.

    `workflows`: the plans its sub-workflows may start (`app.sub_workflows.plans_for`).
    """
    run_id = run_id or new_run_id()
    plan = Plan.model_validate(version.plan)
    run_input = RunInput(
        workflows=dict(workflows or {}),
        plan=plan,
        trigger=TriggerInput(
            kind=trigger, node_id=trigger_node or _trigger_of(plan, trigger), payload=payload
        ),
        metadata=RunMetadata(
            organization_id=version.organization_id,
            workflow_id=version.workflow_id,
            workflow_version=version.version,
            plan_hash=version.plan_hash,
        ),
    )
    await client.start_workflow(
        INTERPRETER_WORKFLOW,
        run_input,
        id=run_id,
        task_queue=task_queue,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(attrs.ORGANIZATION_ID, version.organization_id),
                SearchAttributePair(attrs.WORKFLOW_ID, version.workflow_id),
                SearchAttributePair(attrs.WORKFLOW_VERSION, version.version),
                SearchAttributePair(attrs.TRIGGER_KIND, trigger),
                SearchAttributePair(attrs.RUN_STATUS, "running"),
            ]
        ),
    )
    return run_id


def _trigger_of(plan: Plan, kind: TriggerKind) -> str:
    """The plan's first trigger node of this kind."""
    for node_id in plan.triggers:
        if plan.nodes[node_id].type == f"trigger.{kind}":
            return node_id
    raise InvalidInputError(f"this workflow has no {kind} trigger")


async def read_run(client: Client, *, organization_id: str, run_id: str) -> RunState:
    """A run's state: live through the query while it runs, its final state after."""
    handle = client.get_workflow_handle(run_id, result_type=RunState)
    try:
        description = await handle.describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise NotFoundError(f"run '{run_id}' not found") from None
        raise
    if description.typed_search_attributes.get(attrs.ORGANIZATION_ID) != organization_id:
        raise NotFoundError(f"run '{run_id}' not found")
    if description.status == WorkflowExecutionStatus.RUNNING:
        state: RunState = await handle.query("state", result_type=RunState)
        return state
    try:
        final: RunState = await handle.result()
        return final
    except WorkflowFailureError as failure:
        return _state_from_failure(failure, description.status)


def _state_from_failure(
    failure: WorkflowFailureError, status: WorkflowExecutionStatus | None
) -> RunState:
    cause = failure.cause
    if isinstance(cause, ApplicationError) and cause.details:
        return RunState.model_validate(cause.details[0])
    return RunState(
        status=_CLOSED_STATUS.get(status, "failed") if status else "failed",
        error=NodeError(type=type(cause).__name__, message=str(cause)),
    )
