"""Reading runs: a run's status from Temporal, its detail from the interpreter's state query
while it runs and from its result (or a replay) once it has ended."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from app.contract import search_attributes as attrs
from app.errors import NotFoundError
from app.services.runs.details import with_live_attempts
from app.services.runs.starting import MEMO_RERUN_OF, MEMO_REUSED
from app.services.runs.status import TERMINAL, RunStatus, run_status
from workflows.state import (
    STATE_QUERY,
    DroppedEvents,
    NodeError,
    NodeState,
    RunState,
    WaitingFor,
)

QUERY_TIMEOUT = timedelta(seconds=5)
RunHandle = WorkflowHandle[Any, RunState]


@dataclass(frozen=True)
class RunView:
    """A run as the API shows it: its status, what it belongs to, and what the interpreter
    reports of it (nodes, variables, waits, output, error)."""

    id: str
    status: RunStatus
    workflow_id: str | None
    workflow_version: int | None
    trigger: str | None
    rerun_of: str | None
    reused_nodes: list[str] | None
    """For a rerun from a failed step: the nodes it kept from `rerun_of` instead of running."""
    nodes: dict[str, NodeState]
    variables: dict[str, Any]
    waiting_for: list[WaitingFor]
    output: dict[str, Any] | None
    error: NodeError | None
    started_at: datetime | None
    ended_at: datetime | None
    dropped_events: DroppedEvents
    state_unavailable: str | None
    input: Any = None
    """The trigger payload the run started with, when the reader asked for it (`GET
    /runs/{id}` does; a stream does not read it at every step)."""


async def describe_run(
    client: Client, *, organization_id: str, run_id: str
) -> tuple[RunHandle, WorkflowExecutionDescription]:
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


async def read_view(
    client: Client, handle: RunHandle, description: WorkflowExecutionDescription
) -> RunView:
    """The run as `description` finds it: live while it runs, its final state after."""
    status, state, description = await _status_and_state(handle, description)
    if status is RunStatus.RUNNING:
        # A closed run's description may still list the activities it left behind.
        state = await with_live_attempts(client, handle, description, state)
    memo = await description.memo()
    rerun_of = memo.get(MEMO_RERUN_OF)
    reused = memo.get(MEMO_REUSED)
    found = description.typed_search_attributes
    return RunView(
        id=handle.id,
        status=status,
        workflow_id=found.get(attrs.WORKFLOW_ID),
        workflow_version=found.get(attrs.WORKFLOW_VERSION),
        trigger=found.get(attrs.TRIGGER_KIND),
        rerun_of=rerun_of if isinstance(rerun_of, str) else None,
        reused_nodes=[str(node) for node in reused] if isinstance(reused, list) else None,
        nodes=state.nodes,
        variables=state.variables,
        waiting_for=state.waiting_for,
        output=state.output,
        error=state.error,
        started_at=state.started_at or description.start_time,
        # A run stopped from outside never got to write down when it ended.
        ended_at=state.ended_at or description.close_time,
        dropped_events=state.dropped_events,
        state_unavailable=state.state_unavailable,
    )


async def follow_views(
    client: Client, handle: RunHandle, description: WorkflowExecutionDescription, poll: timedelta
) -> AsyncIterator[RunView]:
    """Each new view of the run until it has ended, the first one at once.

    Temporal pushes nothing to clients: the run's description is polled, and the state is
    queried only when the history grew (every step of a run adds events) or an action's
    retry moved on (retries add no event until the action ends).
    """
    seen: tuple[object, ...] | None = None
    last: RunView | None = None
    while True:
        if _progress(description) != seen:
            seen = _progress(description)
            view = await read_view(client, handle, description)
            if view != last:
                last = view
                yield view
        if run_status(description.status) in TERMINAL:
            return
        await asyncio.sleep(poll.total_seconds())
        description = await handle.describe()


def _progress(description: WorkflowExecutionDescription) -> tuple[object, ...]:
    """What changes whenever the run's view may have: its history's length and the state of
    each activity under way."""
    return (
        description.history_length,
        *(
            (info.activity_id, info.attempt, info.state)
            for info in description.raw_description.pending_activities
        ),
    )


async def view_when_ended(client: Client, handle: RunHandle, seconds: float) -> RunView | None:
    """The run's final view if it ends within `seconds`, else None."""
    try:
        async with asyncio.timeout(seconds):
            await handle.result()
    except TimeoutError:
        return None
    except WorkflowFailureError:
        pass  # read below, with its node states
    return await read_view(client, handle, await handle.describe())


async def _status_and_state(
    handle: RunHandle, description: WorkflowExecutionDescription
) -> tuple[RunStatus, RunState, WorkflowExecutionDescription]:
    """The run's status and the interpreter's state of it, with the description they were
    read under (a newer one when the run ended in between)."""
    status = run_status(description.status)
    if status is RunStatus.RUNNING:
        try:
            state: RunState = await handle.query(
                STATE_QUERY, result_type=RunState, rpc_timeout=QUERY_TIMEOUT
            )
            return status, state, description
        except RPCError as error:
            if error.status != RPCStatusCode.FAILED_PRECONDITION:
                return status, _unavailable_state(description, error), description
            # It may have ended between describe and query: read the final state instead.
            description = await handle.describe()
            status = run_status(description.status)
        except WorkflowQueryFailedError as error:
            return status, _unavailable_state(description, error), description
        if status is RunStatus.RUNNING:
            return status, _unavailable_state(description, None), description
    return status, await _final_state(handle, status), description


async def _final_state(handle: RunHandle, status: RunStatus) -> RunState:
    if status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
        try:
            final: RunState = await handle.result()
            return final
        except WorkflowFailureError as failure:
            return _state_from_failure(failure)
    # Stopped from outside (cancelled, terminated, timed out): the run returned no state.
    state = _stopped(await _replayed_state(handle))
    if status is RunStatus.TIMED_OUT and state.error is None:
        try:
            await handle.result()
        except WorkflowFailureError as failure:
            state = state.model_copy(update={"error": _error_of(failure)})
    return state


async def _replayed_state(handle: RunHandle) -> RunState:
    """The state of a run that returned none, from a query a worker answers by replaying its
    history (when no worker answers: an empty state)."""
    try:
        state: RunState = await handle.query(
            STATE_QUERY, result_type=RunState, rpc_timeout=QUERY_TIMEOUT
        )
    except (RPCError, WorkflowQueryFailedError):
        return RunState()
    return state


def _stopped(state: RunState) -> RunState:
    """`state` of a run stopped where it stood (terminated, timed out): what was under way
    was cancelled and waits for nothing, as the interpreter shows a run it ends itself."""
    nodes = {
        node_id: node.model_copy(update={"status": "cancelled"})
        if node.status in ("running", "waiting")
        else node
        for node_id, node in state.nodes.items()
    }
    return state.model_copy(update={"nodes": nodes, "waiting_for": []})


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
        started_at=description.start_time,
        state_unavailable=f"{why}; showing the status Temporal reports, without node detail",
    )


def _state_from_failure(failure: WorkflowFailureError) -> RunState:
    cause = failure.cause
    if isinstance(cause, ApplicationError) and cause.details:
        return RunState.model_validate(cause.details[0])
    return RunState(error=_error_of(failure))


def _error_of(failure: WorkflowFailureError) -> NodeError:
    cause = failure.cause
    return NodeError(type=type(cause).__name__, message=str(cause))
