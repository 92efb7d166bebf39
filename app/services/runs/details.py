"""What the API reads about a run besides its state query: the input it started with (from
its history), and the retries its running actions are on (from Temporal's description)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temporalio.api.history.v1 import WorkflowExecutionStartedEventAttributes
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.client import Client, WorkflowExecutionDescription, WorkflowHandle

from app.errors import ConflictError
from app.language.plan import Plan
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
    """`state` with the retries of its running actions counted in their nodes' attempts.

    The run itself learns an action's attempt only once the action ends; until then Temporal's
    description knows it. Only a run with a retry under way pays for reading its plan.
    """
    retrying = [
        pending for pending in description.raw_description.pending_activities if pending.attempt > 1
    ]
    if not retrying or state.status != "running":
        return state
    plan = (await run_input_of(client, handle, description)).plan
    return count_retries_under_way(state, plan, retrying)


def count_retries_under_way(
    state: RunState, plan: Plan, pending: Sequence[PendingActivityInfo]
) -> RunState:
    """Add each pending activity's earlier attempts to the running node it belongs to.

    Activities are known by type only: where several running nodes share a type, which one
    is retrying is unknown, and their attempts stay as the run counts them.
    """
    running: dict[str, list[str]] = {}
    for node_id, node in plan.nodes.items():
        node_state = state.nodes.get(node_id)
        if node.activity and node_state is not None and node_state.status == "running":
            running.setdefault(node.activity, []).append(node_id)
    retries: dict[str, int] = {}
    for activity in pending:
        owners = running.get(activity.activity_type.name, [])
        if len(owners) == 1:
            retries[owners[0]] = retries.get(owners[0], 0) + activity.attempt - 1
    if not retries:
        return state
    nodes = {
        node_id: node.model_copy(update={"attempts": node.attempts + retries.get(node_id, 0)})
        for node_id, node in state.nodes.items()
    }
    return state.model_copy(update={"nodes": nodes})
