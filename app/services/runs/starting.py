"""Starting and reading runs: the API's only bridge to the interpreter workflow.

Every run, whether started by hand, by a webhook, by a schedule or as a re-run, gets its
input from `build_run_input`, so what travels with a run is decided in one place.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jsonschema
from referencing.exceptions import Unresolvable
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.common import TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from app.contract import search_attributes as attrs
from app.db.models import WorkflowVersion
from app.errors import ConflictError, ErrorDetail, InvalidInputError, NotFoundError
from app.language.plan import Plan
from app.services.payload_limits import check_run_input
from app.services.runs.details import with_live_attempts
from workflows.state import (
    INTERPRETER_WORKFLOW,
    STATE_QUERY,
    NodeError,
    RunInput,
    RunMetadata,
    RunState,
    RunStatus,
    TriggerInput,
    TriggerKind,
)

CLOSED_STATUS: dict[WorkflowExecutionStatus, RunStatus] = {
    WorkflowExecutionStatus.RUNNING: "running",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "running",
    WorkflowExecutionStatus.COMPLETED: "succeeded",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.TERMINATED: "cancelled",
    WorkflowExecutionStatus.TIMED_OUT: "failed",
}
MEMO_REQUEST_HASH = "request_hash"
MEMO_RERUN_OF = "rerun_of"
QUERY_TIMEOUT = timedelta(seconds=5)


def new_run_id() -> str:
    return f"run_{secrets.token_hex(12)}"


def keyed_run_id(organization_id: str, scope: str, key: str) -> str:
    """The run id a caller's key names: the same key in the same organization, the same id."""
    digest = hashlib.sha256(f"{organization_id}\n{scope}\n{key}".encode()).hexdigest()
    return f"run_{scope}_{digest[:32]}"


