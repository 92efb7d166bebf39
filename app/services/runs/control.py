"""Acting on a running run: events (signal), decisions (update), cancel, terminate; and the
original input of an ended run, for re-running it."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowExecutionDescription, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from app.errors import ConflictError, ErrorDetail, InvalidInputError, PermissionDeniedError
from app.services.runs.child_events import child_listeners
from app.services.runs.details import run_input_of
from app.services.runs.reading import RunHandle, describe_run
from app.services.runs.rerunning import ended_run
from app.services.runs.status import RunStatus, run_status
from workflows.state import (
    APPROVER_REFUSED,
    DECIDE_UPDATE,
    EVENT_SIGNAL,
    DecisionInput,
    EventInput,
    RunInput,
    expected_events,
)


async def _running(
    client: Client, organization_id: str, run_id: str
) -> tuple[RunHandle, WorkflowExecutionDescription]:
    handle, description = await describe_run(client, organization_id=organization_id, run_id=run_id)
    if run_status(description.status) is not RunStatus.RUNNING:
        raise ConflictError(f"run '{run_id}' has already ended")
    return handle, description


async def _ended_meanwhile(run_id: str, call: Any) -> None:
    try:
        await call
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise ConflictError(f"run '{run_id}' has already ended") from None
        raise


async def send_event(
    client: Client, *, organization_id: str, run_id: str, event: EventInput
) -> None:
    """Deliver a named event; `wait_for_event` nodes waiting for it (now or later) receive it.

    An event no `wait_for_event` node of the run's plan listens for is refused (422): the
    run would only drop it (`workflows.waits`). Where a sub-workflow's child run listens for
    it, the refusal names that run (`app.services.runs.child_events`): events are not forwarded."""
    handle, description = await _running(client, organization_id, run_id)
    run = await run_input_of(client, handle, description)
    expected = expected_events(run.plan)
    if event.name not in expected:
        listened = ", ".join(f"'{name}'" for name in sorted(expected)) or "none"
        raise InvalidInputError(
            f"run '{run_id}' waits for no event named '{event.name}'",
            child_listeners(run_id, run, event.name)
            or [
                ErrorDetail(
                    message=f"no wait_for_event node of this run listens for it (events it "
                    f"listens for: {listened})",
                    path=("body", "name"),
                    code="unknown_event",
                )
            ],
        )
    await _ended_meanwhile(run_id, handle.signal(EVENT_SIGNAL, event))


async def decide(
    client: Client, *, organization_id: str, run_id: str, decision: DecisionInput
) -> str:
    """Approve or reject a waiting approval; returns the node decided. The run refuses a
    decision nothing waits for (409), or from someone it does not take as an approver (403)."""
    handle, _ = await _running(client, organization_id, run_id)
    try:
        node_id: str = await handle.execute_update(DECIDE_UPDATE, decision, result_type=str)
    except WorkflowUpdateFailedError as failure:
        cause = failure.cause
        message = cause.message if isinstance(cause, ApplicationError) else str(cause)
        if isinstance(cause, ApplicationError) and cause.type == APPROVER_REFUSED:
            raise PermissionDeniedError(f"decision refused: {message}") from None
        raise ConflictError(f"decision refused: {message}") from None
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise ConflictError(f"run '{run_id}' has already ended") from None
        raise
    return node_id


async def cancel(client: Client, *, organization_id: str, run_id: str) -> None:
    """Ask the run to stop: waits and running actions are cancelled, the run ends `cancelled`."""
    handle, _ = await _running(client, organization_id, run_id)
    await _ended_meanwhile(run_id, handle.cancel())


async def terminate(client: Client, *, organization_id: str, run_id: str, reason: str) -> None:
    """Stop the run at once, without letting it clean up."""
    handle, _ = await _running(client, organization_id, run_id)
    await _ended_meanwhile(run_id, handle.terminate(reason=reason or None))


async def original_input(client: Client, *, organization_id: str, run_id: str) -> RunInput:
    """The input an ended, unsuccessful run was started with (from its history)."""
    ended = await ended_run(client, organization_id=organization_id, run_id=run_id)
    return ended.input
