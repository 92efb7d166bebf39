"""What the API reads about a run besides its state query: the input it started with (from
its history), and the retries its running actions are on (from Temporal's description,
`app.services.runs.retries`)."""

from __future__ import annotations

from typing import Any

from temporalio.api.history.v1 import WorkflowExecutionStartedEventAttributes
from temporalio.client import Client, WorkflowExecutionDescription, WorkflowHandle

from app.contract.actions import ActionInput
from app.errors import ConflictError
from app.services.runs.retries import owners_by_type, retrying, with_retries
from workflows.state import RunInput, RunState


async def run_input_of(
    client: Client,
    handle: WorkflowHandle[Any, RunState],
    description: WorkflowExecutionDescription,
) -> RunInput:
    """The input the run was started with: the first event of the first run of its chain.

    A run that continued as new started each later run with its progress
    (`RunInput.resume`) and, for a scheduled run, the `scheduled_time` it added to the
    trigger's payload; a re-run starts from what the trigger gave, and the plan is the same
    in every run of the chain.
    """
    first_run_id = description.raw_description.workflow_execution_info.first_run_id
    if not first_run_id:
        # Servers that do not report it: the latest run's start event names it.
        started = await _start_event(handle)
        first_run_id = started.first_execution_run_id or description.run_id
    first = client.get_workflow_handle(handle.id, run_id=first_run_id)
    payloads = (await _start_event(first)).input.payloads
    [decoded] = await client.data_converter.decode(payloads, [RunInput])
    assert isinstance(decoded, RunInput)
    return decoded


async def trigger_payload(
    client: Client,
    handle: WorkflowHandle[Any, RunState],
    description: WorkflowExecutionDescription,
) -> Any:
    """The payload the run's trigger gave it (None when its history has no start to read)."""
    try:
        return (await run_input_of(client, handle, description)).trigger.payload
    except ConflictError:
        return None


async def _start_event(
    handle: WorkflowHandle[Any, Any],
) -> WorkflowExecutionStartedEventAttributes:
    async for event in handle.fetch_history_events(page_size=1):
        return event.workflow_execution_started_event_attributes
    raise ConflictError(f"run '{handle.id}' has no history to read its input from")


async def with_live_attempts(
    client: Client,
    handle: WorkflowHandle[Any, RunState],
    description: WorkflowExecutionDescription,
    state: RunState,
) -> RunState:
    """`state` with the retries of its running actions: counted in their nodes' attempts, and
    the retry each is on (`app.services.runs.retries`).

    Only a run with a retry under way pays for reading its plan; where several running nodes
    share an activity type, the run's latest history says which activity is whose.
    """
    pending = retrying(description.raw_description.pending_activities)
    if not pending or state.status != "running":
        return state
    plan = (await run_input_of(client, handle, description)).plan
    owners = owners_by_type(state, plan, pending)
    unknown = {info.activity_id for info in pending} - owners.keys()
    if unknown:
        owners |= await _owners_from_history(client, handle, description.run_id, unknown)
    return with_retries(state, pending, owners)


async def _owners_from_history(
    client: Client, handle: WorkflowHandle[Any, RunState], run_id: str | None, ids: set[str]
) -> dict[str, str]:
    """The node of each activity in `ids`, from where the run's latest history scheduled it."""
    owners: dict[str, str] = {}
    latest = client.get_workflow_handle(handle.id, run_id=run_id)
    async for event in latest.fetch_history_events():
        if not event.HasField("activity_task_scheduled_event_attributes"):
            continue
        scheduled = event.activity_task_scheduled_event_attributes
        if scheduled.activity_id in ids:
            [action] = await client.data_converter.decode(scheduled.input.payloads, [ActionInput])
            if isinstance(action, ActionInput):
                owners[scheduled.activity_id] = action.node_id
            if len(owners) == len(ids):
                break
    return owners