def request_hash(*parts: Any) -> str:
    """A fingerprint of what a request asked for, to tell a repeat from a different request."""
    return hashlib.sha256(
        json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()


def trigger_node_of(plan: Plan, kind: TriggerKind) -> str:
    """The plan's first trigger node of this kind."""
    for node_id in plan.triggers:
        if plan.nodes[node_id].type == f"trigger.{kind}":
            return node_id
    raise InvalidInputError(f"this workflow has no {kind} trigger")


def build_run_input(
    version: WorkflowVersion,
    *,
    trigger: TriggerKind,
    payload: Any,
    workflows: Mapping[str, Plan],
    trigger_node: str | None = None,
) -> RunInput:
    """What a run of this exact version carries: its plan, the trigger, its metadata, and the
    plans its sub-workflows may start (`app.services.sub_workflows.plans_for`)."""
    plan = version.plan
    node_id = trigger_node or trigger_node_of(plan, trigger)
    if node_id not in plan.triggers or plan.nodes[node_id].type != f"trigger.{trigger}":
        raise InvalidInputError(f"node '{node_id}' is not a {trigger} trigger of this workflow")
    return RunInput(
        plan=plan,
        workflows=dict(workflows),
        trigger=TriggerInput(kind=trigger, node_id=node_id, payload=payload),
        metadata=RunMetadata(
            organization_id=version.organization_id,
            workflow_id=version.workflow_id,
            workflow_version=version.version,
            plan_hash=version.plan_hash,
        ),
    )


def run_search_attributes(version: WorkflowVersion, trigger: TriggerKind) -> TypedSearchAttributes:
    """What runs are listed and filtered by (`app.contract.search_attributes`)."""
    return attrs.for_run(
        organization_id=version.organization_id,
        workflow_id=version.workflow_id,
        version=version.version,
        trigger_kind=trigger,
    )


def check_manual_input(run_input: RunInput, payload: Any) -> None:
    """Refuse input the manual trigger's `input_schema` does not accept, naming every field."""
    schema = run_input.plan.nodes[run_input.trigger.node_id].parameters.get("input_schema")
    if not schema:
        return
    validator = jsonschema.Draft202012Validator(schema)
    try:
        problems = sorted(validator.iter_errors(payload), key=lambda error: list(error.path))
    except Unresolvable as error:
        # Versions stored before refs were checked at validation: never fetch, never a 500.
        raise InvalidInputError(
            "the manual trigger's input_schema has a $ref that does not resolve inside it: "
            "save the workflow again with local refs only",
            [
                ErrorDetail(
                    message=f"cannot resolve $ref '{error.ref}'",
                    path=("body", "input"),
                    node_id=run_input.trigger.node_id,
                    code="input_schema",
                )
            ],
        ) from None
    if problems:
        raise InvalidInputError(
            "the input does not match the manual trigger's input_schema",
            [
                ErrorDetail(
                    message=problem.message,
                    path=("body", "input", *problem.path),
                    node_id=run_input.trigger.node_id,
                    code="input_schema",
                )
                for problem in problems[:50]
            ],
        )


@dataclass(frozen=True)
class StartedRun:
    id: str
    created: bool
    """False when the run id named a run that already existed (a repeated request)."""


async def start_run(
    client: Client,
    *,
    run_input: RunInput,
    search_attributes: TypedSearchAttributes,
    task_queue: str,
    run_id: str | None = None,
    fingerprint: str | None = None,
    rerun_of: str | None = None,
    payload_field: tuple[str | int, ...] = ("body", "input"),
) -> StartedRun:
    """Start the interpreter on `run_input`; the run id is its Temporal workflow id.

    A given `run_id` is never started twice, even after the first run ended: the existing
    run is returned instead, unless its `fingerprint` differs (the same key sent with
    another request), which is a conflict. An input too large for Temporal is a 413 naming
    `payload_field`, where the trigger's payload came from.
    """
    check_run_input(run_input, field=payload_field)
    memo: dict[str, Any] = {}
    if fingerprint is not None:
        memo[MEMO_REQUEST_HASH] = fingerprint
    if rerun_of is not None:
        memo[MEMO_RERUN_OF] = rerun_of
    chosen = run_id or new_run_id()
    try:
        await client.start_workflow(
            INTERPRETER_WORKFLOW,
            run_input,
            id=chosen,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            memo=memo or None,
            search_attributes=search_attributes,
        )
    except WorkflowAlreadyStartedError:
        if run_id is None:
            raise
        description = await client.get_workflow_handle(chosen).describe()
        earlier = (await description.memo()).get(MEMO_REQUEST_HASH)
        if fingerprint is not None and earlier != fingerprint:
            raise ConflictError(
                "this Idempotency-Key was already used with a different request"
            ) from None
        return StartedRun(id=chosen, created=False)
    return StartedRun(id=chosen, created=True)


@dataclass(frozen=True)
class RunView:
    """A run as the API shows it: its state and what it belongs to."""

    id: str
    state: RunState
    workflow_id: str | None
    workflow_version: int | None
    trigger: str | None
    rerun_of: str | None
    started_at: datetime
    ended_at: datetime | None


async def describe_run(
    client: Client, *, organization_id: str, run_id: str
) -> tuple[WorkflowHandle[Any, RunState], WorkflowExecutionDescription]:
    """The run's handle and description; another organization's run is not found."""
    handle = client.get_workflow_handle(run_id, result_type=RunState)
    try:
        description = await handle.describe()
    except RPCError as error:
        if error.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            raise NotFoundError(f"run '{run_id}' not found") from None
        raise
    if description.typed_search_attributes.get(attrs.ORGANIZATION_ID) != organization_id:
        raise NotFoundError(f"run '{run_id}' not found")
    return handle, description


async def read_state(
    handle: WorkflowHandle[Any, RunState], description: WorkflowExecutionDescription
) -> RunState:
    """Live through the query while the run runs, its final state after."""
    status = description.status
    if status == WorkflowExecutionStatus.RUNNING:
        try:
            state: RunState = await handle.query(
                STATE_QUERY, result_type=RunState, rpc_timeout=QUERY_TIMEOUT
            )
            return state
        except RPCError as error:
            if error.status != RPCStatusCode.FAILED_PRECONDITION:
                return _unavailable_state(description, error)
            # It may have ended between describe and query: read the final state instead.
            status = (await handle.describe()).status
        except WorkflowQueryFailedError as error:
            return _unavailable_state(description, error)
        if status in (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.CONTINUED_AS_NEW):
            return _unavailable_state(description, None)
    if status in (WorkflowExecutionStatus.CANCELED, WorkflowExecutionStatus.TERMINATED):
        return await _stopped_state(handle)
    try:
        final: RunState = await handle.result()
        return final
    except WorkflowFailureError as failure:
        return _state_from_failure(failure, status)


def _unavailable_state(
    description: WorkflowExecutionDescription, error: RPCError | WorkflowQueryFailedError | None
) -> RunState:
    """What is known of a running run whose live state cannot be read: no worker answered
    in time (none polls its task queue, or all are busy), or the query failed."""
    if isinstance(error, RPCError) and error.status in (
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.CANCELLED,
    ):
        why = f"no worker answered within {QUERY_TIMEOUT.total_seconds():g} s"
    else:
        why = "the run's state query failed"
    return RunState(
        status="running",
        started_at=description.start_time,
        state_unavailable=f"{why}; showing the status Temporal reports, without node detail",
    )


async def _stopped_state(handle: WorkflowHandle[Any, RunState]) -> RunState:
    """A cancelled or terminated run returns nothing; its node states come from a query,
    which a worker answers by replaying the history (when no worker answers: the status)."""
    try:
        state: RunState = await handle.query(
            STATE_QUERY, result_type=RunState, rpc_timeout=QUERY_TIMEOUT
        )
    except (RPCError, WorkflowQueryFailedError):
        return RunState(status="cancelled")
    return state.model_copy(update={"status": "cancelled"})


async def read_run(client: Client, *, organization_id: str, run_id: str) -> RunView:
    """A run's state and metadata: live while it runs, the final state after."""
    handle, description = await describe_run(client, organization_id=organization_id, run_id=run_id)
    state = await read_state(handle, description)
    state = await with_live_attempts(client, handle, description, state)
    memo = await description.memo()
    found = description.typed_search_attributes
    rerun_of = memo.get(MEMO_RERUN_OF)
    return RunView(
        id=run_id,
        state=state,
        workflow_id=found.get(attrs.WORKFLOW_ID),
        workflow_version=found.get(attrs.WORKFLOW_VERSION),
        trigger=found.get(attrs.TRIGGER_KIND),
        rerun_of=rerun_of if isinstance(rerun_of, str) else None,
        started_at=description.start_time,
        ended_at=description.close_time,
    )


def _state_from_failure(
    failure: WorkflowFailureError, status: WorkflowExecutionStatus | None
) -> RunState:
    cause = failure.cause
    if isinstance(cause, ApplicationError) and cause.details:
        return RunState.model_validate(cause.details[0])
    return RunState(
        status=CLOSED_STATUS.get(status, "failed") if status else "failed",
        error=NodeError(type=type(cause).__name__, message=str(cause)),
    )
