"""One node of a run in detail: what it received and each attempt of its work, read from the
run's history on demand.

Nothing here is kept in the run's state: an action's input is the rendered parameters its
activity was scheduled with (`ActionInput`, which never carries a secret: accounts go by id),
and its attempts are what Temporal recorded of the activity. So the run's durable state, its
`state` query and every stream event stay as small as before (issue 11 point 2); a node's
detail costs one read of the run's history when it is asked for.

Temporal keeps two failures of an activity that was retried: the last attempt's, and the one
before it (`last_failure` of the started event). An earlier attempt is known to have failed,
not why. Control nodes (`if`, `set`, waits, ...) render their parameters inside the
workflow, where they are not recorded: their `input` is None and they have no attempts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.client import Client, WorkflowExecutionDescription, WorkflowHandle

from app.contract.actions import ActionInput
from app.errors import NotFoundError
from app.services.runs.reading import RunView
from app.services.runs.retries import failure_error, timestamp
from workflows.state import NodeError, NodeState

AttemptOutcome = Literal["running", "succeeded", "failed", "timed_out", "cancelled"]


@dataclass(frozen=True)
class AttemptView:
    attempt: int
    outcome: AttemptOutcome
    started_at: datetime | None = None
    ended_at: datetime | None = None
    error: NodeError | None = None
    """None for a failed attempt before the last two: Temporal keeps no more."""


@dataclass(frozen=True)
class NodeView:
    node_id: str
    state: NodeState
    input: dict[str, Any] | None
    attempts: list[AttemptView]


@dataclass
class _Execution:
    """One scheduling of the node's activity (a node in a loop's body has one per item)."""

    activity_id: str
    parameters: dict[str, Any]
    in_latest_run: bool
    attempt: int | None = None
    started_at: datetime | None = None
    previous_failure: Failure | None = None
    ended_at: datetime | None = None
    outcome: AttemptOutcome = "running"
    failure: Failure | None = None
    attempts: list[AttemptView] = field(default_factory=list)


async def node_view(
    client: Client,
    handle: WorkflowHandle[Any, Any],
    description: WorkflowExecutionDescription,
    run: RunView,
    node_id: str,
) -> NodeView:
    """The node of `run` named `node_id`, with its input and attempts."""
    state = run.nodes.get(node_id)
    if state is None:
        raise NotFoundError(f"run '{run.id}' has no node '{node_id}'")
    executions = await _executions(client, handle, description, node_id)
    pending = {info.activity_id: info for info in description.raw_description.pending_activities}
    attempts: list[AttemptView] = []
    for execution in executions:
        live = pending.get(execution.activity_id) if execution.in_latest_run else None
        attempts.extend(_attempts(execution, live))
    return NodeView(
        node_id=node_id,
        state=state,
        input=executions[-1].parameters if executions else None,
        attempts=attempts,
    )


async def _executions(
    client: Client,
    handle: WorkflowHandle[Any, Any],
    description: WorkflowExecutionDescription,
    node_id: str,
) -> list[_Execution]:
    """Every scheduling of `node_id`'s activity, over the run's whole chain of runs."""
    found: dict[tuple[str, int], _Execution] = {}
    run_id: str | None = (
        description.raw_description.workflow_execution_info.first_run_id or description.run_id
    )
    while run_id:
        in_latest = run_id == description.run_id
        run_handle = client.get_workflow_handle(handle.id, run_id=run_id)
        run_id = None
        async for event in run_handle.fetch_history_events():
            if event.HasField("activity_task_scheduled_event_attributes"):
                scheduled = event.activity_task_scheduled_event_attributes
                action = await _action_input(client, scheduled.input.payloads)
                if action is not None and action.node_id == node_id:
                    found[(run_handle.run_id or "", event.event_id)] = _Execution(
                        activity_id=scheduled.activity_id,
                        parameters=action.parameters,
                        in_latest_run=in_latest,
                    )
            elif event.HasField("workflow_execution_continued_as_new_event_attributes"):
                continued = event.workflow_execution_continued_as_new_event_attributes
                run_id = continued.new_execution_run_id
            else:
                _record(found, run_handle.run_id or "", event)
    return list(found.values())


async def _action_input(client: Client, payloads: Sequence[Payload]) -> ActionInput | None:
    """The input of an action activity; None for any other activity."""
    try:
        [action] = await client.data_converter.decode(payloads, [ActionInput])
    except Exception:
        return None
    return action if isinstance(action, ActionInput) else None


def _record(found: dict[tuple[str, int], _Execution], run_id: str, event: HistoryEvent) -> None:
    """What `event` says of an execution of the node, if it is about one."""
    at = timestamp(event.event_time)
    if event.HasField("activity_task_started_event_attributes"):
        started = event.activity_task_started_event_attributes
        if execution := found.get((run_id, started.scheduled_event_id)):
            execution.attempt = started.attempt
            execution.started_at = at
            if started.HasField("last_failure"):
                execution.previous_failure = started.last_failure
        return
    ends: list[tuple[str, AttemptOutcome]] = [
        ("activity_task_completed_event_attributes", "succeeded"),
        ("activity_task_failed_event_attributes", "failed"),
        ("activity_task_timed_out_event_attributes", "timed_out"),
        ("activity_task_canceled_event_attributes", "cancelled"),
    ]
    for name, outcome in ends:
        if event.HasField(name):  # type: ignore[arg-type]
            attributes = getattr(event, name)
            if execution := found.get((run_id, attributes.scheduled_event_id)):
                execution.ended_at = at
                execution.outcome = outcome
                if outcome in ("failed", "timed_out") and attributes.HasField("failure"):
                    execution.failure = attributes.failure
            return


def _attempts(execution: _Execution, live: PendingActivityInfo | None) -> list[AttemptView]:
    """Each attempt of one execution, as far as Temporal recorded it."""
    if live is not None:
        last = AttemptView(
            attempt=max(live.attempt, 1),
            outcome="running",
            started_at=timestamp(live.last_started_time),
        )
        previous = live.last_failure if live.HasField("last_failure") else None
        previous_end = timestamp(live.last_attempt_complete_time)
    else:
        last = AttemptView(
            attempt=max(execution.attempt or 1, 1),
            outcome=execution.outcome,
            started_at=execution.started_at,
            ended_at=execution.ended_at,
            error=_error(execution.failure),
        )
        previous, previous_end = execution.previous_failure, None
    earlier = [AttemptView(attempt=number, outcome="failed") for number in range(1, last.attempt)]
    if earlier:
        earlier[-1] = AttemptView(
            attempt=last.attempt - 1,
            outcome="failed",
            ended_at=previous_end,
            error=_error(previous),
        )
    return [*earlier, last]


def _error(failure: Failure | None) -> NodeError | None:
    return None if failure is None else failure_error(failure)
